import nodemailer, { type Transporter } from 'nodemailer';
import type { Notification } from '../../db/entities';

export interface MailSettings {
  /** `smtp://user:pass@host:587` or `smtps://…:465`. */
  url: string;
  from: string;
}

const SUBJECTS: Record<string, string> = {
  trial_will_end: 'Your trial ends in two days',
  trial_refused: 'Your trial could not start: this card already paid for one',
  payment_failed: 'Your payment did not go through',
  payment_retry: 'We are retrying your payment',
  payment_action_required: 'Your payment needs your confirmation',
  usage_threshold_reached: 'You have used most of this period’s included credits',
  credits_low: 'Your prepaid credits are running low',
  usage_overage_reached: 'Your usage beyond your credits reached your alert',
  spend_cap_reached: 'Your spend cap is reached',
  credits_purchased: 'Your credits are added',
  credits_topped_up: 'Your credits were topped up automatically',
  top_up_declined: 'Your automatic top-up was declined',
  auto_top_up_disabled: 'Automatic top-up is turned off',
};

/** Plain-text mail for an outbox row; the hosted invoice link is what the customer needs to act. */
export function messageFor(n: Notification, from: string) {
  const link = typeof n.payload.hostedInvoiceUrl === 'string' ? n.payload.hostedInvoiceUrl : null;
  const lines = [SUBJECTS[n.kind] ?? 'A message about your subscription', ''];
  if (typeof n.payload.trialEnd === 'string') lines.push(`Your trial ends on ${n.payload.trialEnd}.`);
  if (typeof n.payload.attempt === 'number' && n.payload.attempt > 0)
    lines.push(`Attempt ${n.payload.attempt}.`);
  if (typeof n.payload.credits === 'number') lines.push(`${n.payload.credits} credits.`);
  if (typeof n.payload.reason === 'string') lines.push(`Reason: ${n.payload.reason}`);
  if (link) lines.push(`Pay or update your card here: ${link}`);
  return { from, to: n.email, subject: SUBJECTS[n.kind] ?? 'Your subscription', text: lines.join('\n') };
}

const transports = new Map<string, Transporter>();

/** One pooled transport per SMTP URL, reused across activities. */
export function transportFor(url: string): Transporter {
  let t = transports.get(url);
  if (!t) {
    t = nodemailer.createTransport(url);
    transports.set(url, t);
  }
  return t;
}
