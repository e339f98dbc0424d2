import { type FormEvent } from 'react';
import { api, call } from '../api/client';
import { useAction, useLoad } from '../data';
import { count, fractionDigits, money } from '../format';
import {
  ActionPage,
  CheckField,
  CodeField,
  CurrencyField,
  FormCard,
  ListCard,
  NumberField,
  PlanChoices,
  Submit,
  TextField,
  ToggleAction,
  useForm,
} from '../form-kit';

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
  const [form, setForm, field] = useForm(blank);

  const action = useAction(packs.reload);
  const { busy, run } = action;
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

  return (
    <ActionPage title="Credit packs" action={action}>
      <ListCard
        id="packs"
        title="Packs"
        state={packs}
        what="the credit packs"
        rows={(d) => d.packs}
        empty="No credit packs yet."
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
        {(p) => (
          <tr key={p.id} data-testid={`pack-${p.code}`}>
            <th scope="row">
              {p.name} <code>{p.code}</code>
            </th>
            <td className="num">{count(p.credits)}</td>
            <td className="num">{money(p.price_cents, p.currency)}</td>
            <td>{p.currency.toUpperCase()}</td>
            <td>{p.plan_codes.length === 0 ? 'Every plan' : p.plan_codes.join(', ')}</td>
            <td>
              {p.expires_after_days === null ? 'Never' : `${count(p.expires_after_days)} days after purchase`}
            </td>
            <td>{p.active ? 'Yes' : 'No'}</td>
            <td>
              <ToggleAction
                busy={busy}
                on={p.active}
                name={p.name}
                words={['Deactivate', 'Activate']}
                onToggle={(active) => setActive(p.id, p.name, active)}
              />
            </td>
          </tr>
        )}
      </ListCard>

      <FormCard id="new-pack" title="New credit pack" onSubmit={create}>
        <CodeField label="Code" bind={field('code')} maxLength={64} />
        <TextField label="Name" bind={field('name')} required maxLength={120} />
        <NumberField label="Credits" bind={field('credits')} required />
        <NumberField
          label="Price (in the currency, e.g. 19.99)"
          bind={field('price')}
          required
          decimals={3}
        />
        <CurrencyField label="Currency" bind={field('currency')} />
        <PlanChoices
          legend="Plans whose subscribers may buy it (none ticked: every plan)"
          bind={field('planCodes')}
        />
        <NumberField
          label="Credits expire this many days after purchase (empty: never)"
          bind={field('expiresAfterDays')}
        />
        <CheckField label="On sale now" bind={field('active')} />
        <Submit disabled={busy}>Create pack</Submit>
      </FormCard>
    </ActionPage>
  );
}
