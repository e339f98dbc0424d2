import type { Config } from '../../../config/env';
import type { InvoiceExplanation } from '../../../services/invoices/explain-invoice';
import type { LineCost } from '../../../domain/model-costs/margins';
import { explainedInvoiceDto, explainedLineDto } from '../invoices/explain-dto';

/** Stripe's dashboard page of an object (its test-mode pages while the engine runs on a test key). */
function stripeDashboardUrl(config: Config, path: string): string {
  const test = !config.STRIPE_SECRET_KEY || config.STRIPE_SECRET_KEY.startsWith('sk_test_');
  return `https://dashboard.stripe.com/${test ? 'test/' : ''}${path}`;
}

/** The Temporal UI's page of a workflow's run (or of its runs), when the UI's address is configured. */
function temporalUiUrl(config: Config, workflowId: string, runId: string | null): string | null {
  if (!config.TEMPORAL_UI_URL) return null;
  const base = config.TEMPORAL_UI_URL.replace(/\/+$/, '');
  const workflow = `${base}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${workflow}/${encodeURIComponent(runId)}/history` : workflow;
}

/** A usage line's cost to the platform beside its price: the margin it left. */
function costDto(c: LineCost | null, amountCents: number) {
  return (
    c && {
      cost_cents: c.costCents,
      margin_cents: amountCents - c.costCents,
      uncosted_units: c.uncostedUnits,
      byok_units: c.byokUnits,
      lines: c.lines.map((x) => ({ key: x.key, cost_cents: x.costCents })),
    }
  );
}

/** Everything the customer's explanation has, with the ids and links behind each line, for an admin. */
export function adminInvoiceExplanationDto(e: InvoiceExplanation, config: Config) {
  const workflows = [
    ...(e.workflows.subscription ? [{ role: 'subscription', id: e.workflows.subscription }] : []),
    ...(e.lines.some((l) => l.usage) ? [{ role: 'usage_rollup', id: e.workflows.usageRollup }] : []),
  ];
  return {
    invoice: { ...explainedInvoiceDto(e), engine_id: e.invoice.id },
    customer: { id: e.invoice.customer.id, email: e.invoice.customer.email },
    subscription_id: e.invoice.subscription?.id ?? null,
    all_match: e.allMatch,
    lines: e.lines.map((l, i) => ({
      ...explainedLineDto(l),
      cost: costDto(e.costs?.[i] ?? null, l.line.amountCents),
      stripe_line_id: l.line.stripeLineId,
      stripe_price_id: l.line.priceId,
      stripe_subscription_item_id: l.line.subscriptionItemId,
      stripe_invoice_item_id: l.line.invoiceItemId,
      plan_id: l.price?.planId ?? null,
      rollups:
        l.usage?.rollups.map((r) => ({
          id: r.id,
          type: r.type,
          line_key: r.lineKey,
          window_start: r.windowStart.toISOString(),
          window_end: r.windowEnd.toISOString(),
          units: r.units,
          meter_event_identifier: r.meterEventIdentifier,
          stripe_reported_at: r.stripeReportedAt?.toISOString() ?? null,
        })) ?? null,
    })),
    stripe: {
      invoice_url: stripeDashboardUrl(config, `invoices/${e.invoice.stripeInvoiceId}`),
      payment_intent_id: e.paymentIntentId,
      payment_intent_url: e.paymentIntentId
        ? stripeDashboardUrl(config, `payments/${e.paymentIntentId}`)
        : null,
      charges: e.charges.map((c) => ({
        id: c.stripeChargeId,
        amount_cents: c.amountCents,
        refunded_cents: c.refundedCents,
        status: c.status,
      })),
    },
    workflows: workflows.map((w) => {
      const runId = e.runs?.get(w.id) ?? null;
      return { ...w, run_id: runId, temporal_ui_url: temporalUiUrl(config, w.id, runId) };
    }),
  };
}
