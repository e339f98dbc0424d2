import type { ReactNode } from 'react';
import type { UpcomingInvoice as Upcoming } from './api/client';
import { Card, Table } from './components';
import { useLoad } from './data';
import { date, money } from './format';

const KIND: Record<string, string> = {
  plan: 'Plan',
  usage: 'Usage so far',
  proration: 'Plan change',
  one_time: 'One-time',
};

/**
 * The next invoice as Stripe would issue it now, line by line (the customer's Invoices page, the console's
 * customer); nothing when no plan renews (the API's 404 `no_upcoming_invoice`).
 */
export function UpcomingInvoice({
  load,
  loadKey,
}: {
  /** The API's answer, or null for its 404 `no_upcoming_invoice`. */
  load: () => Promise<Upcoming | null>;
  loadKey: string;
}) {
  const upcoming = useLoad(load, loadKey);
  const u = upcoming.data;
  if (!u) return null;
  return (
    <Card id="upcoming" title={`Upcoming invoice, ${date(u.issued_at)}`} wide>
      <Table label="Upcoming invoice" columns={['Line', 'Period', { label: 'Amount', num: true }]}>
        {u.lines.map((l, i) => (
          <tr key={i}>
            <th scope="row">
              {KIND[l.kind] ?? l.kind}
              <span className="small block">{l.description}</span>
            </th>
            <td>
              {date(l.period_start)} – {date(l.period_end)}
            </td>
            <td className="num">{money(l.amount_cents, u.currency)}</td>
          </tr>
        ))}
      </Table>
      <InvoiceTotals invoice={u} testId="upcoming-totals" />
      <p className="small muted">Usage is what was reported so far; more usage before then adds to it.</p>
    </Card>
  );
}

/** A previewed invoice's totals: subtotal, the coupon and tax when there are any, what is due. */
export function InvoiceTotals({
  invoice: u,
  testId,
  dueNote,
  children,
}: {
  invoice: Pick<
    Upcoming,
    'currency' | 'subtotal_cents' | 'discount_cents' | 'tax_cents' | 'amount_due_cents'
  >;
  testId: string;
  /** Said after the amount due. */
  dueNote?: string;
  /** Facts shown before the subtotal. */
  children?: ReactNode;
}) {
  return (
    <dl className="facts" data-testid={testId}>
      {children}
      <dt>Subtotal</dt>
      <dd>{money(u.subtotal_cents, u.currency)}</dd>
      {u.discount_cents > 0 && (
        <>
          <dt>Coupon</dt>
          <dd>−{money(u.discount_cents, u.currency)}</dd>
        </>
      )}
      {u.tax_cents > 0 && (
        <>
          <dt>Tax</dt>
          <dd>{money(u.tax_cents, u.currency)}</dd>
        </>
      )}
      <dt>Due</dt>
      <dd>
        <strong>{money(u.amount_due_cents, u.currency)}</strong>
        {dueNote && <> ({dueNote})</>}
      </dd>
    </dl>
  );
}
