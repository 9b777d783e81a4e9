import { useCallback, useEffect, useState } from 'preact/hooks';
import { type ApiError, api } from './api.js';

/** The state of a load: data, error, and whether it is in flight. */
export interface Load<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** Loads `api/<path>` whenever `path` changes (null: nothing to load). */
export function useApi<T>(path: string | null): Load<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: path !== null });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  // `tick` is a dependency on purpose: `reload()` bumps it to fetch again.
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api<T>(path).then(
      (data) => live && setState({ data, loading: false }),
      (error: Error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** The current location hash as a path and its query (`#/runs?x=1` → `/runs`, `x=1`). */
export function useHashRoute(): { path: string; query: URLSearchParams } {
  const read = () => {
    const h = location.hash.replace(/^#/, '') || '/runs';
    const [path, q] = h.split('?');
    return { path: path || '/runs', query: new URLSearchParams(q ?? '') };
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
