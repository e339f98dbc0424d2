import { useState } from 'react';
import { api, call } from '../api/client';
import { Card, Empty, ErrorNotice, Loading, Page } from '../components';
import { useLoad } from '../data';
import { date, dateTime, money } from '../format';
import { Link, useLocation } from '../router';
import { CustomerActions } from './admin-customer-actions';
import { CustomerCommitment } from './admin-customer-commitment';
import { CustomerPrepaidCommits } from './admin-customer-prepaid';
import { CustomerBudgets } from '../budgets';
import { CustomerCredits } from './admin-customer-credits';
import { CustomerEntitlements } from './admin-customer-entitlements';
import { CustomerMoney } from './admin-customer-money';
import { UpcomingInvoice } from '../upcoming-invoice';
import { WhatIfInvoice } from '../what-if-invoice';
import { CustomerAudit, CustomerKeys, CustomerUsage } from './admin-customer-records';

interface Change {
  old_tier: string | null;
  new_tier: string;
  old_status: string | null;
  new_status: string;
  old_amount_cents: number | null;
  new_amount_cents: number;
  old_interval: string | null;
  new_interval: string;
}

/** A recorded change in words: what it started as, or what moved from what to what. */
function describeChange(c: Change, currency: string): string {
  const price = (cents: number, interval: string) => `${money(cents, currency)} / ${interval}`;
  if (c.old_status === null)
    return `started on ${c.new_tier}, ${c.new_status}, ${price(c.new_amount_cents, c.new_interval)}`;
  const parts: string[] = [];
  if (c.old_tier !== c.new_tier) parts.push(`plan ${c.old_tier} → ${c.new_tier}`);
  if (c.old_status !== c.new_status) parts.push(`${c.old_status} → ${c.new_status}`);
  if (c.old_amount_cents !== c.new_amount_cents || c.old_interval !== c.new_interval)
    parts.push(
      `${price(c.old_amount_cents ?? 0, c.old_interval ?? c.new_interval)} → ${price(c.new_amount_cents, c.new_interval)}`,
    );
  // A status change alone says on what it happened.
  if (parts.length === 1 && c.old_tier === c.new_tier && c.old_amount_cents === c.new_amount_cents)
    parts.push(`on ${c.new_tier} at ${price(c.new_amount_cents, c.new_interval)}`);
  return parts.join(', ') || 'recorded again, nothing moved';
}

/**
 * One customer as an operator looks them up: their subscription and its history, the actions on it,
 * invoices and charges with refunds and credit notes, credits, entitlements and their overrides, usage this
 * period, provider keys (hints) and the audit entries about them.
 */
export function AdminCustomer() {
  const { query } = useLocation();
  const email = query.get('email') ?? '';
  const sub = useLoad(
    () => call(api.GET('/api/v1/admin/subscriptions/{email}', { params: { path: { email } } })),
    `admin-customer-${email}`,
  );
  // Bumped by every action, so the sections that show its effects (usage, audit) load again.
  const [round, setRound] = useState(0);
  const changed = () => {
    void sub.reload();
    setRound((r) => r + 1);
  };
  const title = email || 'Customer';
  if (sub.error) {
    return (
      <Page title={title} wide>
        <ErrorNotice error={sub.error} retry={sub.reload} />
        <p>
          <Link href="/admin/customers">All customers</Link>
        </p>
      </Page>
    );
  }
  if (!sub.data) {
    return (
      <Page title={title} wide>
        <Loading what="the customer" />
      </Page>
    );
  }
  const s = sub.data;
  return (
    <Page title={title} wide>
      <p>
        <Link href="/admin/customers">All customers</Link>
      </p>
      <div className="grid">
        <Card id="profile" title="Profile">
          <dl className="facts">
            <dt>Name</dt>
            <dd>{s.customer_name ?? '—'}</dd>
            <dt>User id</dt>
            <dd>
              <code>{s.user_id}</code>
            </dd>
            <dt>Stripe customer</dt>
            <dd>
              <code>{s.customer}</code>
            </dd>
            <dt>Billing address</dt>
            <dd data-testid="billing-address">
              {s.billing_address
                ? [
                    s.billing_address.line1,
                    s.billing_address.postal_code,
                    s.billing_address.city,
                    s.billing_address.country,
                  ]
                    .filter(Boolean)
                    .join(', ')
                : 'Not collected'}
            </dd>
            <dt>Tax ids</dt>
            <dd data-testid="tax-ids">
              {s.tax_ids.length ? s.tax_ids.map((t) => `${t.value} (${t.type})`).join(', ') : 'None'}
            </dd>
            <dt>Workflow</dt>
            <dd>
              {s.workflow_url ? (
                <a href={s.workflow_url} target="_blank" rel="noreferrer">
                  {s.workflow_id} in the Temporal UI
                </a>
              ) : (
                <code>{s.workflow_id}</code>
              )}
            </dd>
          </dl>
        </Card>
        <Card id="sub" title="Subscription">
          <dl className="facts">
            <dt>Plan</dt>
            <dd data-testid="admin-customer-tier">{s.tier}</dd>
            <dt>Status</dt>
            <dd>{s.status}</dd>
            <dt>Price</dt>
            <dd>
              {money(s.amount_cents, s.currency)} / {s.interval}
            </dd>
            <dt>MRR</dt>
            <dd>{money(s.mrr_cents, s.currency)}</dd>
            <dt>Current period</dt>
            <dd>
              {date(s.current_period_start)} – {date(s.current_period_end)}
            </dd>
            {s.cancel_at_period_end && (
              <>
                <dt>Ends</dt>
                <dd>At the period end</dd>
              </>
            )}
          </dl>
        </Card>
      </div>
      <CustomerActions email={email} sub={s} onChanged={changed} />
      <Card id="history" title="Timeline">
        {s.changes.length === 0 ? (
          <Empty>No change recorded yet.</Empty>
        ) : (
          <ol className="timeline" data-testid="timeline">
            {s.changes.map((c) => (
              <li key={`${c.subscription_id}-${c.at}-${c.new_status}-${c.new_tier}`}>
                <strong>{dateTime(c.at)}</strong>: {describeChange(c, s.currency)}
              </li>
            ))}
          </ol>
        )}
      </Card>
      <UpcomingInvoice
        loadKey={`admin-upcoming-${email}-${round}`}
        load={async () => {
          const { data, response } = await api.GET(
            '/api/v1/admin/billing/customers/{email}/invoices/upcoming',
            { params: { path: { email } } },
          );
          return response.status === 404 ? null : (data ?? null);
        }}
      />
      <WhatIfInvoice email={email} />
      <CustomerMoney email={email} onChanged={changed} />
      <CustomerCredits email={email} onChanged={changed} />
      <CustomerCommitment email={email} currency={s.currency} onChanged={changed} />
      <CustomerPrepaidCommits email={email} currency={s.currency} onChanged={changed} />
      <CustomerBudgets email={email} />
      <CustomerEntitlements email={email} onChanged={changed} />
      <CustomerUsage email={email} round={round} />
      <CustomerKeys email={email} />
      <CustomerAudit email={email} round={round} />
    </Page>
  );
}
