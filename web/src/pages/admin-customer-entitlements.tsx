import { type FormEvent } from 'react';
import { api, call } from '../api/client';
import { Card, Empty, ErrorNotice, Loaded, Notice, Table } from '../components';
import { useAction, useLoad } from '../data';
import { count, date, dateTime } from '../format';
import { CheckField, NumberField, RowAction, SelectField, Submit, TextField, useForm } from '../form-kit';

type Change = 'grant' | 'revoke' | 'limit' | 'amount';
const blank = {
  feature: '',
  change: 'grant' as Change,
  value: '',
  unlimited: false,
  expires: '',
  reason: '',
};

/** What an entitlement allows, in words: on, a limit, or an allowance with its period and overage. */
function termsOf(e: {
  kind: string;
  limit: number | null;
  per?: string;
  overage?: string;
  usage_type?: string;
}) {
  if (e.kind === 'boolean') return 'On';
  const amount = e.limit === null ? 'Unlimited' : count(e.limit);
  if (e.kind === 'limit') return amount;
  const usage = e.usage_type === '*' ? 'all usage' : e.usage_type;
  return `${amount} a ${e.per === 'day' ? 'day' : 'period'} (${usage}; ${e.overage === 'bill' ? 'overage billed' : 'blocks past it'})`;
}

/**
 * A customer's entitlements as they stand (the plan's, with overrides), every override an admin made, in
 * force or not, and a form to add one: grant or take away a feature, set a limit or an allowance's amount,
 * until a date or for good, with a reason. The API audits each and publishes it as access.changed.
 */
export function CustomerEntitlements({ email, onChanged }: { email: string; onChanged(): void }) {
  const view = useLoad(
    () =>
      call(api.GET('/api/v1/admin/billing/customers/{email}/entitlements', { params: { path: { email } } })),
    `admin-entitlements-${email}`,
  );
  const [form, setForm, field] = useForm(blank);
  const { busy, error, done, run } = useAction(() => {
    onChanged();
    return view.reload();
  });
  const add = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const value = form.unlimited ? null : Number(form.value);
      const change =
        form.change === 'grant'
          ? { grant: true }
          : form.change === 'revoke'
            ? { grant: false }
            : form.change === 'limit'
              ? { limit: value }
              : { amount: value };
      await call(
        api.POST('/api/v1/admin/billing/customers/{email}/entitlement-overrides', {
          params: { path: { email } },
          body: {
            feature: form.feature.trim(),
            ...change,
            expires_at: form.expires ? new Date(`${form.expires}T00:00:00Z`).toISOString() : null,
            reason: form.reason.trim(),
          },
        }),
      );
      const what = form.feature.trim();
      setForm(blank);
      return `The override of ${what} is in force${form.expires ? ` until ${date(`${form.expires}T00:00:00Z`)}` : ''}.`;
    });
  };
  const remove = (id: string, feature: string) =>
    void run(async () => {
      await call(
        api.DELETE('/api/v1/admin/billing/customers/{email}/entitlement-overrides/{id}', {
          params: { path: { email, id } },
        }),
      );
      return `The override of ${feature} is removed.`;
    });
  const numeric = form.change === 'limit' || form.change === 'amount';

  return (
    <Card id="entitlements" title="Entitlements" wide>
      {done && <Notice kind="success">{done}</Notice>}
      {error && <ErrorNotice error={error} />}
      <Loaded state={view} what="the entitlements">
        {(v) => (
          <>
            {v.entitlements.length === 0 ? (
              <Empty>No entitlements: no subscription that grants any.</Empty>
            ) : (
              <Table
                label="Entitlements in force"
                columns={[
                  'Feature',
                  'Terms',
                  { label: 'Used', num: true },
                  { label: 'Left', num: true },
                  'Now',
                ]}
              >
                {v.entitlements.map((e) => (
                  <tr key={e.feature} data-testid={`entitlement-${e.feature}`}>
                    <th scope="row">
                      <code>{e.feature}</code>
                    </th>
                    <td>{termsOf(e)}</td>
                    <td className="num">{e.used === null ? '—' : count(e.used)}</td>
                    <td className="num">{e.remaining === null ? '—' : count(e.remaining)}</td>
                    <td>{e.allowed ? 'Allowed' : `Refused (${e.reason})`}</td>
                  </tr>
                ))}
              </Table>
            )}
            {v.overrides.length > 0 && (
              <Table
                label="Overrides"
                columns={[
                  'Feature',
                  'Change',
                  'Until',
                  'Reason',
                  'By',
                  'State',
                  { label: 'Actions', hidden: true },
                ]}
              >
                {v.overrides.map((o) => (
                  <tr key={o.id} data-testid={`override-${o.feature}`}>
                    <th scope="row">
                      <code>{o.feature}</code>
                    </th>
                    <td>
                      {o.grant === true
                        ? 'Granted'
                        : o.grant === false
                          ? 'Taken away'
                          : o.limit !== undefined
                            ? `Limit ${o.limit === null ? 'unlimited' : count(o.limit)}`
                            : `Amount ${o.amount === null || o.amount === undefined ? 'unlimited' : count(o.amount)}`}
                    </td>
                    <td>{o.expires_at ? date(o.expires_at) : 'Until removed'}</td>
                    <td>{o.reason}</td>
                    <td>{o.actor}</td>
                    <td>
                      {o.active ? 'In force' : o.removed_at ? `Removed ${dateTime(o.removed_at)}` : 'Expired'}
                    </td>
                    <td>
                      {o.active && (
                        <RowAction
                          busy={busy}
                          label={`Remove the override of ${o.feature}`}
                          onClick={() => remove(o.id, o.feature)}
                        >
                          Remove
                        </RowAction>
                      )}
                    </td>
                  </tr>
                ))}
              </Table>
            )}
          </>
        )}
      </Loaded>
      <form className="form" onSubmit={add} aria-label="New override">
        <TextField
          label="Feature"
          bind={field('feature')}
          required
          pattern="[a-z0-9][a-z0-9_.\-]{0,63}"
          list="entitlement-features"
        />
        <datalist id="entitlement-features">
          {(view.data?.entitlements ?? []).map((e) => (
            <option key={e.feature} value={e.feature} />
          ))}
        </datalist>
        <SelectField label="Change" bind={field('change')}>
          <option value="grant">Grant the feature</option>
          <option value="revoke">Take the feature away</option>
          <option value="limit">Set a limit</option>
          <option value="amount">Set an allowance's amount</option>
        </SelectField>
        {numeric && (
          <>
            <NumberField
              label="Value"
              bind={field('value')}
              required={!form.unlimited}
              disabled={form.unlimited}
            />
            <CheckField label="Unlimited" bind={field('unlimited')} />
          </>
        )}
        <TextField label="Until (empty: until removed)" bind={field('expires')} type="date" />
        <TextField label="Reason" bind={field('reason')} required maxLength={500} />
        <Submit disabled={busy}>Add override</Submit>
      </form>
    </Card>
  );
}
