import type { EntityManager } from '@mikro-orm/core';
import { recordAudit } from '../../db/audit';
import { recordBillingEvent } from '../../db/billing-events';
import { EntitlementOverrideRow, type OverrideChange } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { countersFor } from '../../db/usage-counters';
import { overrideRefusal, planEntitlements } from '../../domain/entitlements';
import { AppError, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { entitlementObject } from '../../integrations/webhooks/objects';
import { accessOf } from '../access/check-access';
import { customerByEmail } from '../admin-lists/customer-detail';
import { effectiveEntitlements, entitlementsMemo } from './effective';

/** What an admin asks for: one feature, exactly one change, until when, and why. */
export interface OverrideRequest {
  email: string;
  feature: string;
  change: OverrideChange;
  expiresAt: Date | null;
  reason: string;
}

/** A customer's overrides, newest first, those removed included (the history of who had what). */
export async function listOverrides(em: EntityManager, email: string): Promise<EntitlementOverrideRow[]> {
  const customer = await customerByEmail(em, email);
  return em.find(
    EntitlementOverrideRow,
    { customerId: customer.id },
    { orderBy: { createdAt: 'desc', id: 'desc' } },
  );
}

/**
 * Publishes what the customer may use now that an override changed it (`access.changed`, so the gateway
 * drops its cached snapshot), and forgets this process's memo of it.
 */
async function publishChange(
  em: EntityManager,
  customerId: string,
  cause: 'override_added' | 'override_removed',
  row: EntitlementOverrideRow,
  now: Date,
): Promise<void> {
  countersFor(em).forgetSnapshot(entitlementsMemo(customerId));
  const access = await accessOf(em, customerId);
  const effective = await effectiveEntitlements(em, access, now);
  await recordBillingEvent(sqlFor(em), {
    customerId,
    type: 'access.changed',
    payload: {
      cause,
      tier: access.tier,
      status: access.status,
      allowed: access.live,
      override: {
        id: row.id,
        feature: row.feature,
        ...row.change,
        expires_at: row.expiresAt?.toISOString() ?? null,
      },
      entitlements: effective.map(entitlementObject),
    },
    dedupeKey: `access.changed:${cause}:${row.id}`,
    at: now,
  });
}

/**
 * An admin changes one customer's entitlement (grants a feature, takes one away, sets a limit or an
 * allowance's amount) until `expiresAt` or for good, with a reason. Audited, and published as
 * `access.changed`.
 */
export async function addOverride(
  em: EntityManager,
  actor: Identity,
  req: OverrideRequest,
  now: Date,
): Promise<EntitlementOverrideRow> {
  const customer = await customerByEmail(em, req.email);
  const access = await accessOf(em, customer.id);
  const plan = access.plan ? planEntitlements(access.plan) : [];
  const refusal = overrideRefusal(
    { feature: req.feature, ...req.change, expiresAt: req.expiresAt },
    plan,
    now,
  );
  if (refusal) throw new AppError('invalid', refusal.code, refusal.message, { field: refusal.field });
  const row = em.create(EntitlementOverrideRow, {
    id: newId('eov'),
    customerId: customer.id,
    feature: req.feature,
    change: req.change,
    expiresAt: req.expiresAt,
    reason: req.reason,
    actor: actor.email ?? actor.sub,
    createdAt: now,
  });
  recordAudit(em, {
    actor,
    action: 'entitlement_override.create',
    entityType: 'customer',
    entityId: customer.id,
    after: {
      feature: req.feature,
      ...req.change,
      expires_at: req.expiresAt?.toISOString() ?? null,
      reason: req.reason,
    },
  });
  await em.flush();
  await publishChange(em, customer.id, 'override_added', row, now);
  return row;
}

/** Ends an override now (it stays in the history as removed). Audited, and published. */
export async function removeOverride(
  em: EntityManager,
  actor: Identity,
  email: string,
  overrideId: string,
  now: Date,
): Promise<EntitlementOverrideRow> {
  const customer = await customerByEmail(em, email);
  const row = await em.findOne(EntitlementOverrideRow, { id: overrideId, customerId: customer.id });
  if (!row) throw notFound('entitlement_override', overrideId);
  if (row.removedAt) return row;
  row.removedAt = now;
  row.removedBy = actor.email ?? actor.sub;
  recordAudit(em, {
    actor,
    action: 'entitlement_override.remove',
    entityType: 'customer',
    entityId: customer.id,
    before: { id: row.id, feature: row.feature, ...row.change },
  });
  await em.flush();
  await publishChange(em, customer.id, 'override_removed', row, now);
  return row;
}
