// The reads every area shares: a model row (optionally locked), a version record, and their NOT_FOUND errors.
import { MlopsError, type Store } from '@mlops/core';
import type { ModelVersion } from './records.js';
import { MODEL_COLS, type Row, toVersion, VERSION_COLS } from './rows.js';

export function notFoundModel(name: string): MlopsError {
  return new MlopsError('NOT_FOUND', { message: `Model "${name}" does not exist`, details: { model: name } });
}

export function notFoundVersion(model: string, version: number): MlopsError {
  return new MlopsError('NOT_FOUND', {
    message: `Version ${version} of model "${model}" does not exist`,
    details: { model, version },
  });
}

/** The model's row (`MODEL_COLS`), locked with `lock` (e.g. `FOR UPDATE`) when given; `NOT_FOUND` when missing. */
export async function requireModel(db: Store, name: string, lock = ''): Promise<Row> {
  const [row] = await db.query<Row>(`SELECT ${MODEL_COLS} FROM registry_models WHERE name = $1 ${lock}`, [name]);
  if (!row) throw notFoundModel(name);
  return row;
}

/** A version record, or undefined when it does not exist. */
export async function readVersion(db: Store, model: string, version: number): Promise<ModelVersion | undefined> {
  const [row] = await db.query<Row>(
    `SELECT ${VERSION_COLS} FROM registry_versions v WHERE v.model = $1 AND v.version = $2`,
    [model, version],
  );
  return row ? toVersion(row) : undefined;
}

/** `current` with `set` merged in and the keys in `remove` dropped (updateModel, updateVersion). */
export function mergeTags(
  current: Record<string, string>,
  set: Record<string, string> | undefined,
  remove: string[] | undefined,
): Record<string, string> {
  const out = { ...current, ...set };
  for (const k of remove ?? []) delete out[k];
  return out;
}
