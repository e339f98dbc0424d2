import { useState, type FormEvent, type InputHTMLAttributes, type ReactNode } from 'react';
import { api, call } from './api/client';
import { Card, type Column, Empty, ErrorNotice, Loaded, Notice, Page, Table } from './components';
import { type Action, type LoadState, useLoad } from './data';

/**
 * The form kit of the admin pages: a form's fields kept in one state object (`useForm`), and labelled
 * fields bound to one key of it (`bind('name')`), each the same markup a page would write by hand: a
 * `<label>` around its text and the control, so the label is the control's accessible name.
 */

/** One field of a form's state: its value and how to change it. */
export type Bound<V> = { value: V; set(value: V): void };

/** useState for a form's fields, with `bind(key)`: that field's value and setter, for the fields below. */
export function useForm<F extends object>(initial: F) {
  const [form, setForm] = useState(initial);
  const bind = <K extends keyof F>(key: K): Bound<F[K]> => ({
    value: form[key],
    set: (value) => setForm((current) => ({ ...current, [key]: value })),
  });
  return [form, setForm, bind] as const;
}

/** What an `<input>` may be given besides its value: required, pattern, maxLength, type, inputMode… */
type InputAttributes = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'checked' | 'onChange'>;

type FieldProps<V> = { label: ReactNode; bind: Bound<V> } & InputAttributes;

/** A labelled text input (or date, url…: `type`) bound to a string field. */
export function TextField({ label, bind, ...input }: FieldProps<string>) {
  return (
    <label>
      {label} <input {...input} value={bind.value} onChange={(e) => bind.set(e.target.value)} />
    </label>
  );
}

/**
 * A labelled text input for a number typed as digits, with at most `decimals` digits after a point (none:
 * a whole number); the field keeps the text, the page turns it into a number when it sends it.
 */
export function NumberField({ decimals = 0, ...props }: FieldProps<string> & { decimals?: number }) {
  return (
    <TextField
      inputMode={decimals ? 'decimal' : 'numeric'}
      pattern={decimals ? `[0-9]+([.][0-9]{1,${decimals}})?` : '[0-9]+'}
      {...props}
    />
  );
}

/** A required code field: lower-case letters, digits, `_` and `-`, starting with a letter or a digit. */
export function CodeField(props: FieldProps<string>) {
  return <TextField required pattern="[a-z0-9][a-z0-9_-]*" {...props} />;
}

/** A required three-letter currency code field ("usd", "EUR"). */
export function CurrencyField(props: FieldProps<string>) {
  return <TextField required pattern="[a-zA-Z]{3}" maxLength={3} {...props} />;
}

/** A labelled checkbox bound to a boolean field; the label follows the box. */
export function CheckField({ label, bind, ...input }: FieldProps<boolean>) {
  return (
    <label className="check">
      <input {...input} type="checkbox" checked={bind.value} onChange={(e) => bind.set(e.target.checked)} />{' '}
      {label}
    </label>
  );
}

/** A labelled drop-down bound to a field; `children` are its `<option>`s. */
export function SelectField<T extends string>({
  label,
  bind,
  required,
  children,
}: {
  label: ReactNode;
  bind: Bound<T>;
  required?: boolean;
  children: ReactNode;
}) {
  return (
    <label>
      {label}{' '}
      <select value={bind.value} onChange={(e) => bind.set(e.target.value as T)} required={required}>
        {children}
      </select>
    </label>
  );
}

/** A set of checkboxes under a legend, bound to a list field: each ticked option's value is in the list. */
export function Choices<T extends string>({
  legend,
  bind,
  options,
}: {
  legend: ReactNode;
  bind: Bound<T[]>;
  options: readonly { value: T; label: ReactNode }[];
}) {
  return (
    <fieldset className="choices">
      <legend>{legend}</legend>
      {options.map((o) => (
        <CheckField
          key={o.value}
          label={o.label}
          bind={{
            value: bind.value.includes(o.value),
            set: (on) => bind.set(on ? [...bind.value, o.value] : bind.value.filter((v) => v !== o.value)),
          }}
        />
      ))}
    </fieldset>
  );
}

/**
 * The plans a coupon or credit pack may be limited to, as Choices of plan codes: the current version of each
 * plan still on offer, by name and code.
 */
export function PlanChoices({ legend, bind }: { legend: ReactNode; bind: Bound<string[]> }) {
  const plans = useLoad(() => call(api.GET('/api/v1/admin/plans')), 'admin-plans');
  const offered = (plans.data ?? []).filter((v) => v.is_current && v.status === 'active');
  return (
    <Choices
      legend={legend}
      bind={bind}
      options={offered.map((v) => ({
        value: v.id,
        label: (
          <>
            {v.display_name} <code>{v.id}</code>
          </>
        ),
      }))}
    />
  );
}

/** A card that is a form, named by the card's heading (`${id}-heading`). */
export function FormCard({
  id,
  title,
  onSubmit,
  children,
}: {
  id: string;
  title: string;
  onSubmit(e: FormEvent): void;
  children: ReactNode;
}) {
  return (
    <Card id={id} title={title}>
      <form className="form" onSubmit={onSubmit} aria-labelledby={`${id}-heading`}>
        {children}
      </form>
    </Card>
  );
}

/** A form's submit button, `disabled` while its action runs (or while the form cannot be sent). */
export function Submit({ disabled, children }: { disabled?: boolean; children: ReactNode }) {
  return (
    <button type="submit" disabled={disabled}>
      {children}
    </button>
  );
}

/**
 * A button of a table row (or list item) that acts on it: `label` names it with its row for a screen reader
 * ("Archive Launch"), `busy` disables it while an action runs.
 */
export function RowAction({
  label,
  busy,
  expanded,
  onClick,
  className = 'secondary',
  children,
}: {
  label?: string;
  busy?: boolean;
  /** For a button that opens a form or details below the row: whether it is open. */
  expanded?: boolean;
  onClick(): void;
  className?: string;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className={className}
      disabled={busy}
      aria-label={label}
      aria-expanded={expanded}
      onClick={onClick}
    >
      {children}
    </button>
  );
}

/** An admin page around one action at a time: what the last action did, or its error, above the cards. */
export function ActionPage({
  title,
  action,
  notice,
  children,
}: {
  title: string;
  action: Pick<Action, 'done' | 'error'>;
  /** Shown between the two, e.g. a secret to copy once. */
  notice?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Page title={title} wide>
      {action.done && <Notice kind="success">{action.done}</Notice>}
      {notice}
      {action.error && <ErrorNotice error={action.error} />}
      {children}
    </Page>
  );
}

/** A wide card listing what an admin page manages as a table, a row each, or `empty` when there is none. */
export function ListCard<T, R>({
  id,
  title,
  state,
  what,
  rows,
  empty,
  label,
  columns,
  children,
}: {
  id: string;
  title: string;
  state: LoadState<T>;
  /** What is loading, for the loading and error notices ("the coupons"). */
  what: string;
  rows(data: T): R[];
  empty: ReactNode;
  /** The table's accessible name. */
  label: string;
  columns: Column[];
  /** One `<tr>` for a row. */
  children(row: R): ReactNode;
}) {
  return (
    <Card id={id} title={title} wide>
      <Loaded state={state} what={what}>
        {(data) => {
          const list = rows(data);
          return list.length === 0 ? (
            <Empty>{empty}</Empty>
          ) : (
            <Table label={label} columns={columns}>
              {list.map(children)}
            </Table>
          );
        }}
      </Loaded>
    </Card>
  );
}

/**
 * A row's button that turns something on or off: it reads what it will do ("Turn off"), named with its
 * row for a screen reader ("Turn off Launch").
 */
export function ToggleAction({
  on,
  name,
  words,
  busy,
  className,
  onToggle,
}: {
  on: boolean;
  name: string;
  /** What the button says while the thing is on, and while it is off. */
  words: [whenOn: string, whenOff: string];
  busy: boolean;
  className?: string;
  onToggle(to: boolean): void;
}) {
  const word = on ? words[0] : words[1];
  return (
    <RowAction className={className} busy={busy} label={`${word} ${name}`} onClick={() => onToggle(!on)}>
      {word}
    </RowAction>
  );
}
