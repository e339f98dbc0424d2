import { api, call } from '../api/client';
import { Card, Empty, Loaded, Table } from '../components';
import { useLoad } from '../data';
import { count, money } from '../format';

/** Usage billed this month per line of the rate cards (type and model), in the currency chosen. */
export function UsageRevenue({ currency }: { currency: string }) {
  const usage = useLoad(
    () => call(api.GET('/api/v1/admin/revenue/usage', { params: { query: { currency } } })),
    `usage-revenue-${currency}`,
  );
  return (
    <Card id="usage-revenue" title="Usage billed by type and model">
      <Loaded state={usage} what="usage billed">
        {(u) =>
          u.lines.length === 0 ? (
            <Empty>No usage billed in {u.month} yet.</Empty>
          ) : (
            <>
              <p className="muted">
                Billing periods that began in {u.month}, rated as Stripe is told:{' '}
                {money(u.total_cents, u.currency)} in all. The line <code>*</code> is the plans&rsquo; credit
                pools (overage).
              </p>
              <Table
                label="Usage billed by line"
                columns={[
                  'Line',
                  { label: 'Units billed', num: true },
                  { label: 'Of which included', num: true },
                  { label: 'Billed', num: true },
                  { label: 'Customers', num: true },
                ]}
              >
                {u.lines.map((l) => (
                  <tr key={l.key} data-testid={`usage-line-${l.key}`}>
                    <th scope="row">
                      <code>{l.key}</code>
                    </th>
                    <td className="num">{count(l.units)}</td>
                    <td className="num">{count(l.included_used)}</td>
                    <td className="num">{money(l.cost_cents, u.currency)}</td>
                    <td className="num">{count(l.customers)}</td>
                  </tr>
                ))}
              </Table>
            </>
          )
        }
      </Loaded>
    </Card>
  );
}
