// Model versions: create (numbered per model), read, read the reference profile, list, update, delete.
import { isMlopsError, MlopsError, type ObjectStore, parseInput, readModelPackageManifest } from '@mlops/core';
import { freshenObjects, recordObjectRefs, removeObjectRefs } from '@mlops/core/objects';
import { decodeCursor } from './_internal/cursor.js';
import { DEFAULT_LIMIT, page } from './_internal/paging.js';
import type { RegistryContext } from './context.js';
import { jsonByteLength, type ReferenceProfile } from './profile.js';
import { mergeTags, notFoundModel, notFoundVersion, readVersion } from './reads.js';
import { json, num, type Row, toVersion, VERSION_COLS } from './rows.js';
import {
  createVersionInputSchema,
  deleteVersionInputSchema,
  listVersionsInputSchema,
  updateVersionInputSchema,
  versionRefSchema,
} from './schemas.js';
import type { Registry } from './types.js';

function isForeignKeyViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23503';
}

function notInObjectStore(digest: string, what: string): MlopsError {
  return new MlopsError('NOT_FOUND', {
    message: `${what} ${digest} is not in the object store; put it there first`,
    details: [{ path: 'packageDigest', message: 'not in the object store' }],
  });
}

/**
 * The objects a new version keeps alive: the package manifest and, when the registry can read the object store and
 * the digest is a model package, every file it lists and its preprocessing. Each is freshened (see core's
 * `freshenObjects`), so a garbage collection running while the version is recorded spares it; a missing one is
 * `NOT_FOUND` naming it, so a version is never recorded over an incomplete package. A store that can only answer
 * `has` has the manifest's existence checked, as before.
 */
async function packageObjects(objects: Pick<ObjectStore, 'has'>, digest: string): Promise<string[]> {
  const full = objects as Partial<ObjectStore>;
  if (typeof full.readBytes !== 'function' || typeof full.put !== 'function' || typeof full.get !== 'function') {
    if (!(await objects.has(digest))) throw notInObjectStore(digest, 'Model package');
    return [digest];
  }
  const store = objects as ObjectStore;
  const [present] = await freshenObjects(store, [digest]);
  if (!present) throw notInObjectStore(digest, 'Model package');
  let files: { path: string; digest: string }[];
  try {
    const manifest = await readModelPackageManifest(store, digest);
    files = [
      ...manifest.files,
      ...(manifest.preprocessing ? [{ path: '(preprocessing)', digest: manifest.preprocessing.digest }] : []),
    ];
  } catch (err) {
    // Not a model package (a blob registered as is): only its existence is checked.
    if (isMlopsError(err, 'INVALID_INPUT')) return [digest];
    throw err;
  }
  const fresh = await freshenObjects(
    store,
    files.map((f) => f.digest),
  );
  const missing = files.filter((_, i) => !fresh[i]);
  if (missing.length > 0) {
    throw new MlopsError('NOT_FOUND', {
      message: `Model package ${digest} is incomplete: ${missing.map((f) => `${f.path} (${f.digest})`).join(', ')} ${
        missing.length === 1 ? 'is' : 'are'
      } not in the object store`,
      details: missing.map((f) => ({ path: `packageDigest.files.${f.path}`, message: 'not in the object store' })),
    });
  }
  return [digest, ...new Set(files.map((f) => f.digest))];
}

/** The registry's version methods. */
export function versionMethods(
  ctx: RegistryContext,
): Pick<Registry, 'createVersion' | 'getVersion' | 'getProfile' | 'listVersions' | 'updateVersion' | 'deleteVersion'> {
  const { store, write } = ctx;
  return {
    async createVersion(raw) {
      const input = parseInput(createVersionInputSchema, raw);
      const principal = input.principal ?? ctx.principal;
      if (input.profile) {
        const size = jsonByteLength(input.profile);
        if (size > ctx.maxProfileBytes) {
          throw new MlopsError('INVALID_INPUT', {
            message: `The reference profile is ${size} bytes; the limit is ${ctx.maxProfileBytes}`,
            details: [{ path: 'profile', message: `larger than ${ctx.maxProfileBytes} bytes` }],
          });
        }
      }
      const kept = ctx.objects ? await packageObjects(ctx.objects, input.packageDigest) : [input.packageDigest];
      return write(async (tx, audit) => {
        // Taking the number updates the model row, so concurrent creators serialise on its row lock.
        const [counter] = await tx.query<{ version: number }>(
          `UPDATE registry_models SET next_version = next_version + 1, updated_at = now() WHERE name = $1
           RETURNING next_version - 1 AS version`,
          [input.model],
        );
        if (!counter) throw notFoundModel(input.model);
        const version = num(counter.version);
        await tx.query(
          `INSERT INTO registry_versions (model, version, package_digest, flavor, signature, profile, metrics,
             source_run_id, dataset_versions, tags, description, status, created_by)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9::jsonb, $10::jsonb, $11, $12, $13)`,
          [
            input.model,
            version,
            input.packageDigest,
            input.flavor,
            input.signature ? json(input.signature) : null,
            input.profile ? json(input.profile) : null,
            json(input.metrics ?? {}),
            input.sourceRunId ?? null,
            json(input.datasetVersions ?? []),
            json(input.tags ?? {}),
            input.description ?? '',
            input.status ?? 'ready',
            principal,
          ],
        );
        const ownerId = `${input.model}/${version}`;
        await recordObjectRefs(
          tx,
          kept.map((digest) => ({ digest, kind: 'model-version', ownerId })),
        );
        await audit({
          action: 'version.created',
          model: input.model,
          version,
          principal,
          reason: input.reason,
          details: {
            packageDigest: input.packageDigest,
            flavor: input.flavor,
            metrics: input.metrics ?? {},
            sourceRunId: input.sourceRunId ?? null,
            status: input.status ?? 'ready',
          },
        });
        return (await readVersion(tx, input.model, version))!;
      });
    },

    async getVersion(ref) {
      const { model, version } = parseInput(versionRefSchema, ref);
      const v = await readVersion(store, model, version);
      if (!v) throw notFoundVersion(model, version);
      return v;
    },

    async getProfile(ref) {
      const { model, version } = parseInput(versionRefSchema, ref);
      const [row] = await store.query<{ profile: ReferenceProfile | null }>(
        'SELECT profile FROM registry_versions WHERE model = $1 AND version = $2',
        [model, version],
      );
      if (!row) throw notFoundVersion(model, version);
      return row.profile ?? null;
    },

    async listVersions(raw = {}) {
      const input = parseInput(listVersionsInputSchema, raw);
      const limit = input.limit ?? DEFAULT_LIMIT;
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: (p: string) => string, value: unknown) => {
        params.push(value);
        where.push(sql(`$${params.length}`));
      };
      if (input.model) add((p) => `v.model = ${p}`, input.model);
      if (input.status) add((p) => `v.status = ${p}`, input.status);
      if (input.flavor) add((p) => `v.flavor = ${p}`, input.flavor);
      if (input.sourceRunId) add((p) => `v.source_run_id = ${p}`, input.sourceRunId);
      if (input.tags && Object.keys(input.tags).length > 0) add((p) => `v.tags @> ${p}::jsonb`, json(input.tags));
      if (input.cursor) {
        const [m, v] = decodeCursor(input.cursor, ['string', 'number'] as const);
        params.push(m, v);
        where.push(
          `(v.model > $${params.length - 1} OR (v.model = $${params.length - 1} AND v.version < $${params.length}))`,
        );
      }
      params.push(limit + 1);
      const rows = await store.query<Row>(
        `SELECT ${VERSION_COLS} FROM registry_versions v ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY v.model, v.version DESC LIMIT $${params.length}`,
        params,
      );
      return page(rows.map(toVersion), limit, (v) => [v.model, v.version]);
    },

    async updateVersion(raw) {
      const input = parseInput(updateVersionInputSchema, raw);
      const principal = input.principal ?? ctx.principal;
      return write(async (tx, audit) => {
        const [cur] = await tx.query<Row>(
          `SELECT ${VERSION_COLS} FROM registry_versions v WHERE v.model = $1 AND v.version = $2 FOR UPDATE OF v`,
          [input.model, input.version],
        );
        if (!cur) throw notFoundVersion(input.model, input.version);
        const current = toVersion(cur);
        if (input.status !== undefined && input.status !== 'ready' && current.aliases.length > 0) {
          throw new MlopsError('CONFLICT', {
            message: `Version ${input.version} of model "${input.model}" is the target of ${current.aliases.join(', ')}; move the alias before setting status "${input.status}"`,
            details: { model: input.model, version: input.version, aliases: current.aliases },
          });
        }
        await tx.query(
          `UPDATE registry_versions SET description = $3, tags = $4::jsonb, status = $5, updated_at = now()
           WHERE model = $1 AND version = $2`,
          [
            input.model,
            input.version,
            input.description ?? current.description,
            json(mergeTags(current.tags, input.tags, input.deleteTags)),
            input.status ?? current.status,
          ],
        );
        await audit({
          action: 'version.updated',
          model: input.model,
          version: input.version,
          principal,
          reason: input.reason,
          details: {
            ...(input.description === undefined ? {} : { description: input.description }),
            ...(input.tags === undefined ? {} : { tags: input.tags }),
            ...(input.deleteTags === undefined ? {} : { deleteTags: input.deleteTags }),
            ...(input.status === undefined ? {} : { status: input.status, previousStatus: current.status }),
          },
        });
        return (await readVersion(tx, input.model, input.version))!;
      });
    },

    async deleteVersion(raw) {
      const input = parseInput(deleteVersionInputSchema, raw);
      const principal = input.principal ?? ctx.principal;
      const conflict = (aliases: string[]) =>
        new MlopsError('CONFLICT', {
          message: `Version ${input.version} of model "${input.model}" is the target of alias ${aliases.join(', ')}; move or delete the alias first`,
          details: { model: input.model, version: input.version, aliases },
        });
      try {
        await write(async (tx, audit) => {
          const [row] = await tx.query<{ package_digest: string }>(
            'SELECT package_digest FROM registry_versions WHERE model = $1 AND version = $2 FOR UPDATE',
            [input.model, input.version],
          );
          if (!row) throw notFoundVersion(input.model, input.version);
          const aliases = await tx.query<{ alias: string }>(
            'SELECT alias FROM registry_aliases WHERE model = $1 AND version = $2 ORDER BY alias',
            [input.model, input.version],
          );
          if (aliases.length > 0) throw conflict(aliases.map((a) => a.alias));
          await tx.query('DELETE FROM registry_versions WHERE model = $1 AND version = $2', [
            input.model,
            input.version,
          ]);
          await removeObjectRefs(tx, { kind: 'model-version', ownerId: `${input.model}/${input.version}` });
          await audit({
            action: 'version.deleted',
            model: input.model,
            version: input.version,
            principal,
            reason: input.reason,
            details: { packageDigest: row.package_digest },
          });
        });
      } catch (err) {
        // An alias created concurrently, after our check, still trips the foreign key.
        if (isForeignKeyViolation(err)) throw conflict([]);
        throw err;
      }
    },
  };
}
