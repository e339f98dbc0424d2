import { useEffect, useState } from 'react';
import { api, type ApiError, call, type Subscription } from '../api/client';
import { ErrorNotice, Notice, Page } from '../components';
import { date } from '../format';
import { statusOf } from '../status';
import { Link, useLocation } from '../router';
import { PlanGrid } from './plans';
import { savedChoice } from './signup';

const SETTLED = new Set(['active', 'trialing']);
const POLL_MS = 1000;
const GIVE_UP_MS = 60_000;

/** Where Checkout sends the customer after paying: waits until the webhooks have made the plan live. */
export function CheckoutReturn() {
  const [sub, setSub] = useState<Subscription | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [gaveUp, setGaveUp] = useState(false);
  const [round, setRound] = useState(0);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = Date.now();
    const poll = async () => {
      try {
        const s = (await call(api.GET('/api/v1/billing/subscription'))) as Subscription;
        if (!live) return;
        setSub(s);
        setError(null);
        if (SETTLED.has(s.status)) return;
      } catch (err) {
        if (!live) return;
        setError(err as ApiError);
      }
      if (Date.now() - started > GIVE_UP_MS) setGaveUp(true);
      else timer = setTimeout(() => void poll(), POLL_MS);
    };
    setGaveUp(false);
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [round]);

  const done = sub && SETTLED.has(sub.status);
  return (
    <Page title={done ? 'You are subscribed' : 'Finishing your subscription'}>
      <div aria-live="polite">
        {done ? (
          <Notice kind="success">
            <p>
              <strong>
                {sub.status === 'trialing' ? 'Your trial has started.' : `Your ${sub.tier} plan is active.`}
              </strong>{' '}
              {sub.status === 'trialing' && sub.trial_end
                ? `The trial runs until ${date(sub.trial_end)}.`
                : sub.current_period_end
                  ? `Paid until ${date(sub.current_period_end)}.`
                  : ''}
            </p>
            <p>
              <Link className="button" href="/billing">
                Go to your billing dashboard
              </Link>
            </p>
          </Notice>
        ) : gaveUp ? (
          <Notice kind="warning">
            <p>
              Your payment has not been confirmed yet
              {sub && sub.status !== 'none' ? ` (status: ${statusOf(sub.status).label})` : ''}. If you paid,
              it will show on your dashboard within minutes.
            </p>
            <button type="button" onClick={() => setRound((r) => r + 1)}>
              Check again
            </button>{' '}
            <Link href="/plans">Choose a plan again</Link>
          </Notice>
        ) : (
          <p role="status">
            <span className="spinner" aria-hidden="true" /> Waiting for the payment to be confirmed…
          </p>
        )}
      </div>
      {error && !done && <ErrorNotice error={error} />}
    </Page>
  );
}

/** Where Checkout's cancel leads: nothing was charged; the plans again, with the earlier choice marked. */
export function CheckoutCanceled() {
  const choice = savedChoice();
  const { query } = useLocation();
  void query;
  return (
    <Page title="Checkout canceled" wide>
      <Notice kind="info">
        <p>Nothing was charged. Your choice is kept below; pick it again or choose another plan.</p>
        {choice && (
          <p>
            <Link
              className="button"
              href={`/signup?plan=${choice.plan}&cycle=${choice.cycle}${choice.trial ? '&trial=1' : ''}`}
            >
              Try again with {choice.plan} ({choice.cycle}
              {choice.trial ? ', after the $1 trial' : ''})
            </Link>
          </p>
        )}
      </Notice>
      <PlanGrid chosen={choice?.plan} initialCycle={choice?.cycle} />
    </Page>
  );
}
