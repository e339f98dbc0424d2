import { defineRoute } from '../../routing/define-route';
import {
  getLedger,
  getPacks,
  patchPack,
  postExtend,
  postGrant,
  postPack,
  postVoid,
  putSpendCapMax,
} from './handlers';
import {
  adminGrantResponse,
  createPackBody,
  customerParams,
  extendBody,
  grantBody,
  grantParams,
  ledgerResponse,
  packListResponse,
  packParams,
  packResponse,
  spendCapMaxBody,
  updatePackBody,
  voidBody,
} from './schemas';

const tags = ['admin', 'credits'];
const noCustomer = { 404: 'No customer with that email' };
const noGrant = { 404: 'No customer with that email, or no such grant of theirs' };

/** A customer's credit ledger and what an admin may do to it; the credit packs on sale (docs/credits.md). */
export const adminCreditRoutes = [
  defineRoute({
    method: 'get',
    path: '/admin/billing/customers/:email/credits',
    summary: "A customer's credit ledger: the account as they see it, and every movement, newest first",
    tags,
    access: 'admin',
    params: customerParams,
    errors: noCustomer,
    response: ledgerResponse,
    handler: getLedger,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/billing/customers/:email/credits',
    summary:
      'Grant a customer credits with a reason, an optional expiry and priority, once per Idempotency-Key ' +
      'header (a replay answers the same grant); audited',
    tags,
    access: 'admin',
    params: customerParams,
    body: grantBody,
    status: 201,
    fields: { amount: 'body.amount', expiresAt: 'body.expires_at' },
    errors: { ...noCustomer, 400: 'No Idempotency-Key header' },
    response: adminGrantResponse,
    handler: postGrant,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/billing/customers/:email/credits/:grant_id/void',
    summary:
      'Void what is left of a grant, with a reason; a grant with nothing left is answered as it is. Audited',
    tags,
    access: 'admin',
    params: grantParams,
    body: voidBody,
    errors: noGrant,
    response: adminGrantResponse,
    handler: postVoid,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/billing/customers/:email/credits/:grant_id/extend',
    summary:
      "Move a grant's expiry later, with a reason (never earlier, never for one that does not expire). Audited",
    tags,
    access: 'admin',
    params: grantParams,
    body: extendBody,
    fields: { expiresAt: 'body.expires_at' },
    errors: { ...noGrant, 409: 'grant_never_expires, not_an_extension' },
    response: adminGrantResponse,
    handler: postExtend,
  }),
  defineRoute({
    method: 'put',
    path: '/admin/billing/customers/:email/spend-cap-max',
    summary:
      'The highest spend cap a customer may set (null: none); their cap is lowered to it, or set to it when ' +
      'they had none. Audited',
    tags,
    access: 'admin',
    params: customerParams,
    body: spendCapMaxBody,
    errors: noCustomer,
    response: ledgerResponse,
    handler: putSpendCapMax,
  }),
  defineRoute({
    method: 'get',
    path: '/admin/billing/credit-packs',
    summary: 'Every credit pack, on sale or not',
    tags,
    access: 'admin',
    response: packListResponse,
    handler: getPacks,
  }),
  defineRoute({
    method: 'post',
    path: '/admin/billing/credit-packs',
    summary: 'Put a credit pack on sale; audited',
    tags,
    access: 'admin',
    body: createPackBody,
    status: 201,
    errors: { 409: 'pack_code_exists' },
    response: packResponse,
    handler: postPack,
  }),
  defineRoute({
    method: 'patch',
    path: '/admin/billing/credit-packs/:id',
    summary: "Change a pack's terms for purchases from now on, or take it off sale (active: false); audited",
    tags,
    access: 'admin',
    params: packParams,
    body: updatePackBody,
    errors: { 404: 'No such pack', 409: 'pack_code_exists' },
    response: packResponse,
    handler: patchPack,
  }),
];
