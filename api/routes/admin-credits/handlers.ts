import { clockOf } from '../../../domain/clock';
import type { HandlerInput } from '../../routing/define-route';
import {
  customerLedger,
  extendGrantAsAdmin,
  grantCreditsAsAdmin,
  voidGrantAsAdmin,
} from '../../../services/credits/admin-credits';
import { createCreditPack, listCreditPacks, updateCreditPack } from '../../../services/credits/credit-packs';
import { setSpendCapMax } from '../../../services/credits/credit-settings';
import { customerByEmail } from '../../../services/admin-lists/customer-detail';
import { idempotencyKeyOf } from '../../validation/idempotency-key';
import { packDto } from '../credits/dto';
import type { EntityManager } from '@mikro-orm/core';
import { adminGrantDto, ledgerDto } from './dto';
import type {
  createPackBody,
  customerParams,
  extendBody,
  grantBody,
  grantParams,
  packParams,
  spendCapMaxBody,
  updatePackBody,
  voidBody,
} from './schemas';

type Admin<P, B = undefined> = HandlerInput<P, undefined, B, 'admin'>;

/** A grant as it stands after an admin's action, with what is left of it now. */
async function grantAsItStands(em: EntityManager, email: string, grantId: string, now: Date) {
  const ledger = await customerLedger(em, email, now);
  const view = ledger.credits.grants.find((g) => g.id === grantId);
  if (!view) throw new Error(`grant ${grantId} vanished after an admin's action`);
  return adminGrantDto(view, view.remaining, view.live);
}

export const getLedger = async ({ deps, params }: Admin<typeof customerParams>) =>
  ledgerDto(await customerLedger(deps.orm.em.fork(), params.email, clockOf(deps).now()));

export async function postGrant({
  deps,
  identity,
  params,
  body,
  ctx,
}: Admin<typeof customerParams, typeof grantBody>) {
  const em = deps.orm.em.fork();
  const now = clockOf(deps).now();
  const { grant } = await grantCreditsAsAdmin(
    em,
    identity,
    {
      email: params.email,
      amount: body.amount,
      reason: body.reason,
      expiresAt: body.expires_at ? new Date(body.expires_at) : null,
      priority: body.priority,
      idempotencyKey: idempotencyKeyOf(ctx, undefined),
    },
    now,
  );
  return grantAsItStands(em, params.email, grant.id, now);
}

export async function postVoid({ deps, identity, params, body }: Admin<typeof grantParams, typeof voidBody>) {
  const em = deps.orm.em.fork();
  const now = clockOf(deps).now();
  await voidGrantAsAdmin(
    em,
    identity,
    { email: params.email, grantId: params.grant_id, reason: body.reason },
    now,
  );
  return grantAsItStands(em, params.email, params.grant_id, now);
}

export async function postExtend({
  deps,
  identity,
  params,
  body,
}: Admin<typeof grantParams, typeof extendBody>) {
  const em = deps.orm.em.fork();
  const now = clockOf(deps).now();
  await extendGrantAsAdmin(
    em,
    identity,
    {
      email: params.email,
      grantId: params.grant_id,
      expiresAt: new Date(body.expires_at),
      reason: body.reason,
    },
    now,
  );
  return grantAsItStands(em, params.email, params.grant_id, now);
}

export async function putSpendCapMax({
  deps,
  identity,
  params,
  body,
}: Admin<typeof customerParams, typeof spendCapMaxBody>) {
  const em = deps.orm.em.fork();
  const customer = await customerByEmail(em, params.email);
  const now = clockOf(deps).now();
  await setSpendCapMax(em, identity, customer.id, body.max_cents, now);
  return ledgerDto(await customerLedger(em, params.email, now));
}

export const getPacks = async ({ deps }: Admin<undefined>) => ({
  packs: (await listCreditPacks(deps.orm.em, { all: true })).map((p) => packDto(p)),
});

export const postPack = async ({ deps, identity, body }: Admin<undefined, typeof createPackBody>) =>
  packDto(
    await createCreditPack(deps.orm.em.fork(), identity, {
      code: body.code,
      name: body.name,
      credits: body.credits,
      priceCents: body.price_cents,
      currency: body.currency,
      currencyPrices: body.currency_prices,
      planCodes: body.plan_codes,
      expiresAfterDays: body.expires_after_days,
      active: body.active,
    }),
  );

export const patchPack = async ({
  deps,
  identity,
  params,
  body,
}: Admin<typeof packParams, typeof updatePackBody>) =>
  packDto(
    await updateCreditPack(deps.orm.em.fork(), identity, params.id, {
      ...(body.code !== undefined && { code: body.code }),
      ...(body.name !== undefined && { name: body.name }),
      ...(body.credits !== undefined && { credits: body.credits }),
      ...(body.price_cents !== undefined && { priceCents: body.price_cents }),
      ...(body.currency !== undefined && { currency: body.currency }),
      ...(body.currency_prices !== undefined && { currencyPrices: body.currency_prices }),
      ...(body.plan_codes !== undefined && { planCodes: body.plan_codes }),
      ...(body.expires_after_days !== undefined && { expiresAfterDays: body.expires_after_days }),
      ...(body.active !== undefined && { active: body.active }),
    }),
  );
