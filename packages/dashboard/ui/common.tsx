import type { ComponentChildren } from 'preact';
import { ApiError } from './api.js';

/** Shows a load's error (with field paths for a 400) or a loading line. */
export function Status(props: { error: Error | undefined; loading: boolean }) {
  if (props.error) return <ErrorBox error={props.error} />;
  if (props.loading)
    return (
      <p class="muted" aria-live="polite">
        Loading…
      </p>
    );
  return null;
}

/** An error message with the server's field-level details. */
export function ErrorBox(props: { error: Error }) {
  const e = props.error;
  const details =
    e instanceof ApiError && Array.isArray(e.details) ? (e.details as { path?: string; message?: string }[]) : [];
  return (
    <div class="error" role="alert">
      <strong>{e instanceof ApiError ? `${e.code}: ` : ''}</strong>
      {e.message}
      {e instanceof ApiError && e.status === 401 ? ' — enter an API key above.' : ''}
      {details.length > 0 ? (
        <ul>
          {details.map((d) => (
            <li key={`${d.path}${d.message}`}>
              <code>{d.path}</code>: {d.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A local date-time for tables. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A section with a heading. */
export function Section(props: { title: string; id: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** A key/value table. */
export function KeyValues(props: { caption: string; entries: [string, ComponentChildren][] }) {
  if (props.entries.length === 0) return <p class="muted">No {props.caption.toLowerCase()}.</p>;
  return (
    <table class="kv">
      <caption>{props.caption}</caption>
      <tbody>
        {props.entries.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
