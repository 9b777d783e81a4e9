import type {
  MetricPoint,
  NumberCondition,
  OrderBy,
  RunDetails,
  RunFilter,
  TextCondition,
  Tracker,
} from '@mlops/core/tracking';
import type { Registry } from '@mlops/registry';
import type { z } from 'zod';
import type { RunRow } from './api-types.js';
import type { runsQuerySchema } from './schemas.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

async function experimentNames(tracker: Tracker): Promise<Map<string, string>> {
  return new Map((await tracker.listExperiments()).map((e) => [e.id, e.name]));
}

function toRow(r: RunDetails, names: Map<string, string>): RunRow {
  return {
    id: r.id,
    name: r.name,
    experiment: names.get(r.experimentId) ?? r.experimentId,
    status: r.status,
    parentRunId: r.parentRunId,
    startTime: r.startTime.toISOString(),
    endTime: iso(r.endTime),
    params: r.paramText,
    metrics: Object.fromEntries(Object.entries(r.metrics).map(([k, m]) => [k, m.value])),
    tags: r.tags,
  };
}

const METRIC_OPS = { '>=': 'gte', '<=': 'lte', '>': 'gt', '<': 'lt', '=': 'eq', '!=': 'ne' } as const;

/** Runs matching the list's filters, through the tracker's typed search. */
export async function listRuns(
  tracker: Tracker,
  q: z.output<typeof runsQuerySchema>,
): Promise<{ runs: RunRow[]; experiments: string[] }> {
  const filter: RunFilter = {};
  if (q.status.length > 0) filter.status = q.status;
  if (q.nested === 'false') filter.parentRunId = null;
  if (q.param.length > 0) {
    const params: Record<string, TextCondition> = {};
    for (const c of q.param) params[c.key] = c.op === '=' ? { eq: c.value } : { ne: c.value };
    filter.params = params;
  }
  if (q.metric.length > 0) {
    const metrics: Record<string, NumberCondition> = {};
    for (const c of q.metric) {
      const prev = metrics[c.key];
      metrics[c.key] = { ...(typeof prev === 'object' ? prev : {}), [METRIC_OPS[c.op]]: c.value };
    }
    filter.metrics = metrics;
  }
  const direction = q.dir;
  const orderBy: OrderBy = q.sort.startsWith('metric:')
    ? { metric: q.sort.slice(7), direction }
    : q.sort.startsWith('param:')
      ? { param: q.sort.slice(6), direction }
      : { field: q.sort as 'startTime' | 'endTime' | 'name' | 'status', direction };
  const [names, runs] = await Promise.all([
    experimentNames(tracker),
    tracker.searchRuns({
      ...(q.experiment.length > 0 ? { experiment: q.experiment } : {}),
      filter,
      orderBy,
      limit: q.limit,
    }),
  ]);
  return { runs: runs.map((r) => toRow(r, names)), experiments: [...names.values()].sort() };
}

/** Everything logged to one run, with the history of each metric over steps. */
export async function runDetail(tracker: Tracker, id: string) {
  const [run, names] = await Promise.all([tracker.getRun(id), experimentNames(tracker)]);
  const keys = Object.keys(run.metrics);
  const histories = Object.fromEntries(
    await Promise.all(keys.map(async (k) => [k, await tracker.getMetricHistory(id, k)] as const)),
  );
  return {
    ...toRow(run, names),
    paramValues: run.params,
    latest: run.metrics,
    git: run.git,
    source: run.source,
    artifacts: run.artifacts,
    datasets: run.datasets,
    histories,
  };
}

/** Params and latest metrics side by side, plus every metric's history per run (the comparison charts). */
export async function compareRuns(tracker: Tracker, ids: string[]) {
  const [cmp, names] = await Promise.all([tracker.compareRuns(ids), experimentNames(tracker)]);
  const histories: Record<string, Record<string, MetricPoint[]>> = {};
  await Promise.all(
    cmp.metrics.flatMap((row) =>
      ids.map(async (id) => {
        const points = await tracker.getMetricHistory(id, row.key);
        const byRun = histories[row.key] ?? {};
        byRun[id] = points;
        histories[row.key] = byRun;
      }),
    ),
  );
  return {
    runs: cmp.runs.map((r) => ({
      id: r.id,
      name: r.name,
      experiment: names.get(r.experimentId) ?? r.experimentId,
      status: r.status,
      startTime: r.startTime.toISOString(),
    })),
    params: cmp.params,
    metrics: cmp.metrics,
    histories,
  };
}

/** Registered models with their aliases and newest version. */
export async function listModels(registry: Registry) {
  const page = await registry.listModels({ limit: 1000 });
  return Promise.all(
    page.items.map(async (m) => {
      const [aliases, versions] = await Promise.all([
        registry.listAliases(m.name),
        registry.listVersions({ model: m.name, limit: 1 }),
      ]);
      return {
        name: m.name,
        description: m.description,
        tags: m.tags,
        updatedAt: m.updatedAt,
        latestVersion: versions.items[0]?.version ?? null,
        aliases: aliases.map((a) => ({ alias: a.alias, version: a.version })),
      };
    }),
  );
}

/** One model: versions, aliases, promotion decisions (gate evidence), alias history and its audit log. */
export async function modelDetail(registry: Registry, name: string) {
  const model = await registry.getModel(name);
  const [versions, aliases, decisions, history, audit] = await Promise.all([
    registry.listVersions({ model: name, limit: 200 }),
    registry.listAliases(name),
    registry.listDecisions({ model: name, limit: 100 }),
    registry.aliasHistory({ model: name, limit: 100 }),
    registry.listAudit({ model: name, limit: 200 }),
  ]);
  return {
    model,
    versions: versions.items,
    aliases,
    decisions: decisions.items,
    aliasHistory: history.items,
    audit: audit.items,
  };
}
