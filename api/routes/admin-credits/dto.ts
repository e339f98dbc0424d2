import type { StoredGrant } from '../../../db/credit-ledger';
import type { customerLedger } from '../../../services/credits/admin-credits';
import { creditsDto, grantDto } from '../credits/dto';

/** A grant as the console shows it: the customer's view and where it came from. */
export const adminGrantDto = (g: StoredGrant, remaining: number, live: boolean) => ({
  ...grantDto({ ...g, remaining, live }),
  source_key: g.sourceKey,
  actor: g.actor,
  stripe_object_id: g.stripeObjectId,
});

export const ledgerDto = (l: Awaited<ReturnType<typeof customerLedger>>) => ({
  email: l.email,
  credits: creditsDto(l.credits),
  movements: l.movements.map((m) => ({
    id: m.id,
    grant_id: m.grantId,
    kind: m.kind,
    amount: m.amount,
    at: m.at.toISOString(),
    reason: m.reason,
    actor: m.actor,
  })),
});
