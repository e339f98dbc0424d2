import type { PrepaidCommit } from './api/client';
import { Empty, Table } from './components';
import { date, money } from './format';

const STATUS: Record<PrepaidCommit['status'], string> = {
  funding: 'Being charged',
  active: 'In its term',
  declined: 'Declined, nothing credited',
  settled: 'Settled',
};

/** A commit's term in words: "3 billing periods from Nov 27, 2026; what is left expires". */
export function commitTerm(c: PrepaidCommit): string {
  const ending = c.unused === 'expire' ? 'what is left expires' : 'what is left stays on the balance';
  return `${c.periods} billing period${c.periods === 1 ? '' : 's'} from ${date(c.starts_at)}; ${ending}`;
}

/**
 * Prepaid commits, newest first: paid, drawn by invoices, left, and how each term ended (the customer's
 * Invoices page and the console's customer).
 */
export function PrepaidCommits({ commits }: { commits: PrepaidCommit[] }) {
  if (commits.length === 0) return <Empty>No prepaid commit yet.</Empty>;
  return (
    <Table
      label="Prepaid commits"
      columns={[
        'Term',
        'Status',
        { label: 'Paid', num: true },
        { label: 'Drawn', num: true },
        { label: 'Left', num: true },
        'At the term’s end',
      ]}
    >
      {commits.map((c) => (
        <tr key={c.id}>
          <th scope="row">{commitTerm(c)}</th>
          <td>{STATUS[c.status]}</td>
          <td className="num">{money(c.amount_cents, c.currency)}</td>
          <td className="num">{money(c.drawn_cents, c.currency)}</td>
          <td className="num">{money(c.remaining_cents, c.currency)}</td>
          <td>
            {c.status !== 'settled'
              ? '—'
              : c.unused === 'expire'
                ? `${money(c.expired_cents, c.currency)} expired ${date(c.term_ends_at ?? c.starts_at)}`
                : `${money(c.rolled_over_cents, c.currency)} rolled over ${date(c.term_ends_at ?? c.starts_at)}`}
          </td>
        </tr>
      ))}
    </Table>
  );
}
