import { useState } from 'react';
import { api, type ApiError, call } from '../api/client';
import { Empty, ErrorNotice, Loading, Page } from '../components';
import { useLoad } from '../data';
import { date } from '../format';

/** The cards on file, the default marked; cards are added and removed in Stripe's billing portal. */
export function PaymentMethods() {
  const methods = useLoad(() => call(api.GET('/api/v1/billing/payment-methods')), 'payment-methods');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const portal = async () => {
    setBusy(true);
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
      setBusy(false);
    }
  };
  return (
    <Page title="Payment methods">
      {methods.error ? (
        <ErrorNotice error={methods.error} retry={methods.reload} />
      ) : !methods.data ? (
        <Loading what="your cards" />
      ) : methods.data.length === 0 ? (
        <Empty>No card on file yet. A card is saved when you pay at Checkout.</Empty>
      ) : (
        <ul className="cards-list">
          {methods.data.map((m) => (
            <li key={m.id} className="card">
              <p>
                <strong>
                  {(m.card.brand ?? m.type).toUpperCase()} •••• {m.card.last4 ?? '????'}
                </strong>{' '}
                {m.is_default && <span className="badge good">Default</span>}
              </p>
              <p className="muted">
                {m.card.exp_month && m.card.exp_year
                  ? `Expires ${String(m.card.exp_month).padStart(2, '0')}/${m.card.exp_year}`
                  : 'No expiry'}{' '}
                · added {date(m.created)}
              </p>
            </li>
          ))}
        </ul>
      )}
      <h2>Add, remove or choose the default card</h2>
      <p>Cards are managed on Stripe&rsquo;s secure billing portal; you come back here afterwards.</p>
      {error && <ErrorNotice error={error} />}
      <button type="button" onClick={() => void portal()} disabled={busy}>
        {busy ? 'Opening the portal…' : 'Open the billing portal'}
      </button>
    </Page>
  );
}
