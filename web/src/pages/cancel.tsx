import { useState } from 'react';
import { api, type ApiError, call } from '../api/client';
import { Card, ErrorNotice, Loaded, Notice, Page } from '../components';
import { useLoad } from '../data';
import { date } from '../format';
import { Link, navigate } from '../router';

/** Cancel at the period end (the default, undoable until then) or now. */
export function CancelPlan() {
  const sub = useLoad(() => call(api.GET('/api/v1/billing/subscription')), 'cancel');
  const plans = useLoad(() => call(api.GET('/api/v1/subscriptions/plans')), 'cancel-plans');
  const [when, setWhen] = useState<'period_end' | 'now'>('period_end');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  return (
    <Page title="Cancel plan">
      <Loaded state={sub} what="your plan">
        {(s) => {
          if (s.status === 'none' || s.status === 'canceled') {
            return (
              <>
                <p>
                  You have no plan to cancel. <Link href="/plans">See the plans</Link>.
                </p>
              </>
            );
          }
          const act = async (request: () => Promise<unknown>) => {
            setBusy(true);
            setError(null);
            try {
              await request();
              navigate('/billing');
            } catch (err) {
              setError(err as ApiError);
              setBusy(false);
            }
          };
          const submit = () =>
            act(() =>
              call(
                api.POST('/api/v1/billing/subscription/cancel', {
                  body: { at_period_end: when === 'period_end' },
                }),
              ),
            );
          const pause = () => act(() => call(api.POST('/api/v1/billing/subscription/pause', { body: {} })));
          const pausable =
            s.status === 'active' && plans.data?.find((p) => p.id === s.tier)?.pausable === true;
          return (
            <>
              <form className="form" onSubmit={(e) => (e.preventDefault(), void submit())}>
                <fieldset className="choices">
                  <legend>When should your {s.tier} plan end?</legend>
                  <label className={when === 'period_end' ? 'choice selected' : 'choice'}>
                    <input
                      type="radio"
                      name="when"
                      checked={when === 'period_end'}
                      onChange={() => setWhen('period_end')}
                    />
                    <span>
                      <strong>At the end of the period</strong> — you keep everything until{' '}
                      {date(s.current_period_end)}, and can resume until then. Nothing more is charged.
                    </span>
                  </label>
                  <label className={when === 'now' ? 'choice selected' : 'choice'}>
                    <input
                      type="radio"
                      name="when"
                      checked={when === 'now'}
                      onChange={() => setWhen('now')}
                    />
                    <span>
                      <strong>Now</strong> — access ends at once. This cannot be undone.
                    </span>
                  </label>
                </fieldset>
                {when === 'now' && <Notice kind="warning">You lose access immediately.</Notice>}
                {error && <ErrorNotice error={error} />}
                <button type="submit" className="danger" disabled={busy}>
                  {busy ? 'Canceling…' : when === 'now' ? 'Cancel now' : 'Cancel at period end'}
                </button>{' '}
                <Link href="/billing">Keep my plan</Link>
              </form>
              {pausable && (
                <Card id="pause" title="Rather take a break?">
                  <p>
                    Pause your plan instead: nothing is billed and access is off until you unpause it from
                    your billing page, with your plan and history kept.
                  </p>
                  <button type="button" className="secondary" onClick={() => void pause()} disabled={busy}>
                    {busy ? 'Pausing…' : 'Pause my plan'}
                  </button>
                </Card>
              )}
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}
