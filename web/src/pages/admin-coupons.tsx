import { type FormEvent } from 'react';
import { api, call } from '../api/client';
import { Card, Empty } from '../components';
import { useAction, useLoad } from '../data';
import { count, date } from '../format';
import {
  ActionPage,
  CheckField,
  CodeField,
  CurrencyField,
  FormCard,
  ListCard,
  NumberField,
  PlanChoices,
  RowAction,
  SelectField,
  Submit,
  TextField,
  ToggleAction,
  useForm,
} from '../form-kit';

const blankCoupon = {
  id: '',
  name: '',
  kind: 'percent' as 'percent' | 'amount',
  percent: '',
  amount: '',
  currency: 'usd',
  duration: 'once' as 'once' | 'repeating' | 'forever',
  months: '',
  plans: [] as string[],
  maxRedemptions: '',
  redeemBy: '',
};

const blankCode = { code: '', couponId: '', firstTimeOnly: false, maxRedemptions: '', expiresAt: '' };
/** What a promotion code may be: 3 to 40 letters, digits, `_` and `-`, starting with a letter or a digit. */
const codePattern = '[A-Za-z0-9][A-Za-z0-9_-]{2,39}';

/** The end of a day typed as a date, as an instant: a code valid "until 31 December" works all that day. */
const endOfDay = (day: string) => new Date(`${day}T23:59:59.999Z`).toISOString();

/**
 * Coupons and the promotion codes customers type at checkout: what each takes off and for how long, how
 * often it was redeemed, and forms to offer a coupon, give it a code, archive it or turn a code off. Every
 * change is audited by the API and reaches Stripe with the catalog sync.
 */
export function AdminCoupons() {
  const coupons = useLoad(() => call(api.GET('/api/v1/admin/billing/coupons')), 'admin-coupons');
  const [form, setForm, field] = useForm(blankCoupon);
  const [codeForm, setCodeForm, codeField] = useForm(blankCode);
  const action = useAction(coupons.reload);
  const { busy, run } = action;

  const createCoupon = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const made = await call(
        api.POST('/api/v1/admin/billing/coupons', {
          body: {
            id: form.id.trim(),
            name: form.name.trim(),
            ...(form.kind === 'percent'
              ? { percent_off: Number(form.percent) }
              : {
                  amount_off: { [form.currency.trim().toLowerCase()]: Math.round(Number(form.amount) * 100) },
                }),
            duration: form.duration,
            ...(form.duration === 'repeating' ? { duration_in_months: Number(form.months) } : {}),
            ...(form.plans.length ? { plans: form.plans } : {}),
            ...(form.maxRedemptions ? { max_redemptions: Number(form.maxRedemptions) } : {}),
            ...(form.redeemBy ? { redeem_by: endOfDay(form.redeemBy) } : {}),
          },
        }),
      );
      setForm(blankCoupon);
      setCodeForm({ ...blankCode, couponId: made.id });
      return `${made.name} is offered: ${made.terms}.`;
    });
  };
  const createCode = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await call(
        api.POST('/api/v1/admin/billing/promotion-codes', {
          body: {
            code: codeForm.code.trim(),
            coupon_id: codeForm.couponId,
            first_time_only: codeForm.firstTimeOnly,
            ...(codeForm.maxRedemptions ? { max_redemptions: Number(codeForm.maxRedemptions) } : {}),
            ...(codeForm.expiresAt ? { expires_at: endOfDay(codeForm.expiresAt) } : {}),
          },
        }),
      );
      const code = codeForm.code.trim().toUpperCase();
      setCodeForm({ ...blankCode, couponId: codeForm.couponId });
      return `Customers can type ${code} at checkout.`;
    });
  };
  const archive = (id: string, name: string) =>
    void run(async () => {
      await call(api.DELETE('/api/v1/admin/billing/coupons/{id}', { params: { path: { id } } }));
      return `${name} is archived: no new redemptions; discounts already given stay.`;
    });
  const setCodeActive = (id: string, code: string, active: boolean) =>
    void run(async () => {
      await call(
        api.PATCH('/api/v1/admin/billing/promotion-codes/{id}', {
          params: { path: { id } },
          body: { active },
        }),
      );
      return active ? `${code} works again.` : `${code} is turned off.`;
    });
  const live = (coupons.data?.coupons ?? []).filter((c) => c.active);

  return (
    <ActionPage title="Coupons" action={action}>
      <ListCard
        id="coupons"
        title="Coupons and codes"
        state={coupons}
        what="the coupons"
        rows={(d) => d.coupons}
        empty="No coupons yet."
        label="Coupons"
        columns={[
          'Coupon',
          'Terms',
          'Plans',
          { label: 'Redeemed', num: true },
          'Codes',
          'Status',
          { label: 'Actions', hidden: true },
        ]}
      >
        {(c) => (
          <tr key={c.id} data-testid={`coupon-${c.id}`}>
            <th scope="row">
              {c.name} <code>{c.id}</code>
            </th>
            <td>{c.terms}</td>
            <td>{c.plans === null ? 'Every plan' : c.plans.join(', ')}</td>
            <td className="num">
              {count(c.redemptions)}
              {c.max_redemptions !== null ? ` of ${count(c.max_redemptions)}` : ''}
            </td>
            <td>
              {c.promotion_codes.length === 0 ? (
                'None'
              ) : (
                <ul className="plain">
                  {c.promotion_codes.map((p) => (
                    <li key={p.id} data-testid={`code-${p.code}`}>
                      <code>{p.code}</code> {count(p.redemptions)} used
                      {p.max_redemptions !== null ? ` of ${count(p.max_redemptions)}` : ''}
                      {p.first_time_only ? ', new customers only' : ''}
                      {p.expires_at ? `, until ${date(p.expires_at)}` : ''}
                      {p.active ? '' : ' (off)'}{' '}
                      {c.active && (
                        <ToggleAction
                          className="link"
                          busy={busy}
                          on={p.active}
                          name={p.code}
                          words={['Turn off', 'Turn on']}
                          onToggle={(active) => setCodeActive(p.id, p.code, active)}
                        />
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </td>
            <td>
              {!c.active ? 'Archived' : c.in_stripe ? 'Offered' : 'Waiting for Stripe'}
              {c.redeem_by ? ` (until ${date(c.redeem_by)})` : ''}
            </td>
            <td>
              {c.active && (
                <RowAction busy={busy} label={`Archive ${c.name}`} onClick={() => archive(c.id, c.name)}>
                  Archive
                </RowAction>
              )}
            </td>
          </tr>
        )}
      </ListCard>

      <FormCard id="new-coupon" title="New coupon" onSubmit={createCoupon}>
        <CodeField label="Id" bind={field('id')} maxLength={40} />
        <TextField label="Name" bind={field('name')} required maxLength={200} />
        <SelectField label="Takes off" bind={field('kind')}>
          <option value="percent">a percentage</option>
          <option value="amount">an amount</option>
        </SelectField>
        {form.kind === 'percent' ? (
          <NumberField label="Percent off" bind={field('percent')} required decimals={2} />
        ) : (
          <>
            <NumberField label="Amount off (e.g. 10.00)" bind={field('amount')} required decimals={2} />
            <CurrencyField label="Currency" bind={field('currency')} />
          </>
        )}
        <SelectField label="For" bind={field('duration')}>
          <option value="once">the first invoice</option>
          <option value="repeating">some months</option>
          <option value="forever">every invoice</option>
        </SelectField>
        {form.duration === 'repeating' && <NumberField label="Months" bind={field('months')} required />}
        <PlanChoices legend="Plans it applies to (none ticked: every plan)" bind={field('plans')} />
        <NumberField label="Most redemptions (empty: no limit)" bind={field('maxRedemptions')} />
        <TextField label="Redeemable until (empty: no end)" bind={field('redeemBy')} type="date" />
        <Submit disabled={busy}>Create coupon</Submit>
      </FormCard>

      <Card id="new-code" title="New promotion code">
        {live.length === 0 ? (
          <Empty>Offer a coupon first.</Empty>
        ) : (
          <form className="form" onSubmit={createCode} aria-labelledby="new-code-heading">
            <TextField label="Code customers type" bind={codeField('code')} required pattern={codePattern} />
            <SelectField label="Coupon" bind={codeField('couponId')} required>
              <option value="">Choose…</option>
              {live.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}: {c.terms}
                </option>
              ))}
            </SelectField>
            <CheckField label="New customers only" bind={codeField('firstTimeOnly')} />
            <NumberField label="Most uses (empty: no limit)" bind={codeField('maxRedemptions')} />
            <TextField label="Valid until (empty: no end)" bind={codeField('expiresAt')} type="date" />
            <Submit disabled={busy}>Create code</Submit>
          </form>
        )}
      </Card>
    </ActionPage>
  );
}
