import { type AdminInvoiceExplanation, type InvoiceExplanation } from './api/client';
import { Loaded, Notice, Table } from './components';
import { useLoad } from './data';
import { count, date, money } from './format';
import { DownloadButton } from './download-button';

type Explanation = InvoiceExplanation | AdminInvoiceExplanation;
type Line = InvoiceExplanation['lines'][number];
type AdminLine = AdminInvoiceExplanation['lines'][number];

const KIND: Record<Line['kind'], string> = {
  plan: 'Plan',
  usage: 'Usage',
  proration: 'Plan change',
  one_time: 'One-time',
};

const INTERVAL: Record<string, string> = { month: 'monthly', year: 'yearly' };

const WORKFLOW_ROLE: Record<AdminInvoiceExplanation['workflows'][number]['role'], string> = {
  subscription: 'Subscription',
  usage_rollup: 'Usage rollup',
};

function isAdmin(e: Explanation): e is AdminInvoiceExplanation {
  return 'stripe' in e;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** A rate-card line's name: `*` rates every event. */
function rateLine(key: string): string {
  return key === '*' ? 'All usage' : key;
}

/** How a line came to its amount, in plain words. */
function How({ line: l, currency }: { line: Line; currency: string }) {
  if (l.kind === 'plan' && l.plan) {
    const price = l.plan.unit_cents === null ? l.plan.name : money(l.plan.unit_cents, l.plan.currency);
    return (
      <>
        {count(l.quantity)} × {price} ({l.plan.name}, {INTERVAL[l.plan.interval] ?? l.plan.interval})
      </>
    );
  }
  if (l.kind === 'usage' && (l.usage || l.rated)) {
    const rated = l.rated ?? [];
    const included = rated.reduce((t, r) => t + r.included_units, 0);
    const priced = rated.reduce((t, r) => t + r.priced_units, 0);
    const ratedUnits = rated.reduce((t, r) => t + r.units, 0);
    const events = l.usage?.events;
    const units = events?.units ?? ratedUnits;
    return (
      <>
        {plural(units, 'unit')}
        {events && <> in {plural(events.count, 'event')}</>}: {count(included)} included, {count(priced)}{' '}
        priced
        {rated.map((r) => (
          <span key={r.line_key} className="small block">
            {rateLine(r.line_key)}: {plural(r.priced_units, 'priced unit')} → {money(r.cents, currency)}
          </span>
        ))}
        {events && events.paid_ahead_units > 0 && (
          <span className="small block">{count(events.paid_ahead_units)} paid ahead by credits</span>
        )}
        {l.usage?.credit_draws.map((d) => (
          <span key={d.grant_id} className="small block" data-testid="credit-draw">
            {plural(d.units, 'unit')} from prepaid credits <code>{d.grant_id}</code>
            {d.movement_ids.length > 1 ? `, drawn on ${plural(d.movement_ids.length, 'day')}` : ''}
          </span>
        ))}
        {events && rated.length > 0 && ratedUnits !== events.units - events.paid_ahead_units && (
          <span className="small block">The rollups hold {plural(ratedUnits, 'unit')}</span>
        )}
      </>
    );
  }
  if (l.kind === 'proration' && l.changes.length > 0) {
    return (
      <>
        {l.changes.map((c, i) => (
          <span key={i} className="block">
            {c.from_tier ?? 'No plan'} → {c.to_tier} on {date(c.at)}
          </span>
        ))}
      </>
    );
  }
  if (l.quantity > 1) return <>Quantity {count(l.quantity)}</>;
  return <>—</>;
}

/** The first 12 characters of a SHA-256, the whole of it on hover. */
function ShortHash({ hash }: { hash: string }) {
  return <code title={hash}>{hash.slice(0, 12)}…</code>;
}

/** What the console adds under a usage line: its rollups and the events they summed. */
function UsageTrail({ line: l }: { line: AdminLine }) {
  const events = l.usage?.events;
  const rollups = l.rollups ?? [];
  if (!l.usage && rollups.length === 0) return null;
  const shown = events?.ids.slice(0, 5) ?? [];
  return (
    <span className="small block" data-testid="usage-trail">
      {plural(l.usage?.rollups ?? rollups.length, 'rollup')}
      {events && events.count > 0 && (
        <>
          ; events {shown.join(', ')}
          {events.count > shown.length && ` and ${count(events.count - shown.length)} more`}; SHA-256 of the
          ids <ShortHash hash={events.ids_sha256} />
        </>
      )}
    </span>
  );
}

function Check({ line: l, currency }: { line: Line; currency: string }) {
  if (l.matches === true) return <span className="badge good">Recomputed ✓</span>;
  if (l.matches === false)
    return (
      <span className="badge bad">
        Differs: recomputed {l.recomputed_cents === null ? '—' : money(l.recomputed_cents, currency)}
      </span>
    );
  return (
    <>
      <span className="badge">As issued</span>
      {l.not_recomputed_because && <span className="small block">{l.not_recomputed_because}</span>}
    </>
  );
}

function Summary({ explanation: e }: { explanation: Explanation }) {
  if (!e.all_match)
    return (
      <Notice kind="warning">
        <strong>Some lines do not recompute to what was billed.</strong> The lines marked “Differs” show what
        their inputs come to now.
      </Notice>
    );
  const asIssued = e.lines.filter((l) => l.matches === null).length;
  return (
    <p data-testid="explain-summary">
      <span className="badge good" aria-hidden="true">
        ✓
      </span>{' '}
      {asIssued === 0
        ? 'Every line recomputes to what was billed.'
        : `Every line recomputed comes to what was billed; ${plural(asIssued, 'line is', 'lines are')} shown as issued.`}
    </p>
  );
}

/** Where the console links to: the invoice and its payment in Stripe's dashboard, and the workflows. */
function AdminLinks({ explanation: e }: { explanation: AdminInvoiceExplanation }) {
  return (
    <dl className="facts" data-testid="explain-links">
      <dt>Stripe</dt>
      <dd>
        <a href={e.stripe.invoice_url} target="_blank" rel="noreferrer">
          Invoice {e.invoice.id} in Stripe
        </a>
        {e.stripe.payment_intent_url && (
          <>
            {' · '}
            <a href={e.stripe.payment_intent_url} target="_blank" rel="noreferrer">
              Payment {e.stripe.payment_intent_id} in Stripe
            </a>
          </>
        )}
      </dd>
      <dt>Engine id</dt>
      <dd>
        <code>{e.invoice.engine_id}</code>
      </dd>
      {e.workflows.length > 0 && (
        <>
          <dt>Workflows</dt>
          <dd>
            {e.workflows.map((w) => (
              <span key={w.id} className="block">
                {WORKFLOW_ROLE[w.role] ?? w.role}:{' '}
                {w.temporal_ui_url ? (
                  <a href={w.temporal_ui_url} target="_blank" rel="noreferrer">
                    {w.id}
                  </a>
                ) : (
                  <code>{w.id}</code>
                )}
              </span>
            ))}
          </dd>
        </>
      )}
    </dl>
  );
}

/**
 * An invoice explained line by line (the customer's Invoices page, the console's customer): what each line
 * bills and how, in plain words, and whether the engine's rules recompute it to the cents issued; the
 * console's adds Stripe's and Temporal's links and the usage each usage line summed.
 */
export function InvoiceExplanationView({
  explanation: e,
  csvPath,
  level = 3,
}: {
  explanation: Explanation;
  /** The explanation as CSV (the same route with `?format=csv`). */
  csvPath: string;
  /** The heading's level, under the page's or the card's. */
  level?: 2 | 3;
}) {
  const label = e.invoice.number ?? e.invoice.id;
  const Heading = `h${level}` as const;
  const admin = isAdmin(e) ? e : null;
  const currency = e.invoice.currency;
  const headingId = `explain-${e.invoice.id}-heading`;
  return (
    <section className="explanation" aria-labelledby={headingId}>
      <div className="row-actions">
        <Heading id={headingId}>Invoice {label} explained</Heading>
        <DownloadButton
          path={csvPath}
          name={`invoice-${label}-explained.csv`}
          text="Download CSV"
          label={`Download CSV explaining invoice ${label}`}
        />
        {admin && (
          <DownloadButton
            path={csvPath.replace(/format=csv$/, 'format=zip')}
            name={`invoice-${label}-evidence.zip`}
            text="Evidence pack"
            label={`Evidence pack of invoice ${label}`}
          />
        )}
      </div>
      <Summary explanation={e} />
      {admin && <AdminLinks explanation={admin} />}
      <Table
        label={`Lines of invoice ${label}`}
        columns={['Line', 'Plan', 'How', { label: 'Amount', num: true }, 'Check']}
      >
        {e.lines.map((l, i) => {
          const adminLine = admin ? admin.lines[i] : undefined;
          return (
            <tr key={adminLine?.stripe_line_id ?? i}>
              <th scope="row">
                {KIND[l.kind] ?? l.kind}
                <span className="small block">{l.description}</span>
                {adminLine && (
                  <span className="small block">
                    <code>{adminLine.stripe_line_id}</code>
                  </span>
                )}
              </th>
              <td>{l.plan?.name ?? '—'}</td>
              <td>
                <How line={l} currency={currency} />
                {adminLine && l.kind === 'usage' && <UsageTrail line={adminLine} />}
              </td>
              <td className="num">
                {money(l.amount_cents, currency)}
                {l.discount_cents > 0 && (
                  <span className="small block">−{money(l.discount_cents, currency)} off</span>
                )}
                {l.tax_cents > 0 && <span className="small block">+{money(l.tax_cents, currency)} tax</span>}
                {adminLine?.cost && (
                  <span className="small block" data-testid="line-cost">
                    cost {money(adminLine.cost.cost_cents, currency)}, margin{' '}
                    {money(adminLine.cost.margin_cents, currency)}
                  </span>
                )}
              </td>
              <td>
                <Check line={l} currency={currency} />
              </td>
            </tr>
          );
        })}
      </Table>
      <Totals explanation={e} />
    </section>
  );
}

/** The invoice's own totals, under its lines. */
function Totals({ explanation: { invoice: v } }: { explanation: Explanation }) {
  return (
    <dl className="facts" data-testid="explain-totals">
      <dt>Subtotal</dt>
      <dd>{money(v.subtotal_cents, v.currency)}</dd>
      {v.discount_cents > 0 && (
        <>
          <dt>Coupon</dt>
          <dd>−{money(v.discount_cents, v.currency)}</dd>
        </>
      )}
      {v.tax_cents > 0 && (
        <>
          <dt>Tax</dt>
          <dd>{money(v.tax_cents, v.currency)}</dd>
        </>
      )}
      <dt>Total</dt>
      <dd>
        <strong>{money(v.total_cents, v.currency)}</strong>
      </dd>
      <dt>Paid</dt>
      <dd>{money(v.amount_paid_cents, v.currency)}</dd>
    </dl>
  );
}

/** Loads an invoice's explanation and shows it (see InvoiceExplanationView). */
export function ExplainedInvoice({
  load,
  loadKey,
  csvPath,
  level,
}: {
  load: () => Promise<Explanation>;
  loadKey: string;
  csvPath: string;
  level?: 2 | 3;
}) {
  const state = useLoad(load, loadKey);
  return (
    <Loaded state={state} what="the explanation">
      {(e) => <InvoiceExplanationView explanation={e} csvPath={csvPath} level={level} />}
    </Loaded>
  );
}
