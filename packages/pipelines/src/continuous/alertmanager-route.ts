import type { IncomingHttpHeaders } from 'node:http';
import type { Store } from '@mlops/core';
import { apiKeyFromHeaders } from '@mlops/core/http';
import { getRetrainDecision, type RetrainDecisionStatus } from '@mlops/core/retrain-decisions';
import { z } from 'zod';
import { migratePipelines } from '../_internal/migrate.js';
import { isRetrainConflict, type RetrainRunner } from './retrain-runner.js';

/**
 * The alerts of `deploy/prometheus/alerts.yml` that start a retraining: input drift, a metric from feedback below its
 * minimum, an estimated metric below its minimum.
 */
export const RETRAIN_ALERTS: readonly string[] = Object.freeze([
  'MlopsDatasetDrift',
  'MlopsMetricBelowThreshold',
  'MlopsEstimatedMetricBelowThreshold',
]);

/** Alerts that never start a retraining, whatever `retrainOn` says: a broken feed is not drift. */
export const NEVER_RETRAIN_ALERTS: readonly string[] = Object.freeze(['MlopsFeedBroken']);

const labelsSchema = z.record(z.string(), z.string());

/** One alert of Alertmanager's webhook payload (version 4). */
export const alertmanagerAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelsSchema,
  annotations: labelsSchema.default({}),
  startsAt: z.string().min(1),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).max(256),
});

/**
 * Alertmanager's webhook payload, version 4 (`webhook_config`; prometheus.io/docs/alerting/latest/configuration/):
 * the group's receiver and status, its alerts, the group/common labels and annotations, the Alertmanager's external
 * URL, the group key and how many alerts `max_alerts` truncated. Unknown fields are kept out, not refused.
 */
export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string(),
  truncatedAlerts: z.int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelsSchema.default({}),
  commonLabels: labelsSchema.default({}),
  commonAnnotations: labelsSchema.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(alertmanagerAlertSchema).max(1000),
});

/** Alertmanager's webhook payload (version 4). */
export type AlertmanagerPayload = z.output<typeof alertmanagerPayloadSchema>;

/**
 * What the receiver did with one alert:
 * - `started`: a retraining started (`decisionId`);
 * - `duplicate`: the same alert (fingerprint, and start time) already started a retraining whose decision stands
 *   (running, or finished but not failed): nothing started;
 * - `running`: another retraining of the model runs (`decisionId` names it): nothing started;
 * - `ignored`: not an alert that retrains (another alert, a broken feed, no model label, no retraining configured);
 * - `resolved`: a resolved alert, recorded.
 */
export type AlertAction = 'started' | 'duplicate' | 'running' | 'ignored' | 'resolved';

/** One line of the receiver's answer. */
export interface AlertOutcome {
  fingerprint: string;
  alertname: string;
  status: 'firing' | 'resolved';
  model: string | null;
  action: AlertAction;
  decisionId: string | null;
  message: string;
}

/** The receiver's answer (200). */
export interface AlertmanagerResponse {
  receiver: string;
  groupKey: string;
  results: AlertOutcome[];
}

/** Options of {@link createAlertmanagerRoute}. */
export interface AlertmanagerRouteOptions {
  /** Starts retrainings (the one behind `POST /v1/models/{name}/retrain`). */
  runner: RetrainRunner;
  /** Where received alerts are recorded (deduplication across replicas): the runner's store. */
  store: Store;
  /**
   * Names of the alerts that start a retraining (`MlopsFeedBroken` never does).
   * @default RETRAIN_ALERTS
   */
  retrainOn?: readonly string[];
  /**
   * The label naming the model.
   * @default 'model'
   */
  modelLabel?: string;
  /**
   * The API key scope the server requires when its auth is on; Alertmanager sends the key as
   * `Authorization: Bearer …` (`http_config.authorization`).
   * @default 'pipelines:retrain'
   */
  scope?: string;
  /**
   * Checks the bearer token inside the handler (besides the server's scope check).
   * @default undefined (the server's scope check only)
   */
  authenticate?: (request: { apiKey: string | undefined; headers: IncomingHttpHeaders }) => Promise<string>;
}

/** The route, shaped as `@mlops/serve`'s `RouteDefinition`. */
export interface AlertmanagerRoute {
  method: 'post';
  path: '/v1/alerts/alertmanager';
  summary: string;
  description: string;
  tags: string[];
  scope: string;
  body: typeof alertmanagerPayloadSchema;
  handler(ctx: {
    body: AlertmanagerPayload;
    principal?: { name: string } | undefined;
    req: { headers: IncomingHttpHeaders };
  }): Promise<AlertmanagerResponse>;
}

const STANDING: readonly RetrainDecisionStatus[] = ['running', 'no-action', 'blocked', 'promoted', 'rejected'];

/**
 * `POST /v1/alerts/alertmanager`: Alertmanager's webhook receiver (payload version 4). A firing retraining alert
 * (`retrainOn`, matched on `alertname`, with a `model` label the runner knows) starts a retraining forced with the
 * alert as its reason (trigger `alert`); the same alert re-sent every `repeat_interval` (same fingerprint and start)
 * starts nothing while its decision stands (running or finished, not failed); `MlopsFeedBroken` never retrains;
 * resolved alerts are recorded. Every alert is recorded in `pipelines_alert_events` with what was done, which the
 * answer lists.
 *
 * @example
 * server.route(createAlertmanagerRoute({ runner, store }));
 * // alertmanager.yml: webhook_configs: [{ url: http://server:8080/v1/alerts/alertmanager,
 * //   http_config: { authorization: { type: Bearer, credentials_file: /etc/alertmanager/mlops-key } } }]
 */
export function createAlertmanagerRoute(options: AlertmanagerRouteOptions): AlertmanagerRoute {
  const { runner, store } = options;
  const retrainOn = new Set(options.retrainOn ?? RETRAIN_ALERTS);
  const modelLabel = options.modelLabel ?? 'model';

  const record = async (o: AlertOutcome, alert: z.output<typeof alertmanagerAlertSchema>) => {
    await store.query(
      `INSERT INTO pipelines_alert_events (fingerprint, alertname, status, starts_at, model, action, decision_id, message, labels)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`,
      [
        o.fingerprint,
        o.alertname,
        o.status,
        alert.startsAt,
        o.model,
        o.action,
        o.decisionId,
        o.message.slice(0, 8000),
        JSON.stringify(alert.labels),
      ],
    );
    return o;
  };

  /** The decision an earlier delivery of this alert started, if it still stands. */
  const standing = async (fingerprint: string, startsAt: string) => {
    const rows = await store.query<{ decision_id: string; starts_at: string | null }>(
      `SELECT decision_id, starts_at FROM pipelines_alert_events
       WHERE fingerprint = $1 AND action = 'started' AND decision_id IS NOT NULL ORDER BY id DESC LIMIT 20`,
      [fingerprint],
    );
    for (const r of rows) {
      const d = await getRetrainDecision({ store, id: r.decision_id });
      if (!d || !STANDING.includes(d.status)) continue;
      // A new episode of the alert (fired again after it resolved: another startsAt) may retrain again once the
      // first retraining is over; a re-sent one may not.
      if (d.status === 'running' || r.starts_at === startsAt) return d;
    }
    return undefined;
  };

  const handleOne = async (
    alert: z.output<typeof alertmanagerAlertSchema>,
    principal: string,
  ): Promise<AlertOutcome> => {
    const alertname = alert.labels.alertname ?? '';
    const model = alert.labels[modelLabel] ?? null;
    const base = { fingerprint: alert.fingerprint, alertname, status: alert.status, model, decisionId: null };
    if (alert.status === 'resolved') {
      return record({ ...base, action: 'resolved', message: 'resolved: recorded, nothing to do' }, alert);
    }
    if (NEVER_RETRAIN_ALERTS.includes(alertname)) {
      return record(
        {
          ...base,
          action: 'ignored',
          message: 'a broken feed never starts a retraining (it would learn from a broken feed): fix the feed',
        },
        alert,
      );
    }
    if (!retrainOn.has(alertname)) {
      return record(
        { ...base, action: 'ignored', message: `${alertname || '(no alertname)'} does not retrain` },
        alert,
      );
    }
    if (model === null) {
      return record({ ...base, action: 'ignored', message: `no "${modelLabel}" label: no model to retrain` }, alert);
    }
    if (!runner.has(model)) {
      return record({ ...base, action: 'ignored', message: `no retraining is configured for model "${model}"` }, alert);
    }
    const earlier = await standing(alert.fingerprint, alert.startsAt);
    if (earlier) {
      return record(
        {
          ...base,
          action: 'duplicate',
          decisionId: earlier.id,
          message: `already handled by retrain decision ${earlier.id} (${earlier.status})`,
        },
        alert,
      );
    }
    const summary = alert.annotations.summary ?? alert.annotations.description ?? '';
    const reason =
      `alert ${alertname} firing since ${alert.startsAt} (fingerprint ${alert.fingerprint})` +
      `${summary ? `: ${summary}` : ''}${alert.generatorURL ? ` ${alert.generatorURL}` : ''}`;
    try {
      const started = await runner.start(model, { force: true, trigger: 'alert', reason, principal });
      return record(
        {
          ...base,
          action: 'started',
          decisionId: started.decisionId,
          message: `retrain decision ${started.decisionId} started`,
        },
        alert,
      );
    } catch (err) {
      if (!isRetrainConflict(err)) throw err;
      const running = err.details.decisionId;
      return record(
        {
          ...base,
          action: 'running',
          decisionId: running,
          message: `a retraining of ${model} is already running${running ? ` (decision ${running})` : ''}`,
        },
        alert,
      );
    }
  };

  return {
    method: 'post',
    path: '/v1/alerts/alertmanager',
    summary: 'Alertmanager webhook receiver: firing drift/metric alerts start a retraining',
    description:
      "Takes Alertmanager's webhook payload (version 4; send the API key with `http_config.authorization`, type Bearer). A firing `MlopsDatasetDrift`, `MlopsMetricBelowThreshold` or `MlopsEstimatedMetricBelowThreshold` with a `model` label starts a retraining of that model with the alert as its reason; a re-sent alert (same fingerprint and start) starts nothing while its decision stands; `MlopsFeedBroken` never retrains; resolved alerts are recorded. Answers what was done per alert.",
    tags: ['pipelines'],
    scope: options.scope ?? 'pipelines:retrain',
    body: alertmanagerPayloadSchema,
    async handler(ctx) {
      const principal = options.authenticate
        ? await options.authenticate({ apiKey: apiKeyFromHeaders(ctx.req.headers), headers: ctx.req.headers })
        : (ctx.principal?.name ?? `alertmanager:${ctx.body.receiver}`);
      await migratePipelines(store);
      const results: AlertOutcome[] = [];
      // One at a time: two alerts of one model in a group start one retraining (the second is `running`).
      for (const alert of ctx.body.alerts) results.push(await handleOne(alert, principal));
      return { receiver: ctx.body.receiver, groupKey: ctx.body.groupKey, results };
    },
  };
}
