import { z } from 'zod';
import { defineRoute } from '../../route';
import {
  attachPaymentMethod,
  cancel,
  createCheckout,
  createPortal,
  getSubscription,
  getSubscriptionStatus,
  listPaymentMethods,
  resume,
  upgradeSubscription,
} from './handlers';
import {
  attachPaymentMethodBody,
  cancelBody,
  checkoutBody,
  emptyBody,
  portalBody,
  noSubscriptionResponse,
  subscriptionResponse,
  upgradeBody,
} from './schemas';

const tags = ['billing'];
const conflictError = { 409: 'The subscription is not in a state that allows this' };

export const billingRoutes = [
  defineRoute({
    method: 'post',
    path: '/billing/checkout/create',
    summary: 'Start a subscription: a Stripe Checkout page for the plan',
    tags,
    access: 'viewer',
    body: checkoutBody,
    errors: {
      404: 'No such plan',
      409: 'The caller already has a subscription (subscription_exists), or already had its trial (trial_already_used)',
    },
    handler: createCheckout,
  }),
  defineRoute({
    method: 'post',
    path: '/billing/portal/create',
    summary: "A Stripe billing portal link for the caller's customer",
    tags,
    access: 'viewer',
    body: portalBody,
    handler: createPortal,
  }),
  defineRoute({
    method: 'get',
    path: '/billing/subscription',
    summary: "The caller's current subscription; without one, the free tier's basic info (status none)",
    tags,
    access: 'viewer',
    response: z.union([subscriptionResponse, noSubscriptionResponse]),
    handler: getSubscription,
  }),
  defineRoute({
    method: 'get',
    path: '/billing/subscription-status',
    summary: 'Whether the caller has a subscription, and its state',
    tags,
    access: 'viewer',
    handler: getSubscriptionStatus,
  }),
  defineRoute({
    method: 'post',
    path: '/billing/subscription/upgrade',
    summary: 'Change plan (upgrade now with proration, downgrade at period end), or preview the proration',
    tags,
    access: 'viewer',
    body: upgradeBody,
    errors: {
      402: 'The card was declined for the prorated charge',
      404: 'No subscription or plan',
      ...conflictError,
    },
    handler: upgradeSubscription,
  }),
  defineRoute({
    method: 'post',
    path: '/billing/subscription/cancel',
    summary: 'Cancel at period end (default) or now',
    tags,
    access: 'viewer',
    body: cancelBody,
    errors: {
      404: 'No subscription, or subscription_id names one that is not the caller’s',
      ...conflictError,
    },
    handler: cancel,
  }),
  defineRoute({
    method: 'post',
    path: '/billing/subscription/resume',
    summary: 'Undo a pending cancellation',
    tags,
    access: 'viewer',
    body: emptyBody,
    errors: { 404: 'No subscription', ...conflictError },
    handler: resume,
  }),
  defineRoute({
    method: 'get',
    path: '/billing/payment-methods',
    summary: "The caller's cards (from the database mirror)",
    tags,
    access: 'viewer',
    handler: listPaymentMethods,
  }),
  defineRoute({
    method: 'post',
    path: '/stripe/attach_payment_method',
    summary: "Attach a card to the caller's customer and make it the default",
    tags: ['customers'],
    access: 'viewer',
    body: attachPaymentMethodBody,
    errors: { 402: 'The card was declined' },
    handler: attachPaymentMethod,
  }),
];
