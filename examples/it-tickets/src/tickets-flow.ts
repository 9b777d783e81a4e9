// The example's data-validation flow, written with @mlops/pipelines' generic SQL machinery: the CSV is ingested into
// `raw.tickets` (ingestCsv), then SQL steps with data tests build `staging.tickets` and `features.tickets`
// (sqlStep + runSqlSteps + expectations). The topic labels are the data set's, from @mlops/datasets.
import type { Store } from '@mlops/core';
import { TICKET_TOPICS } from '@mlops/datasets';
import {
  expectColumn,
  expectRowCount,
  type IngestCsvOptions,
  type IngestCsvResult,
  ingestCsv,
  type RunSqlStepsOptions,
  runSqlSteps,
  type SqlRunResult,
  type SqlStep,
  sqlStep,
} from '@mlops/pipelines';

/** Options of {@link ticketsTransformations}. */
export interface TicketsTransformationsOptions {
  /**
   * The raw table the CSV was loaded into (columns `document`, `topic_group`, as `ingestCsv` names them).
   * @default 'raw.tickets'
   */
  raw?: string;
  /**
   * Accepted topic labels.
   * @default TICKET_TOPICS of `@mlops/datasets`
   */
  topics?: readonly string[];
  /**
   * Bounds of each topic's share of the tickets (the real data ranges from 3.7 % to 28.5 %).
   * @default { min: 0.02, max: 0.4 }
   */
  shares?: { min?: number; max?: number };
  /**
   * Share of tickets put in the `test` split (by content hash, so a ticket never changes split).
   * @default 0.2
   */
  testShare?: number;
}

/**
 * The IT-tickets transformations: `raw.tickets` → `staging.tickets` (text trimmed, whitespace collapsed, lower-cased;
 * `id` = md5 content hash of text and topic, since the files have no ticket id) → `features.tickets` (token and
 * character counts, a stable train/test split by hash) and the `features.topic_shares` view. Expectations: no empty
 * text, known topic labels, no duplicate tickets (by content hash), topic shares within bounds.
 */
export function ticketsTransformations(options: TicketsTransformationsOptions = {}): SqlStep[] {
  const raw = options.raw ?? 'raw.tickets';
  const topics = options.topics ?? TICKET_TOPICS;
  const shares = options.shares ?? { min: 0.02, max: 0.4 };
  // 0…999 from the first 28 bits of the id: integer arithmetic, so PostgreSQL 15 and PGlite agree.
  const testPerMille = Math.round((options.testShare ?? 0.2) * 1000);
  return [
    sqlStep({
      name: 'staging.tickets',
      description: 'Cleaned tickets with a content-hash id',
      sql: `
SELECT md5(t.text || chr(31) || t.topic) AS id, t.text, t.topic
FROM (
  SELECT lower(btrim(regexp_replace(coalesce(document, ''), '\\s+', ' ', 'g'))) AS text,
         btrim(coalesce(topic_group, '')) AS topic
  FROM {{ ref('${raw}') }}
) AS t`,
      expectations: [
        expectRowCount({ min: 1 }),
        expectColumn('text').notEmpty(),
        expectColumn('topic').acceptedValues(topics),
        expectColumn('id').unique({ name: 'no duplicate tickets (content hash)' }),
      ],
    }),
    sqlStep({
      name: 'features.tickets',
      description: 'Model inputs: text, topic, length features and a stable split',
      sql: `
SELECT id, text, topic,
       cardinality(regexp_split_to_array(text, ' ')) AS tokens,
       char_length(text) AS chars,
       CASE WHEN ('x' || substr(id, 1, 7))::bit(28)::integer % 1000 < ${testPerMille} THEN 'test' ELSE 'train' END AS split
FROM {{ ref('staging.tickets') }}`,
      expectations: [
        expectColumn('topic').shares({ ...shares, name: 'topic shares within bounds' }),
        expectColumn('split').acceptedValues(['train', 'test']),
        expectColumn('tokens').between(1, null),
      ],
    }),
    sqlStep({
      name: 'features.topic_shares',
      materialized: 'view',
      description: 'Tickets and share per topic',
      sql: `
SELECT topic, count(*) AS tickets, count(*)::double precision / sum(count(*)) OVER () AS share
FROM {{ ref('features.tickets') }}
GROUP BY topic`,
      expectations: [expectRowCount({ min: topics.length, severity: 'warn', name: 'every topic present' })],
    }),
  ];
}

/** Options of {@link runTicketsFlow}. */
export interface TicketsFlowOptions extends TicketsTransformationsOptions {
  store: Store;
  /** The tickets CSV (`all_tickets_processed_improved_v3.csv`, e.g. `(await loadTicketTopics()).source.path`). */
  path: string;
  /**
   * Logical → physical schema names.
   * @default {}
   */
  schemas?: Readonly<Record<string, string>>;
  /**
   * Passed to `ingestCsv` (batch size, progress).
   * @default {}
   */
  ingest?: Pick<IngestCsvOptions, 'batchSize' | 'progress' | 'signal'>;
  /**
   * Passed to `runSqlSteps`.
   * @default {}
   */
  run?: Pick<RunSqlStepsOptions, 'force' | 'progress' | 'onStep' | 'sampleLimit'>;
}

/** Loads the tickets CSV into `raw.tickets` and runs {@link ticketsTransformations}; fails on a failed expectation. */
export async function runTicketsFlow(
  options: TicketsFlowOptions,
): Promise<{ ingest: IngestCsvResult; transform: SqlRunResult }> {
  const raw = options.raw ?? 'raw.tickets';
  const ingest = await ingestCsv({
    ...options.ingest,
    store: options.store,
    path: options.path,
    table: raw,
    schemas: options.schemas ?? {},
    schema: { document: 'text', topic_group: 'text' },
  });
  const transform = await runSqlSteps({
    ...options.run,
    store: options.store,
    steps: ticketsTransformations(options),
    schemas: options.schemas ?? {},
  });
  return { ingest, transform };
}
