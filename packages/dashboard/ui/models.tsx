import { useState } from 'preact/hooks';
import { api } from './api.js';
import { fmt } from './chart.js';
import { Badge, DataTable, ErrorBox, Section, SelectField, Status, when } from './common.js';
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
        <DataTable
          caption={`${models.data.models.length} models`}
          empty="No registered models yet."
          rows={models.data.models}
          rowKey={(m) => m.name}
          columns={[
            { header: 'Model', cell: (m) => <a href={`#/models/${encodeURIComponent(m.name)}`}>{m.name}</a> },
            { header: 'Latest version', class: 'num', cell: (m) => m.latestVersion ?? '–' },
            {
              header: 'Aliases',
              cell: (m) =>
                m.aliases.length === 0
                  ? '–'
                  : m.aliases.map((a) => (
                      <Badge key={a.alias} kind="alias">
                        {a.alias} → v{a.version}
                      </Badge>
                    )),
            },
            { header: 'Updated', cell: (m) => when(m.updatedAt) },
          ]}
        />
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
            <DataTable
              caption="Aliases and the versions they point at"
              testId="aliases"
              empty="No aliases yet: promote a version below."
              rows={d.aliases}
              rowKey={(a) => a.alias}
              rowAttrs={(a) => ({ 'data-alias': a.alias })}
              columns={[
                { header: 'Alias', cell: (a) => a.alias },
                {
                  header: 'Version',
                  class: 'num',
                  cellAttrs: (a) => ({ 'data-testid': `alias-${a.alias}` }),
                  cell: (a) => `v${a.version}`,
                },
                { header: 'Changed by', cell: (a) => a.updatedBy },
                { header: 'Changed', cell: (a) => when(a.updatedAt) },
                {
                  header: 'Action',
                  cell: (a) => (
                    <button type="button" disabled={busy} onClick={() => rollback(a.alias)}>
                      Roll back {a.alias}
                    </button>
                  ),
                },
              ]}
            />
          </Section>
          <Section title="Versions" id="model-versions">
            <SelectField
              class="inline"
              label="Alias to promote to "
              value={alias}
              options={aliasNames}
              onChange={setAlias}
            />
            <DataTable
              caption="Versions, newest first"
              rows={d.versions}
              rowKey={(v) => v.version}
              columns={[
                { header: 'Version', cell: (v) => `v${v.version}` },
                { header: 'Status', cell: (v) => v.status },
                { header: 'Aliases', cell: (v) => v.aliases.join(', ') || '–' },
                {
                  header: 'Metrics',
                  cell: (v) =>
                    Object.entries(v.metrics)
                      .map(([k, x]) => `${k} ${fmt(x)}`)
                      .join(', ') || '–',
                },
                {
                  header: 'Source run',
                  cell: (v) =>
                    v.sourceRunId ? <a href={`#/runs/${v.sourceRunId}`}>{v.sourceRunId.slice(0, 8)}</a> : '–',
                },
                { header: 'Created', cell: (v) => when(v.createdAt) },
                {
                  header: 'Action',
                  cell: (v) => (
                    <button type="button" disabled={busy || incumbent === v.version} onClick={() => promote(v.version)}>
                      Promote v{v.version} to {alias}
                    </button>
                  ),
                },
              ]}
            />
          </Section>
          <Section title="Gate decisions" id="model-decisions">
            <DataTable
              caption="Promotion decisions, newest first"
              empty="No promotion decisions yet."
              rows={d.decisions}
              rowKey={(x) => x.id}
              columns={[
                { header: 'When', cell: (x) => when(x.at) },
                { header: 'Alias', cell: (x) => x.alias },
                { header: 'Candidate', cell: (x) => `v${x.candidateVersion}` },
                { header: 'Incumbent', cell: (x) => (x.incumbentVersion === null ? '–' : `v${x.incumbentVersion}`) },
                {
                  header: 'Result',
                  cell: (x) => <Badge kind={x.passed ? 'ok' : 'bad'}>{x.passed ? 'passed' : 'failed'}</Badge>,
                },
                { header: 'By', cell: (x) => x.principal },
                {
                  header: 'Evidence',
                  cell: (x) => (
                    <details>
                      <summary>Evidence</summary>
                      <pre>{JSON.stringify(x.evidence, null, 2)}</pre>
                    </details>
                  ),
                },
              ]}
            />
          </Section>
          <Section title="Audit log" id="model-audit">
            <DataTable
              caption="Every change to this model, newest first"
              testId="audit"
              rows={d.audit}
              rowKey={(a) => a.id}
              columns={[
                { header: 'When', cell: (a) => when(a.at) },
                { header: 'Action', cell: (a) => a.action },
                { header: 'Version', cell: (a) => a.version ?? '–' },
                { header: 'Alias', cell: (a) => a.alias ?? '–' },
                { header: 'From', cell: (a) => a.fromVersion ?? '–' },
                { header: 'By', cell: (a) => a.principal },
                { header: 'Reason', cell: (a) => a.reason ?? '' },
              ]}
            />
          </Section>
        </>
      ) : null}
    </div>
  );
}
