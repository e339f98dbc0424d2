import { clockOf } from '../../../domain/clock';
import { displayCurrency } from '../../../services/plans/list-plans';
import { packPriceIn } from '../../../domain/currency/pack-prices';
import { preferredLanguages } from '../../http/accept-language';
import type { HandlerInput } from '../../routing/define-route';
import { ownCredits } from '../../../services/credits/customer-credits';
import { listCreditPacks } from '../../../services/credits/credit-packs';
import { setSpendCap } from '../../../services/credits/credit-settings';
import { startCreditPurchase } from '../../../services/credits/purchase';
import { changeAutoTopUp } from '../../../services/credits/top-up';
import { returnUrl } from '../../validation/return-url';
import { alertSettings, setAlertSettings } from '../../../services/credits/alerts';
import { alertsDto, creditsDto, packDto, spendCapDto } from './dto';
import type { alertsBody, autoTopUpBody, purchaseBody, spendCapBody } from './schemas';

type Own<B = undefined> = HandlerInput<undefined, undefined, B, 'viewer'>;

export const getCredits = async ({ deps, identity }: Own) =>
  creditsDto(await ownCredits(deps.orm.em.fork(), identity, clockOf(deps).now()));

export const getSpendCap = async ({ deps, identity }: Own) =>
  spendCapDto(await ownCredits(deps.orm.em.fork(), identity, clockOf(deps).now()));

export async function putSpendCap({ deps, identity, body }: Own<typeof spendCapBody>) {
  const em = deps.orm.em.fork();
  const now = clockOf(deps).now();
  const { customerId } = await ownCredits(em, identity, now);
  await setSpendCap(
    em,
    customerId,
    body.amount_cents === null ? null : { cents: body.amount_cents, mode: body.mode },
    now,
  );
  return spendCapDto(await ownCredits(em, identity, now));
}

/** Packs on sale in the caller's currency (their own once fixed, else their `Accept-Language`'s). */
export const getCreditPacks = async ({
  deps,
  identity,
  ctx,
}: HandlerInput<undefined, undefined, undefined, 'public'>) => {
  const em = deps.orm.em.fork();
  const currency = await displayCurrency(em, {
    identity,
    languages: preferredLanguages(ctx.get('accept-language')),
  });
  const packs = await listCreditPacks(em);
  return { packs: packs.filter((p) => packPriceIn(p, currency) !== null).map((p) => packDto(p, currency)) };
};

export async function getAlerts({ deps, identity }: Own) {
  const em = deps.orm.em.fork();
  const { customerId } = await ownCredits(em, identity, clockOf(deps).now());
  return alertsDto(await alertSettings(em, customerId));
}

export async function putAlerts({ deps, identity, body }: Own<typeof alertsBody>) {
  const em = deps.orm.em.fork();
  const now = clockOf(deps).now();
  const { customerId } = await ownCredits(em, identity, now);
  return alertsDto(
    await setAlertSettings(
      em,
      customerId,
      {
        includedPercent: body.included_percent,
        balanceBelow: body.balance_below,
        overageCents: body.overage_cents,
      },
      now,
    ),
  );
}

export async function postPurchase(input: Own<typeof purchaseBody>) {
  const { deps, identity, body } = input;
  const session = await startCreditPurchase(deps, identity, {
    packId: body.pack_id,
    successUrl: returnUrl(
      input,
      'success_url',
      body.success_url,
      '/billing/credits?purchase={CHECKOUT_SESSION_ID}',
    ),
    cancelUrl: returnUrl(input, 'cancel_url', body.cancel_url, '/billing/credits?purchase=canceled'),
  });
  return { checkout_url: session.checkoutUrl, session_id: session.sessionId };
}

export async function putAutoTopUp({ deps, identity, body }: Own<typeof autoTopUpBody>) {
  await changeAutoTopUp(deps, identity, {
    enabled: body.enabled,
    threshold: body.threshold,
    packId: body.pack_id,
  });
  return creditsDto(await ownCredits(deps.orm.em.fork(), identity, clockOf(deps).now()));
}
