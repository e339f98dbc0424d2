import { api, call } from '../api/client';
import { Card, Empty, Loaded, Table } from '../components';
import { useLoad } from '../data';
import { count, date, money } from '../format';

/**
 * Commitments this month, committed against consumed, in the currency chosen: minimums with their
 * true-ups, and prepaid commits with what their terms drew, expired and rolled over.
 */
export function CommitmentRevenue({ currency }: { currency: string }) {
  const state = useLoad(
    () => call(api.GET('/api/v1/admin/revenue/commitments', { params: { query: { currency } } })),
    `commitment-revenue-${currency}`,
  );
  return (
    <Card id="commitment-revenue" title="Commitments">
      <Loaded state={state} what="commitments">
        {(c) => (
          <>
            <dl className="facts" data-testid="commitment-totals">
              <dt>Live commitments</dt>
              <dd>
                {count(c.live.commitments)}, {money(c.live.monthly_minimum_cents, c.currency)} a month
              </dd>
              <dt>Committed in {c.month}</dt>
              <dd>{money(c.settled.minimum_cents, c.currency)}</dd>
              <dt>Consumed</dt>
              <dd>{money(c.settled.consumed_cents, c.currency)}</dd>
              <dt>Trued up</dt>
              <dd>
                {money(c.settled.true_up_cents, c.currency)} ({count(c.settled.short)} of{' '}
                {count(c.settled.periods)} periods short)
              </dd>
            </dl>
            <dl className="facts" data-testid="prepaid-commit-totals">
              <dt>Prepaid commits in their term</dt>
              <dd>
                {count(c.prepaid.live.commits)}, {money(c.prepaid.live.amount_cents, c.currency)} paid
              </dd>
              <dt>Terms ended in {c.month}</dt>
              <dd>
                {count(c.prepaid.settled.commits)}: {money(c.prepaid.settled.amount_cents, c.currency)} paid,{' '}
                {money(c.prepaid.settled.drawn_cents, c.currency)} drawn,{' '}
                {money(c.prepaid.settled.expired_cents, c.currency)} expired,{' '}
                {money(c.prepaid.settled.rolled_over_cents, c.currency)} rolled over
              </dd>
            </dl>
            {c.periods.length === 0 ? (
              <Empty>No period under a commitment ended in {c.month} yet.</Empty>
            ) : (
              <Table
                label="Periods settled this month"
                columns={[
                  'Customer',
                  'Period',
                  { label: 'Minimum', num: true },
                  { label: 'Consumed', num: true },
                  { label: 'True-up', num: true },
                ]}
              >
                {c.periods.map((p) => (
                  <tr key={`${p.email}-${p.period_start}`}>
                    <th scope="row">{p.email ?? '—'}</th>
                    <td>
                      {date(p.period_start)} – {date(p.period_end)}
                    </td>
                    <td className="num">{money(p.minimum_cents, c.currency)}</td>
                    <td className="num">{money(p.consumed_cents, c.currency)}</td>
                    <td className="num">{money(p.true_up_cents, c.currency)}</td>
                  </tr>
                ))}
              </Table>
            )}
          </>
        )}
      </Loaded>
    </Card>
  );
}
