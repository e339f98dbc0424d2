import type { Config } from '../../../config/env';
import type { PeriodEvent } from '../../../db/invoice-lineage';
import type { InvoiceExplanation } from '../../../services/invoices/explain-invoice';
import { zipArchive } from '../../../services/invoices/zip-archive';
import { csvCell } from '../../../services/admin-lists/export-customers';
import { invoiceExplanationCsv } from '../invoices/explain-dto';
import { adminInvoiceExplanationDto } from './explain-dto';

function eventsCsv(events: readonly PeriodEvent[]): string {
  const rows = events.map((e) =>
    [e.eventId, e.type, String(e.quantity), String(e.paidAhead), e.occurredAt.toISOString(), e.subject]
      .map(csvCell)
      .join(','),
  );
  return ['event_id,type,units,paid_ahead_units,occurred_at,subject', ...rows].join('\r\n') + '\r\n';
}

function readme(e: InvoiceExplanation): string {
  const i = e.invoice;
  return [
    `Invoice ${i.number ?? i.stripeInvoiceId} (${i.stripeInvoiceId}), issued to ${i.customer.email}.`,
    '',
    'explanation.json  every line: the plan version and price it bills, the usage it was rated from, the',
    '                  rollups and meter events behind it, the payment, the workflows; each line recomputed',
    "                  with the engine's rules beside the amount issued (matches).",
    'explanation.csv   the same lines as a table, with a row for each rate-card line a usage line was rated by.',
    'events.csv        every usage event the usage lines summed, in event id order.',
    '',
    "A usage line's ids_sha256 is the SHA-256 of the event_id column of events.csv for its period, each id",
    'followed by a line feed: anyone holding the same events gets the same sum.',
    '',
  ].join('\n');
}

/**
 * A dispute's evidence pack: the explanation as JSON and CSV and every event behind it, in one ZIP whose
 * files are stamped with the invoice's date (the same invoice gives the same bytes until it changes).
 */
export function evidencePack(e: InvoiceExplanation, events: readonly PeriodEvent[], config: Config): Buffer {
  const dto = adminInvoiceExplanationDto(e, config);
  // A dispute's evidence goes to the customer's bank: what the platform pays its providers stays home.
  const json = JSON.stringify({ ...dto, lines: dto.lines.map(({ cost: _cost, ...line }) => line) }, null, 2);
  return zipArchive(
    [
      { name: 'README.txt', data: Buffer.from(readme(e)) },
      { name: 'explanation.json', data: Buffer.from(json) },
      { name: 'explanation.csv', data: Buffer.from(invoiceExplanationCsv(e)) },
      { name: 'events.csv', data: Buffer.from(eventsCsv(events)) },
    ],
    e.invoice.createdAt,
  );
}
