import { useEffect, useState } from 'react';
import { api, type ApiError, call, type ChangeAnswer, type Plan } from '../api/client';
import { ErrorNotice, Loading, Notice, Page } from '../components';
import { useLoad } from '../data';
import { date, money } from '../format';
import { type Cycle, cycleOf, cycleParam, intervalOf } from '../plan-terms';
import { Link, navigate, useLocation } from '../router';
import { CycleSwitch, priceOf } from './plans';

type Preview = Extract<ChangeAnswer, { preview: true }>;
type Applied = Exclude<ChangeAnswer, { preview: true }>;

async function loadChangeData() {
  const [sub, plans] = await Promise.all([
    call(api.GET('/api/v1/billing/subscription')),
    call(api.GET('/api/v1/subscriptions/plans')),
  ]);
  return { sub, plans: plans.filter((p) => p.status === 'active' && p.price_yearly_cents !== null) };
}

/** Every other plan and cycle; the API's proration preview before anything changes. */
export function ChangePlan() {
  const { query } = useLocation();
  const d = useLoad(loadChangeData, 'change-plan');
  const [target, setTarget] = useState<string>(query.get('plan') ?? '');
  const [cycle, setCycle] = useState(cycleParam(query.get('cycle')));
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<Applied | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const sub = d.data?.sub;
  const currentCycle = cycleOf(sub && sub.status !== 'none' ? sub.interval : undefined);
  const same = sub && target === sub.tier && cycle === currentCycle;

  useEffect(() => {
    setPreview(null);
    setPreviewError(null);
    if (!target || !sub || sub.status === 'none' || same) return;
    let live = true;
    call(
      api.POST('/api/v1/billing/subscription/upgrade', {
        body: { new_tier_id: target, billing_cycle: cycle, preview: true },
      }),
    ).then(
      (answer) => live && 'preview' in answer && setPreview(answer),
      (err: unknown) => live && setPreviewError(err as ApiError),
    );
    return () => {
      live = false;
    };
  }, [target, cycle, sub, same]);

  if (d.error)
    return (
      <Page title="Change plan">
        <ErrorNotice error={d.error} retry={d.reload} />
      </Page>
    );
  if (!d.data || !sub)
    return (
      <Page title="Change plan">
        <Loading what="your plan" />
      </Page>
    );
  if (sub.status === 'none') {
    return (
      <Page title="Change plan">
        <p>
          You have no plan to change. <Link href="/plans">Choose one</Link>.
        </p>
      </Page>
    );
  }
  const plans = d.data.plans;
  const current = plans.find((p) => p.id === sub.tier);
  if (sub.status === 'trialing' && !current) {
    return <TrialContinuation plans={plans} trialEnd={sub.trial_end} chosen={sub.pending_change?.tier} />;
  }

  const confirm = async () => {
    if (!preview) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await call(
        api.POST('/api/v1/billing/subscription/upgrade', {
          body: { new_tier_id: target, billing_cycle: cycle, when: preview.when },
        }),
      );
      if (!('preview' in answer)) setDone(answer);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    return (
      <Page title="Plan changed">
        <Notice kind="success">
          <p>
            {done.status === 'applied'
              ? `You are now on ${done.new_tier}.`
              : `Your plan changes to ${done.new_tier} on ${date(done.effective_at)}. Until then nothing changes.`}
          </p>
          <p>
            <button type="button" onClick={() => navigate('/billing')}>
              Back to billing
            </button>
          </p>
        </Notice>
      </Page>
    );
  }

  return (
    <Page title="Change plan">
      <p>
        You are on <strong>{current?.display_name ?? sub.tier}</strong> (
        {money(sub.amount_cents, sub.currency)} / {sub.interval}). Upgrades start now with the unused part of
        this period credited; downgrades start when the period ends on {date(sub.current_period_end)}.
      </p>
      <CycleSwitch cycle={cycle} onChange={setCycle} />
      <fieldset className="choices">
        <legend>New plan</legend>
        {plans.map((p) => {
          const price = priceOf(p, cycle);
          const isCurrent = p.id === sub.tier && cycle === currentCycle;
          return (
            <label key={p.id} className={target === p.id ? 'choice selected' : 'choice'}>
              <input
                type="radio"
                name="plan"
                value={p.id}
                checked={target === p.id}
                disabled={isCurrent}
                onChange={() => setTarget(p.id)}
              />
              <span>
                <strong>{p.display_name}</strong> — {money(price.cents, p.currency)} / {price.per}
                {isCurrent && ' (current)'}
              </span>
            </label>
          );
        })}
      </fieldset>
      <section aria-live="polite" aria-labelledby="preview-heading" className="card">
        <h2 id="preview-heading">What changes</h2>
        {!target || same ? (
          <p className="muted">Pick a plan to see what it costs.</p>
        ) : previewError ? (
          <ErrorNotice error={previewError} />
        ) : !preview ? (
          <Loading what="the price preview" />
        ) : (
          <div data-testid="preview">
            <dl className="facts">
              <dt>When</dt>
              <dd>{preview.when === 'now' ? 'Now' : `At the period end, ${date(sub.current_period_end)}`}</dd>
              {preview.when === 'now' && (
                <>
                  <dt>Credit for unused time</dt>
                  <dd>{money(-Math.abs(preview.credit_cents), sub.currency)}</dd>
                  <dt>New plan for the rest of the period</dt>
                  <dd>{money(preview.charge_cents, sub.currency)}</dd>
                </>
              )}
              <dt>Due now</dt>
              <dd>
                <strong>{money(preview.amount_due_now_cents, sub.currency)}</strong>
              </dd>
              <dt>Then each {intervalOf(cycle)}</dt>
              <dd>{money(preview.next_amount_cents, sub.currency)}</dd>
            </dl>
            {error && <ErrorNotice error={error} />}
            <button type="button" onClick={() => void confirm()} disabled={busy}>
              {busy ? 'Changing…' : preview.when === 'now' ? 'Confirm and pay' : 'Schedule the change'}
            </button>{' '}
            <Link href="/billing">Keep my plan</Link>
          </div>
        )}
      </section>
    </Page>
  );
}

/** During the $1 trial: the plan it becomes when it ends, billed then without a new checkout. */
function TrialContinuation({
  plans,
  trialEnd,
  chosen,
}: {
  plans: Plan[];
  trialEnd: string | null;
  chosen: string | undefined;
}) {
  const [target, setTarget] = useState(chosen ?? '');
  const [cycle, setCycle] = useState<Cycle>('monthly');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await call(
        api.POST('/api/v1/billing/trial/continuation', { body: { tier_id: target, billing_cycle: cycle } }),
      );
      setDone(
        `Your trial continues on ${r.continuation.tier} at ${money(r.continuation.amount_cents, plans[0]?.currency)} / ${r.continuation.interval} from ${date(r.continuation.effective_at)}.`,
      );
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Page title="Change plan">
      <p>
        You are on the trial until {date(trialEnd)}. Pick the plan it continues into; nothing is charged
        before then.
      </p>
      <CycleSwitch cycle={cycle} onChange={setCycle} />
      <fieldset className="choices">
        <legend>Continue with</legend>
        {plans.map((p) => {
          const price = priceOf(p, cycle);
          return (
            <label key={p.id} className={target === p.id ? 'choice selected' : 'choice'}>
              <input type="radio" name="plan" checked={target === p.id} onChange={() => setTarget(p.id)} />
              <span>
                <strong>{p.display_name}</strong> — {money(price.cents, p.currency)} / {price.per}
                {chosen === p.id && ' (chosen now)'}
              </span>
            </label>
          );
        })}
      </fieldset>
      {error && <ErrorNotice error={error} />}
      {done ? (
        <Notice kind="success">
          <p>{done}</p>
          <p>
            <Link href="/billing">Back to billing</Link>
          </p>
        </Notice>
      ) : (
        <button type="button" onClick={() => void save()} disabled={busy || !target}>
          {busy ? 'Saving…' : 'Continue with this plan'}
        </button>
      )}
    </Page>
  );
}
