import type { Commitments } from './api/client';
import { Empty, Table } from './components';
import { date, money } from './format';

/** What the live commitment promises, in words: "at least $50.00 a billing period from Dec 27, 2026". */
export function commitmentTerms(c: NonNullable<Commitments['commitment']>): string {
  return `at least ${money(c.minimum_cents, c.currency)} a billing period from ${date(c.starts_at)}`;
}

/**
 * Each period a commitment was settled for: what was billed, the minimum, and the true-up billed for the
 * shortfall (the customer's Invoices page and the console's customer).
 */
export function CommitmentPeriods({ periods }: { periods: Commitments['periods'] }) {
  if (periods.length === 0) return <Empty>No period has been settled yet.</Empty>;
  return (
    <Table
      label="Settled periods"
      columns={[
        'Period',
        { label: 'Billed', num: true },
        { label: 'Minimum', num: true },
        { label: 'True-up', num: true },
        'Invoice',
      ]}
    >
      {periods.map((p) => (
        <tr key={`${p.commitment_id}-${p.period_start}`}>
          <th scope="row">
            {date(p.period_start)} – {date(p.period_end)}
          </th>
          <td className="num">{money(p.consumed_cents, p.currency)}</td>
          <td className="num">{money(p.minimum_cents, p.currency)}</td>
          <td className="num">{money(p.true_up_cents, p.currency)}</td>
          <td>{p.invoice_id ? <code>{p.invoice_id}</code> : 'None owed'}</td>
        </tr>
      ))}
    </Table>
  );
}
