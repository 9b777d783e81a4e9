import { useState } from 'preact/hooks';
import { qs } from './api.js';
import { fmt, LineChart } from './chart.js';
import { Badge, type Column, DataTable, KeyValues, Section, SelectField, Status, when } from './common.js';
import { useApi } from './hooks.js';
import type { Comparison, ComparisonRow, RunDetail, RunRow } from './types.js';

const STATUSES = ['running', 'finished', 'failed', 'killed'];

function setQuery(path: string, params: Record<string, string | undefined>) {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) sp.set(k, v);
  const s = sp.toString();
  location.hash = `#${path}${s ? `?${s}` : ''}`;
}

/** Experiments and runs: filters, a sortable table, and a selection to compare. */
export function RunsPage(props: { query: URLSearchParams }) {
  const q = props.query;
  const experiment = q.get('experiment') ?? '';
  const status = q.get('status') ?? '';
  const param = q.get('param') ?? '';
  const metric = q.get('metric') ?? '';
  const sort = q.get('sort') ?? 'startTime';
  const dir = q.get('dir') === 'asc' ? 'asc' : 'desc';
  const path = `runs${qs({ experiment, status, param, metric, sort, dir, limit: 200 })}`;
  const runs = useApi<{ runs: RunRow[]; experiments: string[] }>(path);
  const [selected, setSelected] = useState<string[]>([]);
  const [draft, setDraft] = useState({ experiment, status, param, metric });
  const current = { experiment, status, param, metric, sort, dir };

  const metricKeys = [...new Set((runs.data?.runs ?? []).flatMap((r) => Object.keys(r.metrics)))].sort();
  const sortBy = (key: string) => {
    const nextDir = sort === key && dir === 'desc' ? 'asc' : 'desc';
    setQuery('/runs', { ...current, sort: key, dir: nextDir });
  };
  /** A column whose header sorts the list by `k` (toggling the direction), with `aria-sort` for screen readers. */
  const sortable = (label: string, k: string, cell: Column<RunRow>['cell'], num = false): Column<RunRow> => ({
    key: k,
    header: (
      <button type="button" class="sort" onClick={() => sortBy(k)}>
        {label}
        <span aria-hidden="true">{sort === k ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    ),
    headerAttrs: {
      class: num ? 'num' : undefined,
      'aria-sort': sort === k ? (dir === 'asc' ? 'ascending' : 'descending') : 'none',
    },
    class: num ? 'num' : undefined,
    cell,
  });
  const textFilter = (label: string, field: 'param' | 'metric', placeholder: string) => (
    <label>
      {label}
      <input
        type="text"
        placeholder={placeholder}
        value={draft[field]}
        onInput={(e) => setDraft({ ...draft, [field]: (e.target as HTMLInputElement).value })}
      />
    </label>
  );
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));

  return (
    <div>
      <h1>Experiments and runs</h1>
      <form
        class="filters"
        aria-label="Filter runs"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery('/runs', { ...draft, sort, dir });
        }}
      >
        <SelectField
          label="Experiment"
          any="All experiments"
          value={draft.experiment}
          options={runs.data?.experiments ?? []}
          onChange={(experiment) => setDraft({ ...draft, experiment })}
        />
        <SelectField
          label="Status"
          any="Any status"
          value={draft.status}
          options={STATUSES}
          onChange={(status) => setDraft({ ...draft, status })}
        />
        {textFilter('Param', 'param', 'lr=0.1')}
        {textFilter('Metric', 'metric', 'accuracy>=0.9')}
        <button type="submit">Apply filters</button>
      </form>
      <Status error={runs.error} loading={runs.loading && !runs.data} />
      <div class="toolbar">
        <button
          type="button"
          disabled={selected.length < 2}
          onClick={() => {
            location.hash = `#/compare?ids=${selected.map(encodeURIComponent).join(',')}`;
          }}
        >
          Compare selected ({selected.length})
        </button>
        <span class="muted">Select two or more runs to compare their metrics over steps.</span>
      </div>
      {runs.data ? (
        <DataTable
          caption={`${runs.data.runs.length} run${runs.data.runs.length === 1 ? '' : 's'}`}
          rows={runs.data.runs}
          rowKey={(r) => r.id}
          rowHeader={1}
          columns={[
            {
              header: <span class="visually-hidden">Compare</span>,
              cell: (r) => (
                <input
                  type="checkbox"
                  id={`sel-${r.id}`}
                  checked={selected.includes(r.id)}
                  onChange={() => toggle(r.id)}
                  aria-label={`Select run ${r.name ?? r.id} for comparison`}
                />
              ),
            },
            sortable('Run', 'name', (r) => (
              <>
                <a href={`#/runs/${encodeURIComponent(r.id)}`}>{r.name ?? r.id.slice(0, 8)}</a>
                {r.parentRunId ? <span class="muted"> (step)</span> : null}
              </>
            )),
            { header: 'Experiment', cell: (r) => r.experiment },
            {
              header: 'Params',
              class: 'params',
              cell: (r) =>
                Object.entries(r.params)
                  .filter(([k]) => !k.startsWith('step.'))
                  .map(([k, v]) => `${k}=${v}`)
                  .join(', ') || '–',
            },
            sortable('Status', 'status', (r) => <Badge kind={`status-${r.status}`}>{r.status}</Badge>),
            sortable('Started', 'startTime', (r) => when(r.startTime)),
            ...metricKeys.map((k) => sortable(k, `metric:${k}`, (r) => fmt(r.metrics[k]), true)),
          ]}
        />
      ) : null}
    </div>
  );
}

/** One run: params, metrics (with charts), tags, artifacts, dataset lineage, source. */
export function RunPage(props: { id: string }) {
  const run = useApi<RunDetail>(`runs/${encodeURIComponent(props.id)}`);
  const r = run.data;
  return (
    <div>
      <p>
        <a href="#/runs">← All runs</a>
      </p>
      <Status error={run.error} loading={run.loading} />
      {r ? (
        <>
          <h1>
            Run {r.name ?? r.id} <Badge kind={`status-${r.status}`}>{r.status}</Badge>
          </h1>
          <KeyValues
            caption="Run"
            entries={[
              ['Id', <code key="id">{r.id}</code>],
              ['Experiment', r.experiment],
              ['Started', when(r.startTime)],
              ['Ended', when(r.endTime)],
              ['Git commit', r.git.commit ? `${r.git.commit.slice(0, 12)}${r.git.dirty ? ' (dirty)' : ''}` : '–'],
              ['Entry point', r.source.entryPoint ?? '–'],
              ['Parent run', r.parentRunId ? <a href={`#/runs/${r.parentRunId}`}>{r.parentRunId}</a> : '–'],
            ]}
          />
          <Section title="Params" id="run-params">
            <KeyValues caption="Params" entries={Object.entries(r.params)} />
          </Section>
          <Section title="Metrics" id="run-metrics">
            <KeyValues caption="Latest metrics" entries={Object.entries(r.metrics).map(([k, v]) => [k, fmt(v)])} />
            {Object.entries(r.histories)
              .filter(([, pts]) => pts.length > 1)
              .map(([k, pts]) => (
                <LineChart
                  key={k}
                  id={`run-${k}`}
                  title={`${k} over steps`}
                  xLabel="step"
                  series={[{ label: k, points: pts.map((p) => ({ x: p.step, y: p.value })) }]}
                />
              ))}
          </Section>
          <Section title="Tags" id="run-tags">
            <KeyValues caption="Tags" entries={Object.entries(r.tags)} />
          </Section>
          <Section title="Artifacts" id="run-artifacts">
            <DataTable
              caption="Artifacts"
              empty="No artifacts."
              rows={r.artifacts}
              rowKey={(a) => a.name}
              columns={[
                {
                  header: 'Name',
                  cell: (a) => (
                    <a href={`api/runs/${encodeURIComponent(r.id)}/artifact${qs({ name: a.name })}`}>{a.name}</a>
                  ),
                },
                { header: 'Size (bytes)', class: 'num', cell: (a) => a.size },
                { header: 'Digest', cell: (a) => <code>{a.digest.slice(0, 20)}…</code> },
              ]}
            />
          </Section>
          <Section title="Dataset lineage" id="run-datasets">
            <DataTable
              caption="Dataset versions used"
              empty="No dataset versions recorded."
              rows={r.datasets}
              rowKey={(d) => `${d.name}${d.version}${d.role}`}
              columns={[
                { header: 'Dataset', cell: (d) => d.name },
                { header: 'Version', cell: (d) => <code>{d.version.slice(0, 24)}</code> },
                { header: 'Role', cell: (d) => d.role },
              ]}
            />
          </Section>
        </>
      ) : null}
    </div>
  );
}

/** Two or more runs side by side: params and metrics tables (differences marked), a chart per metric over steps. */
export function ComparePage(props: { query: URLSearchParams }) {
  const ids = (props.query.get('ids') ?? '').split(',').filter(Boolean);
  const cmp = useApi<Comparison>(`compare${qs({ ids: ids.join(',') })}`);
  const c = cmp.data;
  // Runs often share a name (every execution of a pipeline step is "train"): tell them apart by what differs.
  const label = (i: number) => {
    const r = c?.runs[i];
    if (!c || !r) return String(i);
    const base = r.name ?? r.id.slice(0, 8);
    if (c.runs.filter((x) => (x.name ?? x.id.slice(0, 8)) === base).length === 1) return base;
    const diff = c.params.filter((p) => p.differs).slice(0, 2);
    const extra = diff.map((p) => `${p.key}=${p.values[i] ?? '–'}`).join(', ');
    return `${base} (${extra || r.id.slice(0, 8)})`;
  };
  return (
    <div>
      <p>
        <a href="#/runs">← All runs</a>
      </p>
      <h1>Compare {ids.length} runs</h1>
      <Status error={cmp.error} loading={cmp.loading} />
      {c ? (
        <>
          <Section title="Metrics over steps" id="cmp-charts">
            {Object.entries(c.histories)
              .filter(([, byRun]) => Object.values(byRun).some((pts) => pts.length > 1))
              .map(([key, byRun]) => (
                <LineChart
                  key={key}
                  id={`cmp-${key}`}
                  title={key}
                  xLabel="step"
                  series={c.runs.map((r, i) => ({
                    label: label(i),
                    points: (byRun[r.id] ?? []).map((p) => ({ x: p.step, y: p.value })),
                  }))}
                />
              ))}
          </Section>
          {(['metrics', 'params'] as const).map((kind) => (
            <Section key={kind} title={kind === 'metrics' ? 'Latest metrics' : 'Params'} id={`cmp-${kind}`}>
              <DataTable
                caption={`${kind === 'metrics' ? 'Latest metrics' : 'Params'} (rows that differ are marked ≠)`}
                rows={c[kind] as ComparisonRow<string | number>[]}
                rowKey={(row) => row.key}
                rowAttrs={(row) => ({ class: row.differs ? 'differs' : '' })}
                columns={[
                  {
                    header: 'Key',
                    cell: (row) => (
                      <>
                        {row.key}
                        {row.differs ? <span title="values differ"> ≠</span> : null}
                      </>
                    ),
                  },
                  ...c.runs.map((r, i) => ({
                    key: r.id,
                    header: <a href={`#/runs/${r.id}`}>{label(i)}</a>,
                    headerAttrs: { class: 'num' },
                    class: 'num',
                    cell: (row: ComparisonRow<string | number>) => {
                      const v = row.values[i];
                      return typeof v === 'number' ? fmt(v) : (v ?? '–');
                    },
                  })),
                ]}
              />
            </Section>
          ))}
        </>
      ) : null}
    </div>
  );
}
