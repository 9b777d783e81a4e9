import { qs } from './api.js';
import { fmt, LineChart } from './chart.js';
import { Section, Status, when } from './common.js';
import { useApi } from './hooks.js';
import type { MonitoringSeries } from './types.js';

const time = (ms: number) => {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
};

/** Requests, latency, drift per column, accuracy from feedback, alerts and retraining decisions of a model. */
export function MonitoringPage(props: { query: URLSearchParams }) {
  const models = useApi<{ models: string[] }>('monitoring/models');
  const chosen = props.query.get('model') ?? models.data?.models[0] ?? null;
  const buckets = props.query.get('buckets') ?? '12';
  const series = useApi<MonitoringSeries>(chosen ? `monitoring${qs({ model: chosen, buckets })}` : null);
  const s = series.data;
  const mid = (b: { from: string; to: string }) => (new Date(b.from).getTime() + new Date(b.to).getTime()) / 2;
  const used = s?.buckets.filter((b) => b.predictions > 0) ?? [];
  return (
    <div>
      <h1>Monitoring</h1>
      <Status error={models.error} loading={models.loading} />
      {models.data && models.data.models.length === 0 ? (
        <p class="muted">No predictions logged yet. Serve a model with a store to fill the prediction log.</p>
      ) : null}
      {models.data && models.data.models.length > 0 ? (
        <form class="filters" aria-label="Choose a model" onSubmit={(e) => e.preventDefault()}>
          <label>
            Model
            <select
              value={chosen ?? ''}
              onChange={(e) => {
                location.hash = `#/monitoring${qs({ model: (e.target as HTMLSelectElement).value, buckets })}`;
              }}
            >
              {models.data.models.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </label>
          <label>
            Time buckets
            <select
              value={buckets}
              onChange={(e) => {
                location.hash = `#/monitoring${qs({ model: chosen, buckets: (e.target as HTMLSelectElement).value })}`;
              }}
            >
              {['6', '12', '24', '48'].map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          </label>
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
          <Section title="Alerts" id="mon-alerts">
            {s.alerts.length === 0 ? (
              <p class="muted">No alerts: no drift detected and no retraining triggered.</p>
            ) : (
              <ul class="alerts">
                {s.alerts.map((a) => (
                  <li key={`${a.time}${a.message}`} class={`alert ${a.severity}`}>
                    <strong>{a.kind === 'drift' ? 'Drift' : 'Retraining'}</strong> · {when(a.time)} · {a.message}
                  </li>
                ))}
              </ul>
            )}
          </Section>
          <Section title="Traffic and latency" id="mon-traffic">
            <LineChart
              id="requests"
              title="Requests per time bucket"
              xLabel="time"
              xFormat={time}
              tightX
              series={[{ label: 'requests', points: used.map((b) => ({ x: mid(b), y: b.requests })) }]}
            />
            <LineChart
              id="latency"
              title="Latency (ms)"
              xLabel="time"
              xFormat={time}
              tightX
              series={[
                {
                  label: 'p50',
                  points: used.filter((b) => b.latencyP50 !== null).map((b) => ({ x: mid(b), y: b.latencyP50! })),
                },
                {
                  label: 'p95',
                  points: used.filter((b) => b.latencyP95 !== null).map((b) => ({ x: mid(b), y: b.latencyP95! })),
                },
              ]}
            />
          </Section>
          <Section title="Accuracy from feedback" id="mon-accuracy">
            <LineChart
              id="accuracy"
              title="Accuracy from feedback"
              xLabel="time"
              xFormat={time}
              tightX
              series={[
                {
                  label: 'accuracy',
                  points: used.filter((b) => b.accuracy !== null).map((b) => ({ x: mid(b), y: b.accuracy! })),
                },
              ]}
            />
          </Section>
          <Section title="Drift per column" id="mon-drift">
            {s.columns.length === 0 ? (
              <p class="muted">
                Drift not evaluated:{' '}
                {used.map((b) => b.driftSkipped).find(Boolean) ?? 'no reference profile or too few predictions'}.
              </p>
            ) : (
              <LineChart
                id="drift"
                title="Drift score per column (p-value for p-value tests, distance otherwise)"
                xLabel="time"
                xFormat={time}
                tightX
                series={s.columns.map((c) => ({
                  label: c,
                  points: used.flatMap((b) => {
                    const d = b.drift.find((x) => x.column === c);
                    return d ? [{ x: mid(b), y: d.score }] : [];
                  }),
                }))}
              />
            )}
          </Section>
          <Section title="Retraining decisions" id="mon-decisions">
            {s.decisions.length === 0 ? (
              <p class="muted">No retraining decisions recorded.</p>
            ) : (
              <table class="data">
                <caption>Continuous-training decisions, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Alias</th>
                    <th scope="col">Status</th>
                    <th scope="col">Triggered</th>
                    <th scope="col">Reasons</th>
                    <th scope="col">Incumbent → candidate</th>
                  </tr>
                </thead>
                <tbody>
                  {s.decisions.map((d) => (
                    <tr key={d.id}>
                      <th scope="row">{when(d.startedAt)}</th>
                      <td>{d.alias}</td>
                      <td>{d.status}</td>
                      <td>{d.triggered ? 'yes' : 'no'}</td>
                      <td>{d.reasons.map((r) => r.message).join('; ') || '–'}</td>
                      <td>
                        {fmt(d.incumbentVersion)} → {fmt(d.candidateVersion)}
                      </td>
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
