import { useEffect, useRef, type ReactNode } from 'react';
import type { ApiError } from './api/client';

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
