import type { paths } from '../api/openapi.gen';
import { Card, Table } from '../components';
import { count, money } from '../format';

type Report =
  paths['/api/v1/admin/plan-migrations/{migration_id}']['get']['responses'][200]['content']['application/json'];
type Summary = NonNullable<Report['summary']>;

const BAR = { before: '#8a94a6', after: '#1f4fbf' };

/**
 * Monthly revenue before and after, a pair of bars per currency, drawn to one scale per currency; the
 * figures are in the bars' labels and in the text beside, so the chart adds nothing a reader would miss.
 */
function RevenueBars({ mrr }: { mrr: Summary['mrr'] }) {
  const rowHeight = 56;
  const width = 520;
  const labelWidth = 70;
  const barSpace = width - labelWidth - 110;
  return (
    <figure className="chart">
      <svg
        role="img"
        aria-label={`Monthly revenue before and after: ${mrr
          .map(
            (m) => `${money(m.before_cents, m.currency)} before, ${money(m.after_cents, m.currency)} after`,
          )
          .join('; ')}`}
        viewBox={`0 0 ${width} ${rowHeight * mrr.length}`}
        style={{ width: '100%', maxWidth: `${width}px` }}
      >
        {mrr.map((m, i) => {
          const top = i * rowHeight;
          const most = Math.max(m.before_cents, m.after_cents, 1);
          const bars = [
            { key: 'before', cents: m.before_cents, y: top + 6 },
            { key: 'after', cents: m.after_cents, y: top + 28 },
          ] as const;
          return (
            <g key={m.currency}>
              <text x={0} y={top + 30} fontSize="14">
                {m.currency.toUpperCase()}
              </text>
              {bars.map((b) => (
                <g key={b.key}>
                  <rect
                    x={labelWidth}
                    y={b.y}
                    height={18}
                    width={Math.max(1, (b.cents / most) * barSpace)}
                    fill={BAR[b.key]}
                  />
                  <text x={labelWidth + (b.cents / most) * barSpace + 6} y={b.y + 14} fontSize="13">
                    {b.key} {money(b.cents, m.currency)}
                  </text>
                </g>
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption>Monthly recurring revenue of the subscribers it moves, before and after</figcaption>
    </figure>
  );
}

/** A finished rehearsal: the totals, the chart, every move worked out, and the approval into the real run. */
export function RehearsalReport({ r, onApprove, busy }: { r: Report; onApprove(): void; busy: boolean }) {
  const s = r.summary;
  if (!s) return null;
  return (
    <Card id="rehearsal" title={`Rehearsal of ${r.plan_id} to version ${r.version}`}>
      <p className="muted small">
        Worked out for {count(r.progress.candidates)} subscriber(s), moving at{' '}
        {r.when === 'now' ? 'once' : 'each period end'}. Nothing was changed, in Stripe or here.
      </p>
      <ul data-testid="rehearsal-summary">
        {s.mrr.map((m) => (
          <li key={m.currency}>
            Monthly revenue {money(m.before_cents, m.currency)} → {money(m.after_cents, m.currency)}
          </li>
        ))}
        <li>
          {count(s.pay_more)} pay more, {count(s.pay_less)} pay less, {count(s.pay_same)} the same,{' '}
          {count(s.failed)} could not be moved
        </li>
        {s.due_now.map((d) => (
          <li key={d.currency}>Invoiced at once for the rest of the period: {money(d.cents, d.currency)}</li>
        ))}
        {s.margin.map((m) => (
          <li key={`margin-${m.currency}`}>
            Monthly margin {money(m.before_cents, m.currency)} → {money(m.after_cents, m.currency)} (fees and
            the last 30 days of usage, less its provider cost of {money(m.cost_cents, m.currency)})
          </li>
        ))}
      </ul>
      <RevenueBars mrr={s.mrr} />
      <Table
        label="Each move as rehearsed"
        columns={[
          'Subscription',
          { label: 'Now', num: true },
          { label: 'After', num: true },
          { label: 'Due now', num: true },
          'Included credits',
          'Entitlements',
          'Stripe',
          { label: 'Margin a month', num: true },
        ]}
      >
        {r.subscriptions.map((i) => {
          const d = i.rehearsal;
          return (
            <tr key={i.subscription_id}>
              <th scope="row">
                <code>{i.subscription_id}</code>
              </th>
              <td className="num">{d ? money(d.next_invoice.before_cents, d.currency) : '—'}</td>
              <td className="num">
                {i.outcome === 'failed'
                  ? `not moved: ${i.reason}`
                  : d
                    ? money(d.next_invoice.after_cents, d.currency)
                    : '—'}
              </td>
              <td className="num">{d?.proration ? money(d.proration.due_now_cents, d.currency) : '—'}</td>
              <td>{d ? `${count(d.included_credits.before)} → ${count(d.included_credits.after)}` : '—'}</td>
              <td>
                {d && d.entitlement_changes.length > 0
                  ? d.entitlement_changes.map((c) => `${c.feature} ${c.change}`).join(', ')
                  : 'Nothing'}
              </td>
              <td>
                {d && d.stripe_calls.length > 0
                  ? d.stripe_calls
                      .map((c) => `${c.method} ${c.path} (${c.at === 'now' ? 'now' : 'at period end'})`)
                      .join('; ')
                  : 'none'}
              </td>
              <td className="num">
                {d?.margin
                  ? `${money(d.margin.before_cents, d.currency)} → ${money(d.margin.after_cents, d.currency)}`
                  : '—'}
              </td>
            </tr>
          );
        })}
      </Table>
      <button type="button" disabled={busy} onClick={onApprove}>
        Approve and migrate {count(r.progress.candidates)}
      </button>
    </Card>
  );
}
