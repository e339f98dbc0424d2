import type { HandlerInput } from '../../routing/define-route';
import { ownCredits } from '../../../services/credits/customer-credits';
import { listCreditPacks } from '../../../services/credits/credit-packs';
import { setSpendCap } from '../../../services/credits/credit-settings';
import { creditsDto, packDto, spendCapDto } from './dto';
import type { spendCapBody } from './schemas';

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
