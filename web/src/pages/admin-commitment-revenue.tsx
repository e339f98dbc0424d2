import { api, call } from '../api/client';
import { Card, Empty, Loaded, Table } from '../components';
import { useLoad } from '../data';
import { count, date, money } from '../format';

/** Minimum commitments this month, committed against consumed, in the currency chosen. */
export function CommitmentRevenue({ currency }: { currency: string }) {
  const state = useLoad(
    () => call(api.GET('/api/v1/admin/revenue/commitments', { params: { query: { currency } } })),
    `commitment-revenue-${currency}`,
  );
  return (
    <Card id="commitment-revenue" title="Minimum commitments">
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
