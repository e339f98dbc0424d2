import { useState } from 'react';
import { api, call } from './api/client';
import { ErrorNotice, Notice } from './components';
import { useAction } from './data';
import { money } from './format';

type SeatChange = Awaited<ReturnType<typeof changeSeats>>;

const changeSeats = (seats: number, preview: boolean) =>
  call(api.POST('/api/v1/billing/subscription/seats', { body: { seats, preview } }));

/** What a change of seats costs, in the customer's words. */
function costOf(c: SeatChange, currency: string): string {
  if (c.invoiced_now) return `You pay ${money(c.due_now_cents, currency)} now for the rest of this period.`;
  const credit = -(c.credit_cents + c.charge_cents) + c.discount_cents;
  return `${money(Math.max(0, credit), currency)} is credited to your next invoice.`;
}

/**
 * The seats of a plan priced per seat: how many, and a change of them, first priced (Stripe prorates it)
 * and then confirmed.
 */
export function SeatsEditor({
  seats,
  range,
  currency,
  onChanged,
}: {
  seats: number;
  range: { min: number; max: number | null };
  currency: string;
  onChanged(): void | Promise<void>;
}) {
  const [wanted, setWanted] = useState(String(seats));
  const [quote, setQuote] = useState<SeatChange | null>(null);
  const { busy, error, done, run } = useAction(onChanged);
  const count = Number(wanted);
  return (
    <form
      className="form inline"
      aria-label="Seats"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          if (!quote || quote.seats !== count) {
            const q = await changeSeats(count, true);
            setQuote(q);
            return `${q.seats} seats: ${money(q.amount_cents, currency)} each period. ${costOf(q, currency)}`;
          }
          const applied = await changeSeats(count, false);
          setQuote(null);
          return `You now have ${applied.seats} seats.`;
        });
      }}
    >
      <label htmlFor="seats">Seats</label>
      <input
        id="seats"
        type="number"
        inputMode="numeric"
        min={range.min}
        max={range.max ?? undefined}
        value={wanted}
        onChange={(e) => {
          setWanted(e.target.value);
          setQuote(null);
        }}
      />
      <button type="submit" disabled={busy || !Number.isInteger(count) || count === seats}>
        {quote && quote.seats === count ? `Confirm ${count} seats` : 'Price the change'}
      </button>
      {done && (
        <Notice kind="success">
          <p data-testid="seats-said">{done}</p>
        </Notice>
      )}
      {error && <ErrorNotice error={error} />}
    </form>
  );
}
