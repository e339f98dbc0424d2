import { useState } from 'react';

/**
 * Paging through a keyset list: the server hands out the next page's cursor, and the cursors of the pages
 * already seen are kept here, so going back needs no state on the server.
 */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: cursors[cursors.length - 1],
    onFirstPage: cursors.length === 1,
    restart: () => setCursors([undefined]),
    back: () => setCursors((c) => c.slice(0, -1)),
    forward: (next: string) => setCursors((c) => [...c, next]),
  };
}

export function Pager({
  pages,
  next,
  labels = ['Previous page', 'Next page'],
}: {
  pages: ReturnType<typeof useCursorPages>;
  /** The cursor the server gave for the page after this one; null on the last page. */
  next: string | null;
  labels?: [string, string];
}) {
  return (
    <p className="pager">
      <button type="button" className="secondary" disabled={pages.onFirstPage} onClick={pages.back}>
        {labels[0]}
      </button>
      <button
        type="button"
        className="secondary"
        disabled={!next}
        onClick={() => next && pages.forward(next)}
      >
        {labels[1]}
      </button>
    </p>
  );
}
