import { useState } from 'preact/hooks';
import { api } from './api.js';
import { fmt } from './chart.js';
import { ErrorBox, Section, Status, when } from './common.js';
import { useApi } from './hooks.js';
import type { ModelDetail, ModelSummary } from './types.js';

/** Registered models with their aliases. */
export function ModelsPage() {
  const models = useApi<{ models: ModelSummary[] }>('models');
  return (
    <div>
      <h1>Registered models</h1>
      <Status error={models.error} loading={models.loading} />
      {models.data ? (
        models.data.models.length === 0 ? (
          <p class="muted">No registered models yet.</p>
        ) : (
          <table class="data">
            <caption>{models.data.models.length} models</caption>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Latest version</th>
                <th scope="col">Aliases</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {models.data.models.map((m) => (
                <tr key={m.name}>
                  <th scope="row">
                    <a href={`#/models/${encodeURIComponent(m.name)}`}>{m.name}</a>
                  </th>
                  <td class="num">{m.latestVersion ?? '–'}</td>
                  <td>
                    {m.aliases.length === 0
                      ? '–'
                      : m.aliases.map((a) => (
                          <span key={a.alias} class="badge alias">
                            {a.alias} → v{a.version}
                          </span>
                        ))}
                  </td>
                  <td>{when(m.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </div>
  );
}

/** One model: aliases (roll back), versions (promote), gate decisions, alias history and audit log. */
export function ModelPage(props: { name: string }) {
  const detail = useApi<ModelDetail>(`models/${encodeURIComponent(props.name)}`);
  const [alias, setAlias] = useState('production');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<Error | undefined>();
  const d = detail.data;
  const aliasNames = [...new Set(['production', 'staging', ...(d?.aliases.map((a) => a.alias) ?? [])])];
  const incumbent = d?.aliases.find((a) => a.alias === alias)?.version ?? null;

  const act = async (fn: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    setMessage('');
    try {
      setMessage(await fn());
      detail.reload();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  const promote = (version: number) =>
    act(async () => {
      const r = await api<{ alias: { alias: string; version: number } }>(
        `models/${encodeURIComponent(props.name)}/promote`,
        { method: 'POST', body: { version, alias, expectedIncumbent: incumbent } },
      );
      return `Promoted: ${r.alias.alias} → v${r.alias.version}`;
    });
  const rollback = (a: string) =>
    act(async () => {
      const r = await api<{ alias: { alias: string; version: number }; fromVersion: number | null }>(
        `models/${encodeURIComponent(props.name)}/rollback`,
        { method: 'POST', body: { alias: a } },
      );
      return `Rolled back: ${r.alias.alias} → v${r.alias.version} (was v${r.fromVersion ?? '–'})`;
    });

  return (
    <div>
      <p>
        <a href="#/models">← All models</a>
      </p>
      <h1>Model {props.name}</h1>
      <Status error={detail.error} loading={detail.loading && !d} />
      <div class="live" role="status" aria-live="polite" data-testid="action-status">
        {message}
      </div>
      {error ? <ErrorBox error={error} /> : null}
      {d ? (
        <>
          {d.model.description ? <p>{d.model.description}</p> : null}
          <Section title="Aliases" id="model-aliases">
            {d.aliases.length === 0 ? (
              <p class="muted">No aliases yet: promote a version below.</p>
            ) : (
              <table class="data" data-testid="aliases">
                <caption>Aliases and the versions they point at</caption>
                <thead>
                  <tr>
                    <th scope="col">Alias</th>
                    <th scope="col">Version</th>
                    <th scope="col">Changed by</th>
                    <th scope="col">Changed</th>
                    <th scope="col">Action</th>
                  </tr>
                </thead>
                <tbody>
                  {d.aliases.map((a) => (
                    <tr key={a.alias} data-alias={a.alias}>
                      <th scope="row">{a.alias}</th>
                      <td class="num" data-testid={`alias-${a.alias}`}>
                        v{a.version}
                      </td>
                      <td>{a.updatedBy}</td>
                      <td>{when(a.updatedAt)}</td>
                      <td>
                        <button type="button" disabled={busy} onClick={() => rollback(a.alias)}>
                          Roll back {a.alias}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Versions" id="model-versions">
            <label class="inline">
              Alias to promote to{' '}
              <select value={alias} onChange={(e) => setAlias((e.target as HTMLSelectElement).value)}>
                {aliasNames.map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </select>
            </label>
            <table class="data">
              <caption>Versions, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Status</th>
                  <th scope="col">Aliases</th>
                  <th scope="col">Metrics</th>
                  <th scope="col">Source run</th>
                  <th scope="col">Created</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {d.versions.map((v) => (
                  <tr key={v.version}>
                    <th scope="row">v{v.version}</th>
                    <td>{v.status}</td>
                    <td>{v.aliases.join(', ') || '–'}</td>
                    <td>
                      {Object.entries(v.metrics)
                        .map(([k, x]) => `${k} ${fmt(x)}`)
                        .join(', ') || '–'}
                    </td>
                    <td>{v.sourceRunId ? <a href={`#/runs/${v.sourceRunId}`}>{v.sourceRunId.slice(0, 8)}</a> : '–'}</td>
                    <td>{when(v.createdAt)}</td>
                    <td>
                      <button
                        type="button"
                        disabled={busy || incumbent === v.version}
                        onClick={() => promote(v.version)}
                      >
                        Promote v{v.version} to {alias}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <Section title="Gate decisions" id="model-decisions">
            {d.decisions.length === 0 ? (
              <p class="muted">No promotion decisions yet.</p>
            ) : (
              <table class="data">
                <caption>Promotion decisions, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Alias</th>
                    <th scope="col">Candidate</th>
                    <th scope="col">Incumbent</th>
                    <th scope="col">Result</th>
                    <th scope="col">By</th>
                    <th scope="col">Evidence</th>
                  </tr>
                </thead>
                <tbody>
                  {d.decisions.map((x) => (
                    <tr key={x.id}>
                      <th scope="row">{when(x.at)}</th>
                      <td>{x.alias}</td>
                      <td>v{x.candidateVersion}</td>
                      <td>{x.incumbentVersion === null ? '–' : `v${x.incumbentVersion}`}</td>
                      <td>
                        <span class={`badge ${x.passed ? 'ok' : 'bad'}`}>{x.passed ? 'passed' : 'failed'}</span>
                      </td>
                      <td>{x.principal}</td>
                      <td>
                        <details>
                          <summary>Evidence</summary>
                          <pre>{JSON.stringify(x.evidence, null, 2)}</pre>
                        </details>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Audit log" id="model-audit">
            <table class="data" data-testid="audit">
              <caption>Every change to this model, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Version</th>
                  <th scope="col">Alias</th>
                  <th scope="col">From</th>
                  <th scope="col">By</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {d.audit.map((a) => (
                  <tr key={a.id}>
                    <th scope="row">{when(a.at)}</th>
                    <td>{a.action}</td>
                    <td>{a.version ?? '–'}</td>
                    <td>{a.alias ?? '–'}</td>
                    <td>{a.fromVersion ?? '–'}</td>
                    <td>{a.principal}</td>
                    <td>{a.reason ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
        </>
      ) : null}
    </div>
  );
}
