import type { ByokKeyring } from '../../../config/byok-key';
import { clockOf } from '../../../domain/clock';
import { SnapshotSigner } from '../../../integrations/entitlements/snapshot';
import {
  checkFeature,
  customerEntitlements,
  entitlementSnapshot,
  entitlementsByEmail,
} from '../../../services/entitlements/customer-entitlements';
import { addOverride, listOverrides, removeOverride } from '../../../services/entitlements/overrides';
import type { HandlerInput } from '../../routing/define-route';
import { budgetClaimDto, checkDto, entitlementsDto, overrideDto, seatCreditsClaimDto } from './dto';
import type {
  checkBody,
  checkQuery,
  customerParams,
  customerRefQuery,
  overrideBody,
  overrideParams,
} from './schemas';

type Caller<Q, B = undefined> = HandlerInput<undefined, Q, B, 'viewer|billing-gateway'>;
type Admin<P, B = undefined> = HandlerInput<P, undefined, B, 'admin'>;

const refOf = (q: { customer_email?: string; user_id?: string }) => ({
  email: q.customer_email ?? null,
  userId: q.user_id ?? null,
});

// One signer per master key: its Ed25519 key is derived once, not on every snapshot.
const signers = new WeakMap<ByokKeyring, SnapshotSigner>();
function signerOf(keyring: ByokKeyring): SnapshotSigner {
  let signer = signers.get(keyring);
  if (!signer) {
    signer = new SnapshotSigner(keyring);
    signers.set(keyring, signer);
  }
  return signer;
}

export const getEntitlements = async ({ deps, identity, query }: Caller<typeof customerRefQuery>) =>
  entitlementsDto(await customerEntitlements(deps.orm.em, identity, refOf(query)));

async function answerCheck(
  { deps, identity }: Pick<Caller<undefined>, 'deps' | 'identity'>,
  ref: { customer_email?: string; user_id?: string },
  want: { feature: string; quantity: number; in_use: number },
) {
  return checkDto(
    await checkFeature(deps.orm.em, identity, refOf(ref), {
      feature: want.feature,
      quantity: want.quantity,
      inUse: want.in_use,
    }),
  );
}

export const postCheck = (input: Caller<typeof customerRefQuery, typeof checkBody>) =>
  answerCheck(input, input.query, input.body);

/** The same check, its question in the query string. */
export const getCheck = (input: Caller<typeof checkQuery>) => answerCheck(input, input.query, input.query);

export async function getSnapshot({ deps, identity, query }: Caller<typeof customerRefQuery>) {
  const { view, budgets, seats } = await entitlementSnapshot(deps.orm.em, identity, refOf(query));
  const signer = signerOf(deps.byok.keyring);
  const now = new Date();
  const ttl = deps.config.ENTITLEMENT_SNAPSHOT_TTL_SECONDS;
  const claims = {
    ...entitlementsDto(view),
    budgets: budgets.map(budgetClaimDto),
    seat_credits: seatCreditsClaimDto(seats),
  };
  const token = await signer.sign(view.customerId ?? 'none', claims, now, ttl);
  return {
    token,
    expires_at: new Date(Math.floor(now.getTime() / 1000) * 1000 + ttl * 1000).toISOString(),
    kid: signer.kid,
  };
}

export const getJwks = async ({ deps }: HandlerInput<undefined, undefined, undefined, 'public'>) =>
  signerOf(deps.byok.keyring).jwks();

export async function getCustomerEntitlements({ deps, params }: Admin<typeof customerParams>) {
  const em = deps.orm.em.fork();
  const [view, overrides] = await Promise.all([
    entitlementsByEmail(em, params.email),
    listOverrides(em.fork(), params.email),
  ]);
  const now = new Date();
  return {
    email: params.email,
    ...entitlementsDto(view),
    overrides: overrides.map((o) => overrideDto(o, now)),
  };
}

export async function postOverride({
  deps,
  identity,
  params,
  body,
}: Admin<typeof customerParams, typeof overrideBody>) {
  const now = clockOf(deps).now();
  const row = await addOverride(
    deps.orm.em.fork(),
    identity,
    {
      email: params.email,
      feature: body.feature,
      change: {
        ...(body.grant !== undefined && { grant: body.grant }),
        ...(body.limit !== undefined && { limit: body.limit }),
        ...(body.amount !== undefined && { amount: body.amount }),
      },
      expiresAt: body.expires_at ? new Date(body.expires_at) : null,
      reason: body.reason,
    },
    now,
  );
  return overrideDto(row, now);
}

export async function deleteOverride({ deps, identity, params }: Admin<typeof overrideParams>) {
  const now = clockOf(deps).now();
  const row = await removeOverride(deps.orm.em.fork(), identity, params.email, params.id, now);
  return overrideDto(row, now);
}
