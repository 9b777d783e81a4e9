// Data: the real files (sha256-verified by @mlops/datasets) → versioned in the project → ingested into the store's
// `raw` schema → `staging` (cleaned, content-hash id) → `features`, with data tests at every step (the data-validation
// flow in tickets-flow.ts, written with @mlops/pipelines). Training reads the validated `features.tickets` table, not the CSV.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectStore, Store } from '@mlops/core';
import { versionDataset } from '@mlops/core/dataset-versions';
import { loadTicketTopics, loadTicketUrgency, type TicketUrgencyRow } from '@mlops/datasets';
import { dataQualityReport, type QualityReport } from '@mlops/drift';
import { log } from '@mlops/example-kit';
import {
  assertValid,
  expectColumn,
  expectRowCount,
  renderValidationReportHtml,
  saveValidationReport,
  type ValidationReport,
  validateData,
} from '@mlops/pipelines';
import { runTicketsFlow } from './tickets-flow.js';

/** One validated ticket of the topic file, as `features.tickets` holds it. */
export interface TopicTicket {
  /** md5 of text and topic (the files have no ticket id). */
  id: string;
  text: string;
  topic: string;
}

/** One ticket of the urgency file: the model's text is the title and the body. */
export interface UrgencyTicket {
  text: string;
  urgency: string;
  ticketType: string;
}

/** What {@link prepareData} returns. */
export interface PreparedData {
  /** Dataset name → content version. */
  versions: Record<string, string>;
  topics: TopicTicket[];
  urgency: UrgencyTicket[];
  /** Rows quarantined by the CSV ingestion (malformed), by reason. */
  quarantined: Record<string, number>;
  /** SQL steps that ran and those skipped because nothing changed. */
  steps: { ran: string[]; skipped: string[] };
  quality: QualityReport;
  urgencyValidation: ValidationReport;
  /** `type=… urgency=…` → tickets: the caveat of SOURCE.md, measured. */
  urgencyByType: Record<string, number>;
}

/** The text the urgency model reads: title and body, as a user types them into the triage form. */
export function urgencyText(row: Pick<TicketUrgencyRow, 'title' | 'body'>): string {
  return row.title ? `${row.title} ${row.body}` : row.body;
}

/** Loads, versions, ingests and validates both files; writes the data-quality and validation reports. */
export async function prepareData(opts: {
  store: Store;
  objects: ObjectStore;
  home: string;
  progress: boolean;
}): Promise<PreparedData> {
  const { store, objects, home } = opts;
  const topicsFile = await loadTicketTopics();
  const urgencyFile = await loadTicketUrgency();
  const versions: Record<string, string> = {};
  for (const [name, src] of [
    ['tickets-topics', topicsFile.source],
    ['tickets-urgency', urgencyFile.source],
  ] as const) {
    log('data', `loaded ${src.path}`, { origin: src.origin, sha256: src.sha256.slice(0, 12) });
    const local = join(home, 'data', `${name}.csv`);
    copyFileSync(src.path, local);
    const v = await versionDataset({ path: local, name, store, objects });
    versions[name] = v.version;
    log('data', `versioned ${name}`, { version: v.version.slice(0, 12), bytes: v.size, new: v.created });
  }

  // Ingest → staging → features in the store, each SQL step in a transaction with its data tests; a failed `error`
  // expectation stops the run here with the failing rows in the message.
  const flow = await runTicketsFlow({
    store,
    path: join(home, 'data', 'tickets-topics.csv'),
    ingest: opts.progress ? {} : { progress: false },
    run: opts.progress ? {} : { progress: false },
  });
  const quarantined = Object.fromEntries(Object.entries(flow.ingest.reasons).filter(([, n]) => n > 0));
  log('validate', 'ingested raw.tickets → staging.tickets → features.tickets', {
    rows: flow.ingest.rows,
    quarantined: flow.ingest.quarantined,
    ran: flow.transform.ran.join(',') || 'none',
    skipped: flow.transform.skipped.join(',') || 'none',
  });
  for (const step of flow.transform.steps) {
    const v = step.validation;
    if (v) log('validate', step.name, { passed: v.statistics.passed, warnings: v.statistics.warnings });
  }
  const topics = await store.query<TopicTicket>('SELECT id, text, topic FROM features.tickets ORDER BY id');

  // The urgency file is small: its data tests run in memory and are saved with its dataset version.
  const urgency = urgencyFile.rows.map((r) => ({
    text: urgencyText(r),
    urgency: String(r.urgency),
    ticketType: String(r.ticketType),
  }));
  const urgencyValidation = validateData(
    urgency,
    [
      expectRowCount({ min: 1000 }),
      expectColumn('text').notEmpty(),
      expectColumn('urgency').acceptedValues(['0', '1', '2', '3']),
      expectColumn('urgency').shares({ min: 0.001, max: 0.95, name: 'every urgency code present, none above 95 %' }),
    ],
    { target: 'tickets-urgency' },
  );
  await saveValidationReport(store, {
    dataset: { name: 'tickets-urgency', version: versions['tickets-urgency']! },
    report: urgencyValidation,
  });
  assertValid(urgencyValidation);

  const quality = dataQualityReport(
    { text: topics.map((r) => r.text), topic: topics.map((r) => r.topic) },
    { columnMapping: { text: ['text'], target: 'topic' } },
  );
  const staged = flow.transform.steps.find((s) => s.name === 'staging.tickets')?.validation;
  writeFileSync(
    join(home, 'reports', 'data-quality.html'),
    staged
      ? renderValidationReportHtml(staged, { quality })
      : renderValidationReportHtml(urgencyValidation, { quality }),
  );
  writeFileSync(
    join(home, 'reports', 'urgency-validation.html'),
    renderValidationReportHtml(urgencyValidation, {
      quality: dataQualityReport({ text: urgency.map((r) => r.text), urgency: urgency.map((r) => r.urgency) }),
    }),
  );
  const urgencyByType: Record<string, number> = {};
  for (const r of urgency) {
    const key = `type=${r.ticketType} urgency=${r.urgency}`;
    urgencyByType[key] = (urgencyByType[key] ?? 0) + 1;
  }
  return {
    versions,
    topics,
    urgency,
    quarantined,
    steps: { ran: flow.transform.ran, skipped: flow.transform.skipped },
    quality,
    urgencyValidation,
    urgencyByType,
  };
}
