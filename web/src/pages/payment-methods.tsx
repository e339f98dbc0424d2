import { useEffect, useState } from 'react';
import { api, type ApiError, call, type PaymentMethod } from '../api/client';
import { Empty, ErrorNotice, Loaded, Notice, Page } from '../components';
import { useLoad } from '../data';
import { date } from '../format';
import { navigate, useLocation } from '../router';

/** The ids on file when the customer left for Checkout, so the page knows which card is the new one. */
const BEFORE_SETUP = 'billing.cards-before-setup';
const POLL_MS = 1000;
const GIVE_UP_MS = 30_000;

const loadCards = () => call(api.GET('/api/v1/billing/payment-methods'));

function cardName(m: PaymentMethod): string {
  return `${(m.card.brand ?? m.type).toUpperCase()} •••• ${m.card.last4 ?? '????'}`;
}

type Setup = { state: 'waiting' } | { state: 'added'; card: PaymentMethod | null } | { state: 'late' };

/**
 * Back from Checkout in setup mode: Stripe has the card, and its webhook brings it here within moments.
 * Waits until a card not on file before shows up, then reloads the list.
 */
function useCardSetupReturn(sessionId: string | null, onAdded: () => void) {
  const [setup, setSetup] = useState<Setup | null>(sessionId ? { state: 'waiting' } : null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (!sessionId) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = Date.now();
    const stored = sessionStorage.getItem(BEFORE_SETUP);
    const before = stored ? new Set(JSON.parse(stored) as string[]) : null;
    setSetup({ state: 'waiting' });
    const poll = async () => {
      const cards = await loadCards().catch(() => null);
      if (!live) return;
      const added = cards?.find((c) => before && !before.has(c.id));
      // Without the list from before (Checkout finished in another tab), any answer has to do.
      if (added || (cards && !before)) {
        sessionStorage.removeItem(BEFORE_SETUP);
        setSetup({ state: 'added', card: added ?? null });
        onAdded();
      } else if (Date.now() - started > GIVE_UP_MS) setSetup({ state: 'late' });
      else timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [sessionId, round, onAdded]);
  return { setup, retry: () => setRound((r) => r + 1) };
}

function CardRow({
  m,
  removable,
  onChanged,
}: {
  m: PaymentMethod;
  /** False for the card that pays while others are on file: another is made the default first. */
  removable: boolean;
  /** Resolves once the list shows the change. */
  onChanged(message: string): Promise<void>;
}) {
  const [busy, setBusy] = useState<'default' | 'remove' | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const name = cardName(m);
  const act = async (what: 'default' | 'remove') => {
    setBusy(what);
    setError(null);
    try {
      const path = { params: { path: { id: m.id } } };
      if (what === 'default') {
        await call(api.POST('/api/v1/billing/payment-methods/{id}/default', path));
        await onChanged(`${name} now pays your invoices.`);
      } else {
        await call(api.DELETE('/api/v1/billing/payment-methods/{id}', path));
        await onChanged(`${name} was removed.`);
      }
    } catch (err) {
      setError(err as ApiError);
      setConfirming(false);
    } finally {
      setBusy(null);
    }
  };
  return (
    <li className="card" aria-label={name}>
      <p>
        <strong>{name}</strong> {m.is_default && <span className="badge good">Default</span>}
      </p>
      <p className="muted">
        {m.card.exp_month && m.card.exp_year
          ? `Expires ${String(m.card.exp_month).padStart(2, '0')}/${m.card.exp_year}`
          : 'No expiry'}{' '}
        · added {date(m.created)}
      </p>
      {error && <ErrorNotice error={error} />}
      <div className="actions">
        {!m.is_default && !confirming && (
          <button
            type="button"
            className="secondary"
            onClick={() => void act('default')}
            disabled={busy !== null}
          >
            {busy === 'default' ? 'Making it the default…' : 'Make default'}
          </button>
        )}
        {!removable ? (
          <p className="small muted">Make another card the default to remove this one.</p>
        ) : confirming ? (
          <>
            <button
              type="button"
              className="danger"
              onClick={() => void act('remove')}
              disabled={busy !== null}
            >
              {busy === 'remove' ? 'Removing…' : `Remove ${name}`}
            </button>
            <button
              type="button"
              className="link"
              onClick={() => setConfirming(false)}
              disabled={busy !== null}
            >
              Keep it
            </button>
          </>
        ) : (
          <button
            type="button"
            className="secondary"
            onClick={() => setConfirming(true)}
            disabled={busy !== null}
          >
            Remove
          </button>
        )}
      </div>
    </li>
  );
}

/** The cards on file: add one through Stripe Checkout, choose the one that pays, remove the others. */
export function PaymentMethods() {
  const { query } = useLocation();
  const methods = useLoad(loadCards, 'payment-methods');
  const [returned] = useState(() => query.get('card_setup'));
  const { setup, retry } = useCardSetupReturn(
    returned && returned !== 'canceled' ? returned : null,
    methods.reload,
  );
  const [busy, setBusy] = useState<'add' | 'portal' | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  // The address Checkout came back to is not one to reload or share.
  useEffect(() => {
    if (returned) navigate('/billing/payment-methods', { replace: true });
  }, [returned]);

  // The notice waits for the list, so it never announces a card the list does not show yet.
  const changed = async (message: string) => {
    setDone(null);
    await methods.reload();
    setDone(message);
  };

  const addCard = async () => {
    setBusy('add');
    setError(null);
    try {
      sessionStorage.setItem(BEFORE_SETUP, JSON.stringify((methods.data ?? []).map((m) => m.id)));
      const s = await call(api.POST('/api/v1/billing/payment-methods/setup', { body: {} }));
      location.assign(s.checkout_url);
    } catch (err) {
      setError(err as ApiError);
      setBusy(null);
    }
  };
  const portal = async () => {
    setBusy('portal');
    setError(null);
    try {
      const p = await call(
        api.POST('/api/v1/billing/portal/create', {
          body: { return_url: `${location.origin}/billing/payment-methods` },
        }),
      );
      location.assign(p.portal_url);
    } catch (err) {
      setError(err as ApiError);
      setBusy(null);
    }
  };

  return (
    <Page title="Payment methods">
      <div aria-live="polite">
        {!done && returned === 'canceled' && (
          <Notice kind="info">
            <p>No card was added.</p>
          </Notice>
        )}
        {!done && setup?.state === 'waiting' && (
          <p className="loading" role="status">
            <span className="spinner" aria-hidden="true" /> Adding your card…
          </p>
        )}
        {!done && setup?.state === 'added' && (
          <Notice kind="success">
            <p>
              <strong>{setup.card ? `${cardName(setup.card)} was added.` : 'Your card was added.'}</strong>{' '}
              Choose Make default on it to pay with it from now on.
            </p>
          </Notice>
        )}
        {!done && setup?.state === 'late' && (
          <Notice kind="warning">
            <p>Stripe has your card, but it has not reached this page yet.</p>
            <button type="button" onClick={retry}>
              Check again
            </button>
          </Notice>
        )}
        {done && (
          <Notice kind="success">
            <p>{done}</p>
          </Notice>
        )}
      </div>
      <Loaded state={methods} what="your cards">
        {(cards) =>
          cards.length === 0 ? (
            <Empty>No card on file yet. Add one below, or pay at Checkout when you subscribe.</Empty>
          ) : (
            <ul className="cards-list">
              {cards.map((m) => (
                <CardRow
                  key={m.id}
                  m={m}
                  removable={!m.is_default || cards.length === 1}
                  onChanged={changed}
                />
              ))}
            </ul>
          )
        }
      </Loaded>
      <h2>Add a card</h2>
      <p>You type the card on Stripe&rsquo;s secure Checkout page and come back here. Nothing is charged.</p>
      {error && <ErrorNotice error={error} />}
      <p className="actions">
        <button type="button" onClick={() => void addCard()} disabled={busy !== null}>
          {busy === 'add' ? 'Opening Checkout…' : 'Add a card'}
        </button>
        <button type="button" className="secondary" onClick={() => void portal()} disabled={busy !== null}>
          {busy === 'portal' ? 'Opening the portal…' : 'Open the billing portal'}
        </button>
      </p>
    </Page>
  );
}
