import { useState, type FormEvent } from 'react';
import { api, call } from './api/client';
import { Card, Empty, ErrorNotice, Loaded, Notice, Table } from './components';
import { useAttempt, useLoad } from './data';
import { count, date } from './format';

type Budget = Awaited<ReturnType<typeof loadOwn>>['budgets'][number];
const loadOwn = () => call(api.GET('/api/v1/billing/budgets'));

const PER: Record<Budget['per'], string> = { day: '/ day', period: '/ period' };

/** One row per budget: the subject, its limit, what it used in the window now open, and when it resets. */
function BudgetRows({
  budgets,
  onRemove,
  busy,
}: {
  budgets: Budget[];
  onRemove?(s: string): void;
  busy?: boolean;
}) {
  if (budgets.length === 0)
    return <Empty>No budgets: usage is held only to the account&rsquo;s own limits.</Empty>;
  return (
    <Table
      label="Budgets"
      columns={[
        'Subject',
        { label: 'Limit', num: true },
        { label: 'Used', num: true },
        { label: 'Left', num: true },
        'Alert',
        'Resets',
        ...(onRemove ? [{ label: 'Actions', hidden: true }] : []),
      ]}
    >
      {budgets.map((b) => (
        <tr key={b.subject} className={b.reached ? 'warning' : undefined}>
          <td>
            <code>{b.subject}</code>
          </td>
          <td className="num">
            {count(b.limit_units)} {PER[b.per]}
          </td>
          <td className="num" data-testid={`budget-used-${b.subject}`}>
            {count(b.used)}
          </td>
          <td className="num">{b.reached ? 'Used up' : count(b.remaining)}</td>
          <td>
            {b.alert_percent === null ? 'None' : `${b.alert_percent} %${b.alert_reached ? ' (reached)' : ''}`}
          </td>
          <td>{date(b.resets_at)}</td>
          {onRemove && (
            <td>
              <button type="button" className="secondary" disabled={busy} onClick={() => onRemove(b.subject)}>
                Remove
              </button>
            </td>
          )}
        </tr>
      ))}
    </Table>
  );
}

/**
 * The customer's budgets inside their account: a cap per subject their usage names (a project, key or end
 * user), per day or per billing period, with an alert; set, changed and removed here.
 */
export function OwnBudgets() {
  const state = useLoad(loadOwn, 'own-budgets');
  const [subject, setSubject] = useState('');
  const [limit, setLimit] = useState('');
  const [per, setPer] = useState<Budget['per']>('day');
  const [alert, setAlert] = useState('');
  const { busy, error, done, attempt } = useAttempt(state.reload);
  const save = (e: FormEvent) => {
    e.preventDefault();
    void attempt(async () => {
      await call(
        api.PUT('/api/v1/billing/budgets/{subject}', {
          params: { path: { subject: subject.trim() } },
          body: {
            per,
            limit_units: Number(limit),
            alert_percent: alert.trim() === '' ? null : Number(alert),
          },
        }),
      );
      const saved = `Budget for ${subject.trim()} saved.`;
      setSubject('');
      setLimit('');
      setAlert('');
      return saved;
    });
  };
  const remove = (s: string) =>
    void attempt(async () => {
      await call(api.DELETE('/api/v1/billing/budgets/{subject}', { params: { path: { subject: s } } }));
      return `Budget for ${s} removed.`;
    });
  return (
    <Card id="budgets" title="Budgets by project, key or user" wide>
      <p className="muted">
        Usage your gateway reports with a <code>subject</code> is held to that subject&rsquo;s budget: past
        it, its calls are refused until the window resets. Your account&rsquo;s own limits still apply.
      </p>
      {done && <Notice kind="success">{done}</Notice>}
      {error && <ErrorNotice error={error} />}
      <Loaded state={state} what="your budgets">
        {(b) => <BudgetRows budgets={b.budgets} onRemove={remove} busy={busy} />}
      </Loaded>
      <form className="filters" aria-label="Set a budget" onSubmit={save}>
        <label>
          Subject{' '}
          <input
            name="budget-subject"
            value={subject}
            onChange={(e) => setSubject(e.target.value)}
            pattern="[A-Za-z0-9._:@+\-]{1,100}"
            title="1 to 100 letters, digits or ._:@+- characters"
            placeholder="project-a"
            required
          />
        </label>
        <label>
          Units{' '}
          <input
            name="budget-limit"
            inputMode="numeric"
            pattern="[0-9]+"
            value={limit}
            onChange={(e) => setLimit(e.target.value)}
            required
          />
        </label>
        <label>
          Per{' '}
          <select name="budget-per" value={per} onChange={(e) => setPer(e.target.value as Budget['per'])}>
            <option value="day">day (UTC)</option>
            <option value="period">billing period</option>
          </select>
        </label>
        <label>
          Alert at %{' '}
          <input
            name="budget-alert"
            inputMode="numeric"
            pattern="[0-9]{1,3}"
            value={alert}
            onChange={(e) => setAlert(e.target.value)}
            placeholder="none"
          />
        </label>
        <button type="submit" disabled={busy || !subject.trim() || !limit.trim()}>
          Save the budget
        </button>
      </form>
    </Card>
  );
}

/** A customer's budgets in the console, read-only: the customer sets them. */
export function CustomerBudgets({ email }: { email: string }) {
  const state = useLoad(
    () => call(api.GET('/api/v1/admin/billing/customers/{email}/budgets', { params: { path: { email } } })),
    `admin-budgets-${email}`,
  );
  return (
    <Card id="budgets" title="Budgets by project, key or user" wide>
      <Loaded state={state} what="the budgets">
        {(b) => <BudgetRows budgets={b.budgets} />}
      </Loaded>
    </Card>
  );
}
