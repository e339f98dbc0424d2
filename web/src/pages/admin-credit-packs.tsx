import { useState, type FormEvent } from 'react';
import { api, call } from '../api/client';
import { Card, Empty, ErrorNotice, Loaded, Notice, Page, Table } from '../components';
import { useAction, useLoad } from '../data';
import { count, fractionDigits, money } from '../format';

const blank = {
  code: '',
  name: '',
  credits: '',
  price: '',
  currency: 'usd',
  planCodes: [] as string[],
  expiresAfterDays: '',
  active: true,
};

/** A price typed in the currency's own units ("19.99" USD, "2000" JPY) as the minor units the API takes. */
function minorUnits(price: string, currency: string): number {
  return Math.round(Number(price) * 10 ** fractionDigits(currency));
}

/**
 * The credit packs customers may buy, on sale or not: a table of their terms, a form to put a new one on
 * sale, and a button to take one off sale or back on (a purchase already made keeps its terms). Audited
 * by the API.
 */
export function AdminCreditPacks() {
  const packs = useLoad(() => call(api.GET('/api/v1/admin/billing/credit-packs')), 'admin-credit-packs');
  // The plans a pack may be limited to: the current version of each plan still on offer.
  const plans = useLoad(() => call(api.GET('/api/v1/admin/plans')), 'admin-plans');
  const planChoices = (plans.data ?? []).filter((v) => v.is_current && v.status === 'active');
  const [form, setForm] = useState(blank);

  const { busy, error, done, run } = useAction(packs.reload);
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const currency = form.currency.trim().toLowerCase();
      const pack = await call(
        api.POST('/api/v1/admin/billing/credit-packs', {
          body: {
            code: form.code.trim(),
            name: form.name.trim(),
            credits: Number(form.credits),
            price_cents: minorUnits(form.price, currency),
            currency,
            plan_codes: form.planCodes,
            expires_after_days: form.expiresAfterDays === '' ? null : Number(form.expiresAfterDays),
            active: form.active,
          },
        }),
      );
      setForm(blank);
      return pack.active ? `${pack.name} is on sale.` : `${pack.name} is created, not on sale.`;
    });
  };
  const setActive = (id: string, name: string, active: boolean) =>
    void run(async () => {
      await call(
        api.PATCH('/api/v1/admin/billing/credit-packs/{id}', {
          params: { path: { id } },
          body: { active },
        }),
      );
      return active ? `${name} is on sale again.` : `${name} is off sale; purchases made keep their credits.`;
    });
  const togglePlan = (code: string, on: boolean) =>
    setForm({
      ...form,
      planCodes: on ? [...form.planCodes, code] : form.planCodes.filter((c) => c !== code),
    });

  return (
    <Page title="Credit packs" wide>
      {done && <Notice kind="success">{done}</Notice>}
      {error && <ErrorNotice error={error} />}
      <Card id="packs" title="Packs" wide>
        <Loaded state={packs} what="the credit packs">
          {({ packs: list }) =>
            list.length === 0 ? (
              <Empty>No credit packs yet.</Empty>
            ) : (
              <Table
                label="Credit packs"
                columns={[
                  'Pack',
                  { label: 'Credits', num: true },
                  { label: 'Price', num: true },
                  'Currency',
                  'Plans allowed',
                  'Credits expire',
                  'On sale',
                  { label: 'Actions', hidden: true },
                ]}
              >
                {list.map((p) => (
                  <tr key={p.id} data-testid={`pack-${p.code}`}>
                    <th scope="row">
                      {p.name} <code>{p.code}</code>
                    </th>
                    <td className="num">{count(p.credits)}</td>
                    <td className="num">{money(p.price_cents, p.currency)}</td>
                    <td>{p.currency.toUpperCase()}</td>
                    <td>{p.plan_codes.length === 0 ? 'Every plan' : p.plan_codes.join(', ')}</td>
                    <td>
                      {p.expires_after_days === null
                        ? 'Never'
                        : `${count(p.expires_after_days)} days after purchase`}
                    </td>
                    <td>{p.active ? 'Yes' : 'No'}</td>
                    <td>
                      <button
                        type="button"
                        className="secondary"
                        disabled={busy}
                        aria-label={`${p.active ? 'Deactivate' : 'Activate'} ${p.name}`}
                        onClick={() => setActive(p.id, p.name, !p.active)}
                      >
                        {p.active ? 'Deactivate' : 'Activate'}
                      </button>
                    </td>
                  </tr>
                ))}
              </Table>
            )
          }
        </Loaded>
      </Card>

      <Card id="new-pack" title="New credit pack">
        <form className="form" onSubmit={create} aria-labelledby="new-pack-heading">
          <label>
            Code{' '}
            <input
              required
              pattern="[a-z0-9][a-z0-9_-]*"
              maxLength={64}
              value={form.code}
              onChange={(e) => setForm({ ...form, code: e.target.value })}
            />
          </label>
          <label>
            Name{' '}
            <input
              required
              maxLength={120}
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.target.value })}
            />
          </label>
          <label>
            Credits{' '}
            <input
              required
              inputMode="numeric"
              pattern="[0-9]+"
              value={form.credits}
              onChange={(e) => setForm({ ...form, credits: e.target.value })}
            />
          </label>
          <label>
            Price (in the currency, e.g. 19.99){' '}
            <input
              required
              inputMode="decimal"
              pattern="[0-9]+([.][0-9]{1,3})?"
              value={form.price}
              onChange={(e) => setForm({ ...form, price: e.target.value })}
            />
          </label>
          <label>
            Currency{' '}
            <input
              required
              pattern="[a-zA-Z]{3}"
              maxLength={3}
              value={form.currency}
              onChange={(e) => setForm({ ...form, currency: e.target.value })}
            />
          </label>
          <fieldset className="choices">
            <legend>Plans whose subscribers may buy it (none ticked: every plan)</legend>
            {planChoices.map((v) => (
              <label key={v.id} className="check">
                <input
                  type="checkbox"
                  checked={form.planCodes.includes(v.id)}
                  onChange={(e) => togglePlan(v.id, e.target.checked)}
                />{' '}
                {v.display_name} <code>{v.id}</code>
              </label>
            ))}
          </fieldset>
          <label>
            Credits expire this many days after purchase (empty: never){' '}
            <input
              inputMode="numeric"
              pattern="[0-9]+"
              value={form.expiresAfterDays}
              onChange={(e) => setForm({ ...form, expiresAfterDays: e.target.value })}
            />
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={form.active}
              onChange={(e) => setForm({ ...form, active: e.target.checked })}
            />{' '}
            On sale now
          </label>
          <button type="submit" disabled={busy}>
            Create pack
          </button>
        </form>
      </Card>
    </Page>
  );
}
