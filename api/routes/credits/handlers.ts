import type { HandlerInput } from '../../routing/define-route';
import { ownCredits } from '../../../services/credits/customer-credits';
import { listCreditPacks } from '../../../services/credits/credit-packs';
import { setSpendCap } from '../../../services/credits/credit-settings';
import { alertSettings, setAlertSettings } from '../../../services/credits/alerts';
import { alertsDto, creditsDto, packDto, spendCapDto } from './dto';
import type { alertsBody, spendCapBody } from './schemas';

type Own<B = undefined> = HandlerInput<undefined, undefined, B, 'viewer'>;

export const getCredits = async ({ deps, identity }: Own) =>
  creditsDto(await ownCredits(deps.orm.em.fork(), identity, new Date()));

export const getSpendCap = async ({ deps, identity }: Own) =>
  spendCapDto(await ownCredits(deps.orm.em.fork(), identity, new Date()));

export async function putSpendCap({ deps, identity, body }: Own<typeof spendCapBody>) {
  const em = deps.orm.em.fork();
  const now = new Date();
  const { customerId } = await ownCredits(em, identity, now);
  await setSpendCap(
    em,
    customerId,
    body.amount_cents === null ? null : { cents: body.amount_cents, mode: body.mode },
  );
  return spendCapDto(await ownCredits(em, identity, now));
}

export const getCreditPacks = async ({ deps }: HandlerInput<undefined, undefined, undefined, 'public'>) => ({
  packs: (await listCreditPacks(deps.orm.em)).map(packDto),
});

export async function getAlerts({ deps, identity }: Own) {
  const em = deps.orm.em.fork();
  const { customerId } = await ownCredits(em, identity, new Date());
  return alertsDto(await alertSettings(em, customerId));
}

export async function putAlerts({ deps, identity, body }: Own<typeof alertsBody>) {
  const em = deps.orm.em.fork();
  const { customerId } = await ownCredits(em, identity, new Date());
  return alertsDto(
    await setAlertSettings(em, customerId, {
      includedPercent: body.included_percent,
      balanceBelow: body.balance_below,
      overageCents: body.overage_cents,
    }),
  );
}
