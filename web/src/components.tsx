import { useEffect, useRef, type ReactNode } from 'react';
import type { ApiError } from './api/client';
import type { LoadState } from './data';

/** A page: sets the document title and moves focus to its heading, so a screen reader hears where it is. */
export function Page({ title, children, wide }: { title: string; children: ReactNode; wide?: boolean }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Billing`;
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <section className={wide ? 'page wide' : 'page'} aria-labelledby="page-title">
      <h1 id="page-title" ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children}
    </section>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

/** The API's error, with its code, and a way to try again. */
export function ErrorNotice({ error, retry }: { error: ApiError; retry?: () => void }) {
  return (
    <div className="notice error" role="alert">
      <p>
        <strong>{error.status === 0 ? 'Could not reach the server.' : 'Something went wrong.'}</strong>{' '}
        {error.message}
      </p>
      <p className="code">
        Error code: <code>{error.code}</code>
        {error.status ? ` (HTTP ${error.status})` : ''}
      </p>
      {retry && (
        <button type="button" className="secondary" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/**
 * What a loaded part of a page shows: the error with a way to try again, the spinner until the first
 * answer, then `children` with the data. A reload keeps the last answer on screen (see useLoad).
 */
export function Loaded<T>({
  state,
  what,
  children,
}: {
  state: LoadState<T>;
  what: string;
  children(data: T): ReactNode;
}) {
  if (state.error) return <ErrorNotice error={state.error} retry={state.reload} />;
  if (state.data === undefined) return <Loading what={what} />;
  return <>{children(state.data)}</>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Notice({ kind, children }: { kind: 'info' | 'success' | 'warning'; children: ReactNode }) {
  return (
    <div className={`notice ${kind}`} role={kind === 'warning' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** A column heading: its text, `num` for a figure (right-aligned), `hidden` for one only a screen reader reads. */
export type Column = string | { label: string; num?: boolean; hidden?: boolean };

/** A table that scrolls on its own on a narrow screen, under its column headings; `children` are the rows. */
export function Table({
  label,
  columns,
  children,
}: {
  label: string;
  columns: Column[];
  children: ReactNode;
}) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={label}>
      <table>
        <thead>
          <tr>
            {columns.map((column) => {
              const c = typeof column === 'string' ? { label: column } : column;
              return (
                <th key={c.label} scope="col" className={c.num ? 'num' : undefined}>
                  {c.hidden ? <span className="visually-hidden">{c.label}</span> : c.label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A card of a page: a section named by its heading (`${id}-heading`), so a screen reader lists it by name. */
export function Card({
  id,
  title,
  wide,
  children,
}: {
  id: string;
  title: ReactNode;
  wide?: boolean;
  children: ReactNode;
}) {
  return (
    <section className={wide ? 'card wide' : 'card'} aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      {children}
    </section>
  );
}

/** A labelled drop-down of `options`; `onChange` gets the chosen value. */
export function Select<T extends string>({
  label,
  value,
  options,
  onChange,
  required,
}: {
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange(value: T): void;
  required?: boolean;
}) {
  return (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => onChange(e.target.value as T)} required={required}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}
