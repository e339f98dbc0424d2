import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api/client';

export interface LoadState<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  /** Loads afresh; settles once an answer (or an error) from this load or a later one is in state. */
  reload(): Promise<void>;
}

/**
 * Loads once per change of `key` or `version`. `key` names what is loaded (a customer, a currency, a
 * range): an answer is shown only under the key it was loaded for, so after a change of key the page shows
 * loading, not the previous customer's or currency's figures under the new name. `version` and `reload`
 * load the same thing afresh, keeping the last answer on screen meanwhile.
 */
export function useLoad<T>(load: () => Promise<T>, key: string, version = 0): LoadState<T> {
  const [held, setHeld] = useState<{ key: string; value: T } | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  const rounds = useRef(0);
  const waiting = useRef<{ round: number; settle: () => void }[]>([]);
  const loader = useRef(load);
  loader.current = load;

  useEffect(() => {
    let live = true;
    setLoading(true);
    // A reload asked for before this round is answered by it; one asked for since waits for its own.
    const answered = () => {
      const still = waiting.current.filter((w) => w.round > round);
      for (const w of waiting.current) if (w.round <= round) w.settle();
      waiting.current = still;
    };
    loader.current().then(
      (value) => {
        if (!live) return;
        setHeld({ key, value });
        setError(null);
        setLoading(false);
        answered();
      },
      (err: unknown) => {
        if (!live) return;
        setError(err instanceof ApiError ? err : new ApiError(0, 'client_error', String(err)));
        setLoading(false);
        answered();
      },
    );
    return () => {
      live = false;
    };
  }, [key, version, round]);

  const reload = useCallback(
    () =>
      new Promise<void>((settle) => {
        const next = ++rounds.current;
        waiting.current.push({ round: next, settle });
        setRound(next);
      }),
    [],
  );
  return { data: held?.key === key ? held.value : undefined, error, loading, reload };
}

export interface Action {
  busy: boolean;
  error: ApiError | null;
  /** What the last action that succeeded said it did. */
  done: string | null;
  /**
   * Runs `fn` (which answers what it did, in words), then `after` when it succeeded; what it did is said
   * once `after` has settled, so the page never announces a change its rows do not show yet.
   */
  run(fn: () => Promise<string>): Promise<void>;
  clear(): void;
}

/**
 * The state every console form keeps around one action at a time: busy while it runs, its error, or what
 * it did; `after` reloads what the action changed.
 */
export function useAction(after: () => void | Promise<void>): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const then = useRef(after);
  then.current = after;
  const run = useCallback(async (fn: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const said = await fn();
      await then.current();
      setDone(said);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'client_error', String(err)));
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setError(null);
    setDone(null);
  }, []);
  return { busy, error, done, run, clear };
}

/**
 * One action at a time on a page (grant, void, set, end): busy while it runs, the API's refusal as
 * `error`, and the notice it answers as `done`; `after` runs once it succeeded (reload what it changed),
 * and the notice waits for it, as `useAction`'s does, so it never announces rows not yet on the page.
 */
export function useAttempt(after: () => void | Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const attempt = async (fn: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const said = await fn();
      await after();
      setDone(said);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, done, attempt };
}
