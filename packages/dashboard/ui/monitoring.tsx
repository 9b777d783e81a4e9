import { qs } from './api.js';
import { fmt, LineChart, type Threshold } from './chart.js';
import { DataTable, Section, SelectField, Status, when } from './common.js';
import { useApi } from './hooks.js';
import type { MonitoringSeries } from './types.js';

type Current = NonNullable<MonitoringSeries['current']>;
const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`);

/** A broken feed: a banner no one can read as "no drift", with what broke and what it blocks. */
function BrokenFeedBanner(props: { current: Current }) {
  const c = props.current;
  return (
    <div class="banner critical" role="alert" data-testid="feed-broken">
      <strong>Broken feed</strong> — version {c.version}: the window cannot be tested against the reference profile, so
      there is no drift verdict, and retraining is blocked until the feed is fixed.
      <ul>
        {c.feedProblems.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
    </div>
  );
}

/** The current window of the newest served version, as the server's gauges evaluate it. */
function CurrentWindow(props: { current: Current }) {
  const c = props.current;
  return (
    <Section title="Current window" id="mon-current">
      <p>
        Version {c.version}, {when(c.window.from)} – {when(c.window.to)}:{' '}
        <strong data-testid="current-status">{c.status}</strong>
        {c.statusReason && c.status !== 'broken' ? <span class="muted"> ({c.statusReason})</span> : null} ·{' '}
        {c.counts.predictions} predictions, {c.counts.labelled} with feedback
      </p>
      <p data-testid="accuracy-estimated-realized">
        Accuracy:{' '}
        {c.estimated ? (
          <>
            estimated <strong>{fmt(c.estimated.accuracy.estimate)}</strong> [{fmt(c.estimated.accuracy.lower)},{' '}
            {fmt(c.estimated.accuracy.upper)}] without labels ({c.estimated.n} predictions, calibration{' '}
            {c.estimated.calibration})
          </>
        ) : (
          <span class="muted">no estimate (the outputs carry no class probabilities)</span>
        )}{' '}
        · realized{' '}
        {typeof c.metrics.accuracy === 'number' ? (
          <strong>{fmt(c.metrics.accuracy)}</strong>
        ) : (
          <span class="muted">– (waiting for labels)</span>
        )}
      </p>
      {c.crossings.length > 0 ? (
        <ul class="alerts">
          {c.crossings.map((x) => (
            <li key={x} class="alert crossing">
              {x}
            </li>
          ))}
        </ul>
      ) : null}
      <DataTable
        caption="Features of the current window: drift and data quality against the reference"
        empty="Drift not evaluated in this window."
        rows={c.features}
        rowKey={(f) => f.feature}
        columns={[
          { header: 'Feature', cell: (f) => f.feature },
          {
            header: 'Drift',
            cell: (f) =>
              f.problem ? `not tested (${f.problem})` : f.drifted === null ? '–' : f.drifted ? 'drifted' : 'no',
          },
          { header: 'Missing', cell: (f) => pct(f.missingRate) },
          { header: 'Outside the reference', cell: (f) => pct(f.outOfRange) },
        ]}
      />
    </Section>
  );
}

/** A chart over the monitoring window: time on the x axis (24-hour clock), tight to the data. */
function TimeChart(props: Omit<Parameters<typeof LineChart>[0], 'xLabel' | 'xFormat' | 'time'>) {
  return <LineChart xLabel="time" time {...props} />;
}

/**
 * The drift thresholds of the columns drawn, one line per distinct threshold (a p-value test's and a distance's
 * differ), labelled with the tests that use it: "threshold 0.05 (ks)".
 */
function driftThresholds(buckets: MonitoringSeries['buckets']): Threshold[] {
  const byValue = new Map<number, Set<string>>();
  for (const b of buckets) {
    for (const d of b.drift) {
      if (d.threshold === null) continue;
      const tests = byValue.get(d.threshold) ?? new Set<string>();
      tests.add(d.test);
      byValue.set(d.threshold, tests);
    }
  }
  return [...byValue.entries()].map(([y, tests]) => ({
    y,
    label: `threshold ${fmt(y)} (${[...tests].sort().join(', ')})`,
  }));
}

/** Requests, latency, drift per column, accuracy from feedback, alerts and retraining decisions of a model. */
export function MonitoringPage(props: { query: URLSearchParams }) {
  const models = useApi<{ models: string[] }>('monitoring/models');
  const chosen = props.query.get('model') ?? models.data?.models[0] ?? null;
  const buckets = props.query.get('buckets') ?? '12';
  const series = useApi<MonitoringSeries>(chosen ? `monitoring${qs({ model: chosen, buckets })}` : null);
  const s = series.data;
  const mid = (b: { from: string; to: string }) => (new Date(b.from).getTime() + new Date(b.to).getTime()) / 2;
  const all = s?.buckets ?? [];
  const used = all.filter((b) => b.predictions > 0);
  /**
   * One point per bucket. A bucket without predictions is a gap (null: latency and accuracy are unknown there, and
   * the line must not bridge it), except for counts, where zero is the truth.
   */
  const points = (key: 'requests' | 'latencyP50' | 'latencyP95' | 'accuracy') =>
    all.map((b) => ({ x: mid(b), y: key === 'requests' ? b.requests : b.predictions > 0 ? b[key] : null }));
  const accuracyMin = s?.current?.minimums.accuracy;
  return (
    <div>
      <h1>Monitoring</h1>
      <Status error={models.error} loading={models.loading} />
      {models.data && models.data.models.length === 0 ? (
        <p class="muted">No predictions logged yet. Serve a model with a store to fill the prediction log.</p>
      ) : null}
      {models.data && models.data.models.length > 0 ? (
        <form class="filters" aria-label="Choose a model" onSubmit={(e) => e.preventDefault()}>
          <SelectField
            label="Model"
            value={chosen ?? ''}
            options={models.data.models}
            onChange={(model) => {
              location.hash = `#/monitoring${qs({ model, buckets })}`;
            }}
          />
          <SelectField
            label="Time buckets"
            value={buckets}
            options={['6', '12', '24', '48']}
            onChange={(b) => {
              location.hash = `#/monitoring${qs({ model: chosen, buckets: b })}`;
            }}
          />
        </form>
      ) : null}
      <Status error={series.error} loading={series.loading && !s} />
      {s ? (
        <>
          <dl class="totals">
            <div>
              <dt>Requests</dt>
              <dd data-testid="total-requests">{s.total.requests}</dd>
            </div>
            <div>
              <dt>Predictions</dt>
              <dd>{s.total.predictions}</dd>
            </div>
            <div>
              <dt>With feedback</dt>
              <dd>{s.total.labelled}</dd>
            </div>
            <div>
              <dt>Window</dt>
              <dd>
                {when(s.from)} – {when(s.to)}
              </dd>
            </div>
          </dl>
          {s.current?.status === 'broken' ? <BrokenFeedBanner current={s.current} /> : null}
          {s.current ? <CurrentWindow current={s.current} /> : null}
          <Section title="Alerts" id="mon-alerts">
            {s.alerts.length === 0 ? (
              <p class="muted">No alerts: no broken feed, no drift detected and no retraining triggered.</p>
            ) : (
              <ul class="alerts">
                {s.alerts.map((a) => (
                  <li key={`${a.time}${a.message}`} class={`alert ${a.severity}`}>
                    <strong>{a.kind === 'feed' ? 'Broken feed' : a.kind === 'drift' ? 'Drift' : 'Retraining'}</strong> ·{' '}
                    {when(a.time)} · {a.message}
                  </li>
                ))}
              </ul>
            )}
          </Section>
          <Section title="Traffic and latency" id="mon-traffic">
            <TimeChart
              id="requests"
              title="Requests per time bucket"
              fromZero
              series={[{ label: 'requests', points: points('requests') }]}
            />
            <TimeChart
              id="latency"
              title="Latency (ms)"
              fromZero
              series={[
                {
                  label: 'p50',
                  points: points('latencyP50'),
                },
                {
                  label: 'p95',
                  points: points('latencyP95'),
                },
              ]}
            />
          </Section>
          <Section title="Accuracy from feedback" id="mon-accuracy">
            <TimeChart
              id="accuracy"
              title="Accuracy from feedback"
              series={[
                {
                  label: 'accuracy',
                  points: points('accuracy'),
                },
              ]}
              thresholds={accuracyMin === undefined ? [] : [{ y: accuracyMin, label: `minimum ${fmt(accuracyMin)}` }]}
            />
          </Section>
          <Section title="Drift per column" id="mon-drift">
            {s.columns.length === 0 ? (
              <p class="muted">
                Drift not evaluated:{' '}
                {used.map((b) => b.driftSkipped).find(Boolean) ?? 'no reference profile or too few predictions'}.
              </p>
            ) : (
              <TimeChart
                id="drift"
                title="Drift score per column (p-value for p-value tests, distance otherwise)"
                series={s.columns.map((c) => ({
                  label: c,
                  points: all.map((b) => ({ x: mid(b), y: b.drift.find((x) => x.column === c)?.score ?? null })),
                }))}
                thresholds={driftThresholds(all)}
              />
            )}
          </Section>
          <Section title="Retraining decisions" id="mon-decisions">
            <DataTable
              caption="Continuous-training decisions, newest first"
              empty="No retraining decisions recorded."
              rows={s.decisions}
              rowKey={(d) => d.id}
              columns={[
                { header: 'Started', cell: (d) => when(d.startedAt) },
                { header: 'Alias', cell: (d) => d.alias },
                { header: 'Status', cell: (d) => d.status },
                { header: 'Triggered', cell: (d) => (d.triggered ? 'yes' : 'no') },
                { header: 'Reasons', cell: (d) => d.reasons.map((r) => r.message).join('; ') || '–' },
                {
                  header: 'Incumbent → candidate',
                  cell: (d) => `${fmt(d.incumbentVersion)} → ${fmt(d.candidateVersion)}`,
                },
              ]}
            />
          </Section>
        </>
      ) : null}
    </div>
  );
}
