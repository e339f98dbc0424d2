import { type FormEvent } from 'react';
import { api, call } from '../api/client';
import { ErrorNotice, Notice, Table } from '../components';
import { useAction, useLoad } from '../data';
import { money } from '../format';
import { NumberField, RowAction, SelectField, Submit, useForm } from '../form-kit';

type CurrencyPrice = {
  price_monthly_cents: number;
  price_yearly_cents: number | null;
  overage_price_per_1k_cents: number;
  rate_card: Record<string, unknown>[];
};

/**
 * A plan's prices in other currencies, each added, changed or taken off sale. Amounts are the currency's
 * cents. A plan with a rate card needs one in each currency, pricing the same lines: a new currency's starts
 * as a copy of the plan's own, its amounts taken as the currency's, to be repriced in the Rate card section (admin-plan-rate-card.tsx).
 */
export function PlanCurrencies({
  plan,
  onSaved,
}: {
  plan: {
    id: string;
    currency: string;
    price_yearly_cents: number | null;
    rate_card: Record<string, unknown>[];
    currency_prices: Record<string, CurrencyPrice>;
  };
  onSaved(): void | Promise<void>;
}) {
  const { busy, error, done, run } = useAction(onSaved);
  // The currencies prices can be set in, as the engine lists them.
  const priced = useLoad(() => call(api.GET('/api/v1/admin/billing/exchange-rates')), 'price-currencies');
  const others = (priced.data?.currencies ?? []).filter((c) => c !== plan.currency);
  const [form, , field] = useForm({ currency: 'eur', monthly: '', yearly: '', overage: '' });

  const put = (prices: Record<string, CurrencyPrice>, what: string) =>
    run(async () => {
      await call(
        api.PUT('/api/v1/subscriptions/plans/{plan_id}', {
          params: { path: { plan_id: plan.id } },
          body: { currency_prices: prices },
        }),
      );
      return what;
    });

  const add = (e: FormEvent) => {
    e.preventDefault();
    const existing = plan.currency_prices[form.currency];
    void put(
      {
        ...plan.currency_prices,
        [form.currency]: {
          price_monthly_cents: Number(form.monthly),
          price_yearly_cents:
            plan.price_yearly_cents === null || form.yearly === '' ? null : Number(form.yearly),
          overage_price_per_1k_cents: Number(form.overage || 0),
          rate_card: existing?.rate_card ?? plan.rate_card,
        },
      },
      `${plan.id} is sold in ${form.currency.toUpperCase()}; Stripe gets its prices at the next catalog sync.` +
        (!existing && plan.rate_card.length > 0
          ? ` Its rate card is a copy of the ${plan.currency.toUpperCase()} one: reprice it in the Rate card section.`
          : ''),
    );
  };

  const remove = (currency: string) => {
    const rest = Object.fromEntries(Object.entries(plan.currency_prices).filter(([c]) => c !== currency));
    void put(
      rest,
      `${plan.id} is no longer sold in ${currency.toUpperCase()}; its subscribers keep their prices.`,
    );
  };

  const entries = Object.entries(plan.currency_prices);
  return (
    <section className="card" aria-labelledby="currencies-heading">
      <h2 id="currencies-heading">Prices of {plan.id} in other currencies</h2>
      {done && <Notice kind="success">{done}</Notice>}
      {error && <ErrorNotice error={error} />}
      {entries.length === 0 ? (
        <p className="muted">Sold in {plan.currency.toUpperCase()} only.</p>
      ) : (
        <Table
          label={`Prices of ${plan.id} by currency`}
          columns={[
            'Currency',
            { label: 'Monthly', num: true },
            { label: 'Yearly', num: true },
            { label: 'Overage per 1,000', num: true },
            'Actions',
          ]}
        >
          {entries.map(([c, p]) => (
            <tr key={c}>
              <th scope="row">{c.toUpperCase()}</th>
              <td className="num">{money(p.price_monthly_cents, c)}</td>
              <td className="num">{p.price_yearly_cents === null ? '—' : money(p.price_yearly_cents, c)}</td>
              <td className="num">{money(p.overage_price_per_1k_cents, c)}</td>
              <td>
                <RowAction busy={busy} onClick={() => remove(c)}>
                  Stop selling in {c.toUpperCase()}
                </RowAction>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <form className="form" onSubmit={add} aria-label={`Price ${plan.id} in a currency`}>
        <SelectField label="Currency" bind={field('currency')}>
          {others.map((c) => (
            <option key={c} value={c}>
              {c.toUpperCase()}
            </option>
          ))}
        </SelectField>
        <NumberField label="Monthly price (cents)" bind={field('monthly')} required />
        {plan.price_yearly_cents !== null && (
          <NumberField label="Yearly price (cents)" bind={field('yearly')} required />
        )}
        <NumberField label="Overage per 1,000 units (cents)" bind={field('overage')} />
        <Submit disabled={busy}>
          Sell {plan.id} in {form.currency.toUpperCase()}
        </Submit>
      </form>
    </section>
  );
}
