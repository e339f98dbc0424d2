import type { paths } from '../api/openapi.gen';
import { Card } from '../components';
import { count, dateTime } from '../format';

type Renewals =
  paths['/api/v1/admin/operations']['get']['responses'][200]['content']['application/json']['renewals'];

/** A wait as read at a glance: seconds, then minutes, then hours and minutes. */
function waited(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const FIGURES = [
  { key: 'due', label: 'Due', help: 'Period boundary in the window' },
  { key: 'invoiced', label: 'Invoiced', help: 'Renewal invoice in the mirror' },
  { key: 'paid', label: 'Paid', help: 'Renewal invoice paid' },
  { key: 'failed', label: 'Failed', help: 'Payment failed or in dunning' },
  { key: 'waiting', label: 'Waiting', help: 'Neither paid nor failed yet' },
] as const;

/** The billing day as it goes: renewals due in the window, how far they got, and Stripe's events still queued. */
export function RenewalRun({ renewals: r }: { renewals: Renewals }) {
  const settled = r.paid + r.failed;
  const events = r.stripe_events;
  return (
    <Card id="renewals" title="Renewals">
      <p className="muted small">
        Subscriptions whose period ended since {dateTime(r.since)} (the last 24 hours).
      </p>
      {r.due === 0 ? (
        <p data-testid="renewal-progress">No renewal fell due in this window.</p>
      ) : (
        <p data-testid="renewal-progress">
          <label htmlFor="renewal-progress-bar">
            {count(settled)} of {count(r.due)} paid or failed ({Math.floor((100 * settled) / r.due)} %)
          </label>
          <br />
          <progress
            id="renewal-progress-bar"
            max={r.due}
            value={settled}
            style={{ width: '100%', height: '1.25rem' }}
          >
            {count(settled)} of {count(r.due)}
          </progress>
        </p>
      )}
      {/* Five across on a desktop; side by side, the cards must not take the stacked cards' top margin. */}
      <dl className="figures" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(9rem, 1fr))' }}>
        {FIGURES.map((f) => (
          <div className="card figure" key={f.key} style={{ marginTop: 0 }}>
            <dt>{f.label}</dt>
            <dd className="big" data-testid={`renewals-${f.key}`}>
              {count(r[f.key])}
            </dd>
            <dd className="small muted">{f.help}</dd>
          </div>
        ))}
      </dl>
      <p data-testid="intake">
        {events.unforwarded === 0 || events.oldest_unforwarded_age_seconds === null
          ? 'Stripe events: every one received has reached its workflow.'
          : `Stripe events: ${count(events.unforwarded)} not yet forwarded, the oldest waiting ${waited(events.oldest_unforwarded_age_seconds)}.`}
      </p>
    </Card>
  );
}
