import type { ComponentChildren } from 'preact';
import { ApiError } from './api.js';
import { dateTime } from './chart-scale.js';

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

/** A local date-time for tables, `YYYY-MM-DD HH:MM:SS` on the 24-hour clock the time axes use. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const ms = new Date(iso).getTime();
  return Number.isNaN(ms) ? iso : dateTime(ms);
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

/** Extra attributes for a table cell or row (`class`, `data-testid`, `aria-sort`, …). */
export type CellAttrs = Record<string, string | undefined>;

/** One column of a {@link DataTable}. */
export interface Column<T> {
  /** The header cell's content (inside `<th scope="col">`). */
  header: ComponentChildren;
  /** The body cell's content for a row. */
  cell: (row: T) => ComponentChildren;
  /** Stable key for columns that come and go (metric keys, compared runs). @default the column's index */
  key?: string;
  /** Class of the body cells (`num`, `params`). @default none */
  class?: string;
  /** Extra attributes of the header cell. @default none */
  headerAttrs?: CellAttrs;
  /** Extra attributes of a body cell. @default none */
  cellAttrs?: (row: T) => CellAttrs;
}

/** Options of {@link DataTable}. */
export interface DataTableProps<T> {
  caption: ComponentChildren;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string | number;
  /** Shown as a muted paragraph instead of the table when there are no rows. @default the table, empty */
  empty?: ComponentChildren;
  /** The table's `data-testid`. @default none */
  testId?: string;
  /** Which column heads its row (`<th scope="row">`). @default 0 */
  rowHeader?: number;
  /** Extra attributes of a body row. @default none */
  rowAttrs?: (row: T) => CellAttrs;
}

/** A captioned `table.data`: column headers, one row per item, one column as the row header. */
export function DataTable<T>(props: DataTableProps<T>) {
  if (props.empty !== undefined && props.rows.length === 0) return <p class="muted">{props.empty}</p>;
  const head = props.rowHeader ?? 0;
  // On a narrow screen a wide table scrolls inside its own labelled region (chromium and firefox make a scroller
  // keyboard-focusable), never the page.
  return (
    <section class="table-wrap" aria-label={typeof props.caption === 'string' ? props.caption : 'table'}>
      <table class="data" data-testid={props.testId}>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c, i) => (
              <th key={c.key ?? i} scope="col" {...c.headerAttrs}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={props.rowKey(row)} {...props.rowAttrs?.(row)}>
              {props.columns.map((c, i) => {
                const Cell = i === head ? 'th' : 'td';
                return (
                  <Cell key={c.key ?? i} scope={i === head ? 'row' : undefined} class={c.class} {...c.cellAttrs?.(row)}>
                    {c.cell(row)}
                  </Cell>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** A small pill: `badge alias`, `badge ok`, `badge status-finished`. */
export function Badge(props: { kind: string; children: ComponentChildren }) {
  return <span class={`badge ${props.kind}`}>{props.children}</span>;
}

/** A labelled `<select>` over string options, with an optional first "any" option whose value is empty. */
export function SelectField(props: {
  label: string;
  value: string;
  options: readonly string[];
  onChange: (value: string) => void;
  /** Text of a leading `value=""` option. @default none */
  any?: string;
  /** Class of the label (`inline`). @default none */
  class?: string;
}) {
  return (
    <label class={props.class}>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        {props.any === undefined ? null : <option value="">{props.any}</option>}
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}
