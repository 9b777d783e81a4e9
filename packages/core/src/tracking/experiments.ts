import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { MlopsError } from '../errors.js';
import { isUniqueViolation } from '../store/sql-errors.js';
import type { Store } from '../store/store.js';
import { parseInput } from '../validation.js';
import { keySchema, nameSchema, tagValueSchema } from './schemas.js';

/** A named group of runs (one model, one question). */
export interface Experiment {
  id: string;
  name: string;
  description: string | null;
  tags: Record<string, string>;
  createdAt: Date;
}

/** What {@link createExperiment} takes. */
export const experimentInputSchema = z
  .object({
    name: nameSchema,
    description: z.string().max(10_000).optional(),
    tags: z.record(keySchema, tagValueSchema).optional(),
  })
  .strict();
/** What `createExperiment` takes. */
export type ExperimentInput = z.input<typeof experimentInputSchema>;

interface ExperimentRow {
  id: string;
  name: string;
  description: string | null;
  tags: Record<string, string>;
  created_at: Date;
}

const COLUMNS = 'id, name, description, tags, created_at';

function toExperiment(r: ExperimentRow): Experiment {
  return { id: r.id, name: r.name, description: r.description, tags: r.tags ?? {}, createdAt: r.created_at };
}

/** Creates an experiment; `CONFLICT` when the name is taken. */
export async function createExperiment(store: Store, input: ExperimentInput): Promise<Experiment> {
  const e = parseInput(experimentInputSchema, input, 'experiment');
  try {
    const rows = await store.query<ExperimentRow>(
      `INSERT INTO core_experiments (id, name, description, tags) VALUES ($1, $2, $3, $4::jsonb) RETURNING ${COLUMNS}`,
      [randomUUID(), e.name, e.description ?? null, JSON.stringify(e.tags ?? {})],
    );
    return toExperiment(rows[0]!);
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new MlopsError('CONFLICT', {
        message: `Experiment "${e.name}" already exists`,
        details: { name: e.name },
        cause: err,
      });
    }
    throw err;
  }
}

/** Returns the experiment called `name`, creating it (with `description`/`tags`) when missing. Safe under races. */
export async function getOrCreateExperiment(
  store: Store,
  name: string,
  extra: Omit<ExperimentInput, 'name'> = {},
): Promise<Experiment> {
  const e = parseInput(experimentInputSchema, { ...extra, name }, 'experiment');
  const inserted = await store.query<ExperimentRow>(
    `INSERT INTO core_experiments (id, name, description, tags) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (name) DO NOTHING RETURNING ${COLUMNS}`,
    [randomUUID(), e.name, e.description ?? null, JSON.stringify(e.tags ?? {})],
  );
  if (inserted[0]) return toExperiment(inserted[0]);
  return getExperiment(store, e.name);
}

/** Finds an experiment by name (or id), or `undefined`. */
export async function findExperiment(store: Store, nameOrId: string): Promise<Experiment | undefined> {
  const rows = await store.query<ExperimentRow>(
    `SELECT ${COLUMNS} FROM core_experiments WHERE name = $1 OR id = $1 ORDER BY (name = $1) DESC LIMIT 1`,
    [nameOrId],
  );
  return rows[0] ? toExperiment(rows[0]) : undefined;
}

/** Returns an experiment by name (or id); `NOT_FOUND` when there is none. */
export async function getExperiment(store: Store, nameOrId: string): Promise<Experiment> {
  const e = await findExperiment(store, nameOrId);
  if (!e) {
    throw new MlopsError('NOT_FOUND', { message: `No experiment "${nameOrId}"`, details: { experiment: nameOrId } });
  }
  return e;
}

/** Every experiment, by name. */
export async function listExperiments(store: Store): Promise<Experiment[]> {
  const rows = await store.query<ExperimentRow>(`SELECT ${COLUMNS} FROM core_experiments ORDER BY name`);
  return rows.map(toExperiment);
}

/** Sets (adds or overwrites) tags of an experiment and returns it. */
export async function setExperimentTags(
  store: Store,
  nameOrId: string,
  tags: Record<string, string>,
): Promise<Experiment> {
  const t = parseInput(z.record(keySchema, tagValueSchema), tags, 'tags');
  const exp = await getExperiment(store, nameOrId);
  const rows = await store.query<ExperimentRow>(
    `UPDATE core_experiments SET tags = tags || $2::jsonb WHERE id = $1 RETURNING ${COLUMNS}`,
    [exp.id, JSON.stringify(t)],
  );
  return toExperiment(rows[0]!);
}
