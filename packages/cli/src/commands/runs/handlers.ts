import type { OrderBy, RunDetails, RunInfo } from '@mlops/core/tracking';
import type { CliContext } from '../../context.js';
import { EXIT_CODES } from '../../exit-codes.js';
import { formatTable, type Output } from '../../output.js';
import { buildRunFilter, type RunFilterArgs } from '../../parse.js';

const FIELDS = new Set(['startTime', 'endTime', 'name', 'status']);

/** Turns `--sort accuracy`, `--sort param.lr` or `--sort startTime` into a run search order. */
export function parseSort(key: string, ascending: boolean): OrderBy {
  const direction = ascending ? 'asc' : 'desc';
  if (FIELDS.has(key)) return { field: key as 'startTime', direction };
  if (key.startsWith('param.')) return { param: key.slice(6), direction };
  return { metric: key.startsWith('metric.') ? key.slice(7) : key, direction };
}

/** A run as `--json` prints it: the stored facts, params, latest metric values, tags, artifacts, datasets. */
export function runJson(r: RunDetails, experiments: Map<string, string>) {
  return {
    id: r.id,
    experiment: experiments.get(r.experimentId) ?? r.experimentId,
    experimentId: r.experimentId,
    name: r.name,
    parentRunId: r.parentRunId,
    status: r.status,
    startTime: r.startTime,
    endTime: r.endTime,
    git: r.git,
    source: r.source,
    params: r.params,
    metrics: Object.fromEntries(Object.entries(r.metrics).map(([k, m]) => [k, m.value])),
    metricSteps: Object.fromEntries(Object.entries(r.metrics).map(([k, m]) => [k, m.step])),
    tags: r.tags,
    artifacts: r.artifacts,
    datasets: r.datasets,
  };
}

async function experimentNames(ctx: CliContext): Promise<Map<string, string>> {
  const tracker = await ctx.tracker();
  return new Map((await tracker.listExperiments()).map((e) => [e.id, e.name]));
}

const fmtNumber = (v: number | null | undefined) =>
  v === null || v === undefined ? null : String(Number(v.toPrecision(4)));
const iso = (d: Date | null) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : null);

/** Options of {@link runsLs}. */
export interface RunsLsOptions extends RunFilterArgs {
  /**
   * Experiment names (all when empty).
   * @default []
   */
  experiment?: string[];
  /**
   * Sort key: a metric name, `param.<name>`, `startTime`, `endTime`, `name` or `status`.
   * @default startTime (newest first)
   */
  sort?: string;
  /**
   * Sort ascending.
   * @default false
   */
  asc?: boolean;
  /**
   * Most runs listed.
   * @default 50
   */
  limit?: number;
  /**
   * Include nested (child) runs.
   * @default false
   */
  all?: boolean;
}

/** `mlops runs ls`: searches runs by experiment, metric, param, tag and status. */
export async function runsLs(opts: RunsLsOptions, ctx: CliContext, out: Output): Promise<void> {
  const tracker = await ctx.tracker();
  const filter = buildRunFilter(opts);
  if (!opts.all) filter.parentRunId = null;
  const runs = await tracker.searchRuns({
    ...(opts.experiment?.length ? { experiment: opts.experiment } : {}),
    filter,
    ...(opts.sort ? { orderBy: parseSort(opts.sort, opts.asc ?? false) } : {}),
    limit: opts.limit ?? 50,
  });
  const names = await experimentNames(ctx);
  out.result({ runs: runs.map((r) => runJson(r, names)) }, () => {
    if (runs.length === 0) return 'No runs.';
    const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort().slice(0, 6);
    return formatTable(
      ['RUN', 'EXPERIMENT', 'NAME', 'STATUS', 'STARTED', ...metricKeys],
      runs.map((r) => [
        r.id,
        names.get(r.experimentId) ?? r.experimentId,
        r.name,
        r.status,
        iso(r.startTime),
        ...metricKeys.map((k) => fmtNumber(r.metrics[k]?.value)),
      ]),
    );
  });
}

/** `mlops runs show`: one run with everything logged to it. */
export async function runsShow(opts: { id: string }, ctx: CliContext, out: Output): Promise<void> {
  const tracker = await ctx.tracker();
  const r = await tracker.getRun(opts.id);
  const names = await experimentNames(ctx);
  const section = (title: string, entries: [string, string | null][]) =>
    entries.length === 0 ? [] : [`${title}:`, ...entries.map(([k, v]) => `  ${k}: ${v ?? '-'}`)];
  out.result({ run: runJson(r, names) }, () =>
    [
      `Run ${r.id}${r.name ? ` (${r.name})` : ''}`,
      `  experiment: ${names.get(r.experimentId) ?? r.experimentId}`,
      `  status: ${r.status}`,
      `  started: ${iso(r.startTime)}`,
      `  ended: ${iso(r.endTime) ?? '-'}`,
      ...(r.parentRunId ? [`  parent: ${r.parentRunId}`] : []),
      `  git: ${r.git.commit ?? '-'}${r.git.dirty ? ' (dirty)' : ''}`,
      ...section('params', Object.entries(r.paramText)),
      ...section(
        'metrics',
        Object.entries(r.metrics).map(([k, m]) => [k, `${fmtNumber(m.value)} (step ${m.step})`]),
      ),
      ...section('tags', Object.entries(r.tags)),
      ...section(
        'artifacts',
        r.artifacts.map((a) => [a.name, `${a.digest} (${a.size} B)`]),
      ),
      ...section(
        'datasets',
        r.datasets.map((d) => [d.name, `${d.version.slice(0, 12)} (${d.role})`]),
      ),
    ].join('\n'),
  );
}

/** `mlops runs compare`: params and latest metrics of several runs side by side. */
export async function runsCompare(opts: { ids: string[] }, ctx: CliContext, out: Output): Promise<void> {
  const tracker = await ctx.tracker();
  const c = await tracker.compareRuns(opts.ids);
  const label = (r: RunInfo) => r.name ?? r.id.slice(0, 8);
  out.result(c, () =>
    formatTable(
      ['KEY', ...c.runs.map(label), 'DIFFERS'],
      [
        ...c.params.map((p) => [`param.${p.key}`, ...p.values, p.differs ? '*' : '']),
        ...c.metrics.map((m) => [m.key, ...m.values.map(fmtNumber), m.differs ? '*' : '']),
      ],
    ),
  );
}

/** Options of {@link runsBest}. */
export interface RunsBestOptions {
  experiment: string;
  metric: string;
  /**
   * Lower is better.
   * @default false
   */
  min?: boolean;
}

/** `mlops runs best`: the finished run of an experiment with the best latest value of a metric (exit 3 if none). */
export async function runsBest(opts: RunsBestOptions, ctx: CliContext, out: Output): Promise<number> {
  const tracker = await ctx.tracker();
  const r = await tracker.bestRun(opts.experiment, opts.metric, opts.min ? 'min' : 'max');
  const names = await experimentNames(ctx);
  out.result({ run: r ? runJson(r, names) : null }, () =>
    r
      ? `${r.id}${r.name ? ` (${r.name})` : ''}: ${opts.metric} = ${fmtNumber(r.metrics[opts.metric]?.value)}`
      : `No finished run of ${opts.experiment} has ${opts.metric}.`,
  );
  return r ? EXIT_CODES.OK : EXIT_CODES.NOT_FOUND;
}
