import { Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/core';
import { csvCell } from '../admin-lists/export-customers';
import { AuditEntry } from '../../db/entities';
import { NEWEST_ID_FIRST, seekRows } from '../../db/keyset-pagination';
import { auditWhere, shownImage, type AuditFilter } from './list-audit-log';

/** Entries fetched per query while streaming: a keyset page, so memory stays flat however long the log. */
const BATCH = 500;
const HEADER = [
  'id',
  'created_at',
  'actor_id',
  'actor_email',
  'action',
  'entity_type',
  'entity_id',
  'before',
  'after',
];

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/**
 * The entries `GET /admin/audit-log` would page through for the same filter, newest first, as CSV,
 * streamed a keyset page at a time; before and after as JSON, and every cell that starts like a
 * spreadsheet formula prefixed with a quote.
 */
export async function exportAuditLogCsv(em: EntityManager, filter: AuditFilter): Promise<Readable> {
  // Resolved before the first byte, so an unknown customer is a 404 rather than a cut-off download.
  const where = await auditWhere(em.fork(), filter);
  async function* lines() {
    yield `${HEADER.join(',')}\r\n`;
    let cursor: string | undefined;
    do {
      const page = await seekRows(em.fork(), AuditEntry, where, {
        key: NEWEST_ID_FIRST,
        limit: BATCH,
        cursor,
      });
      for (const e of page.items) {
        yield `${[
          e.id,
          e.createdAt.toISOString(),
          e.actorId,
          e.actorEmail ?? null,
          e.action,
          e.entityType,
          e.entityId,
          json(shownImage(e.entityType, e.before)),
          json(shownImage(e.entityType, e.after)),
        ]
          .map(csvCell)
          .join(',')}\r\n`;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return Readable.from(lines());
}
