import { useState } from 'preact/hooks';
import { qs } from './api.js';
import { fmt, LineChart } from './chart.js';
import { KeyValues, Section, Status, when } from './common.js';
import { useApi } from './hooks.js';
import type { Comparison, RunDetail, RunRow } from './types.js';

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
  const SortHeader = (p: { label: string; k: string; num?: boolean }) => (
    <th
      scope="col"
      class={p.num ? 'num' : undefined}
      aria-sort={sort === p.k ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button type="button" class="sort" onClick={() => sortBy(p.k)}>
        {p.label}
        <span aria-hidden="true">{sort === p.k ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
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
        <label>
          Experiment
          <select
            value={draft.experiment}
            onChange={(e) => setDraft({ ...draft, experiment: (e.target as HTMLSelectElement).value })}
          >
            <option value="">All experiments</option>
            {(runs.data?.experiments ?? []).map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: (e.target as HTMLSelectElement).value })}
          >
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Param
          <input
            type="text"
            placeholder="lr=0.1"
            value={draft.param}
            onInput={(e) => setDraft({ ...draft, param: (e.target as HTMLInputElement).value })}
          />
        </label>
        <label>
          Metric
          <input
            type="text"
            placeholder="accuracy>=0.9"
            value={draft.metric}
            onInput={(e) => setDraft({ ...draft, metric: (e.target as HTMLInputElement).value })}
          />
        </label>
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
        <table class="data">
          <caption>
            {runs.data.runs.length} run{runs.data.runs.length === 1 ? '' : 's'}
          </caption>
          <thead>
            <tr>
              <th scope="col">
                <span class="visually-hidden">Compare</span>
              </th>
              <SortHeader label="Run" k="name" />
              <th scope="col">Experiment</th>
              <th scope="col">Params</th>
              <SortHeader label="Status" k="status" />
              <SortHeader label="Started" k="startTime" />
              {metricKeys.map((k) => (
                <SortHeader key={k} label={k} k={`metric:${k}`} num />
              ))}
            </tr>
          </thead>
          <tbody>
            {runs.data.runs.map((r) => (
              <tr key={r.id}>
                <td>
                  <input
                    type="checkbox"
                    id={`sel-${r.id}`}
                    checked={selected.includes(r.id)}
                    onChange={() => toggle(r.id)}
                    aria-label={`Select run ${r.name ?? r.id} for comparison`}
                  />
                </td>
                <th scope="row">
                  <a href={`#/runs/${encodeURIComponent(r.id)}`}>{r.name ?? r.id.slice(0, 8)}</a>
                  {r.parentRunId ? <span class="muted"> (step)</span> : null}
                </th>
                <td>{r.experiment}</td>
                <td class="params">
                  {Object.entries(r.params)
                    .filter(([k]) => !k.startsWith('step.'))
                    .map(([k, v]) => `${k}=${v}`)
                    .join(', ') || '–'}
                </td>
                <td>
                  <span class={`badge status-${r.status}`}>{r.status}</span>
                </td>
                <td>{when(r.startTime)}</td>
                {metricKeys.map((k) => (
                  <td key={k} class="num">
                    {fmt(r.metrics[k])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
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
            Run {r.name ?? r.id} <span class={`badge status-${r.status}`}>{r.status}</span>
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
            {r.artifacts.length === 0 ? (
              <p class="muted">No artifacts.</p>
            ) : (
              <table class="data">
                <caption>Artifacts</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Size (bytes)</th>
                    <th scope="col">Digest</th>
                  </tr>
                </thead>
                <tbody>
                  {r.artifacts.map((a) => (
                    <tr key={a.name}>
                      <th scope="row">
                        <a href={`api/runs/${encodeURIComponent(r.id)}/artifact${qs({ name: a.name })}`}>{a.name}</a>
                      </th>
                      <td class="num">{a.size}</td>
                      <td>
                        <code>{a.digest.slice(0, 20)}…</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Dataset lineage" id="run-datasets">
            {r.datasets.length === 0 ? (
              <p class="muted">No dataset versions recorded.</p>
            ) : (
              <table class="data">
                <caption>Dataset versions used</caption>
                <thead>
                  <tr>
                    <th scope="col">Dataset</th>
                    <th scope="col">Version</th>
                    <th scope="col">Role</th>
                  </tr>
                </thead>
                <tbody>
                  {r.datasets.map((d) => (
                    <tr key={`${d.name}${d.version}${d.role}`}>
                      <th scope="row">{d.name}</th>
                      <td>
                        <code>{d.version.slice(0, 24)}</code>
                      </td>
                      <td>{d.role}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
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
              <table class="data">
                <caption>{kind === 'metrics' ? 'Latest metrics' : 'Params'} (rows that differ are marked ≠)</caption>
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    {c.runs.map((r, i) => (
                      <th key={r.id} scope="col" class="num">
                        <a href={`#/runs/${r.id}`}>{label(i)}</a>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {c[kind].map((row) => (
                    <tr key={row.key} class={row.differs ? 'differs' : ''}>
                      <th scope="row">
                        {row.key}
                        {row.differs ? <span title="values differ"> ≠</span> : null}
                      </th>
                      {row.values.map((v, i) => (
                        <td key={c.runs[i]!.id} class="num">
                          {typeof v === 'number' ? fmt(v) : (v ?? '–')}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </Section>
          ))}
        </>
      ) : null}
    </div>
  );
}
