// Registered models: create, read, list, update, delete.
import { MlopsError, parseInput } from '@mlops/core';
import { removeObjectRefs } from '@mlops/core/objects';
import { decodeCursor } from './_internal/cursor.js';
import { DEFAULT_LIMIT, page } from './_internal/paging.js';
import type { RegistryContext } from './context.js';
import { mergeTags, requireModel } from './reads.js';
import { json, MODEL_COLS, num, type Row, toModel } from './rows.js';
import {
  createModelInputSchema,
  deleteModelInputSchema,
  listModelsInputSchema,
  modelNameSchema,
  updateModelInputSchema,
} from './schemas.js';
import type { Registry } from './types.js';

/** The registry's model methods. */
export function modelMethods(
  ctx: RegistryContext,
): Pick<Registry, 'createModel' | 'getModel' | 'listModels' | 'updateModel' | 'deleteModel'> {
  const { store, write } = ctx;
  return {
    async createModel(raw) {
      const input = parseInput(createModelInputSchema, raw);
      const principal = input.principal ?? ctx.principal;
      return write(async (tx, audit) => {
        const [row] = await tx.query<Row>(
          `INSERT INTO registry_models (name, description, tags, created_by) VALUES ($1, $2, $3::jsonb, $4)
           ON CONFLICT (name) DO NOTHING RETURNING ${MODEL_COLS}`,
          [input.name, input.description ?? '', json(input.tags ?? {}), principal],
        );
        if (!row) {
          throw new MlopsError('CONFLICT', {
            message: `Model "${input.name}" already exists`,
            details: { model: input.name },
          });
        }
        await audit({
          action: 'model.created',
          model: input.name,
          principal,
          reason: input.reason,
          details: { description: input.description ?? '', tags: input.tags ?? {} },
        });
        return toModel(row);
      });
    },

    async getModel(name) {
      const model = parseInput(modelNameSchema, name, 'name');
      return toModel(await requireModel(store, model));
    },

    async listModels(raw = {}) {
      const input = parseInput(listModelsInputSchema, raw);
      const limit = input.limit ?? DEFAULT_LIMIT;
      const where: string[] = [];
      const params: unknown[] = [];
      if (input.query) {
        params.push(input.query);
        where.push(`strpos(lower(name), lower($${params.length})) > 0`);
      }
      if (input.tags && Object.keys(input.tags).length > 0) {
        params.push(json(input.tags));
        where.push(`tags @> $${params.length}::jsonb`);
      }
      if (input.cursor) {
        const [after] = decodeCursor(input.cursor, ['string'] as const);
        params.push(after);
        where.push(`name > $${params.length}`);
      }
      params.push(limit + 1);
      const rows = await store.query<Row>(
        `SELECT ${MODEL_COLS} FROM registry_models ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY name LIMIT $${params.length}`,
        params,
      );
      return page(rows.map(toModel), limit, (m) => [m.name]);
    },

    async updateModel(raw) {
      const input = parseInput(updateModelInputSchema, raw);
      const principal = input.principal ?? ctx.principal;
      return write(async (tx, audit) => {
        const current = toModel(await requireModel(tx, input.name, 'FOR UPDATE'));
        const tags = mergeTags(current.tags, input.tags, input.deleteTags);
        const [row] = await tx.query<Row>(
          `UPDATE registry_models SET description = $2, tags = $3::jsonb, updated_at = now() WHERE name = $1
           RETURNING ${MODEL_COLS}`,
          [input.name, input.description ?? current.description, json(tags)],
        );
        await audit({
          action: 'model.updated',
          model: input.name,
          principal,
          reason: input.reason,
          details: {
            ...(input.description === undefined ? {} : { description: input.description }),
            ...(input.tags === undefined ? {} : { tags: input.tags }),
            ...(input.deleteTags === undefined ? {} : { deleteTags: input.deleteTags }),
          },
        });
        return toModel(row!);
      });
    },

    async deleteModel(raw) {
      const input = parseInput(deleteModelInputSchema, raw);
      const principal = input.principal ?? ctx.principal;
      await write(async (tx, audit) => {
        await requireModel(tx, input.name, 'FOR UPDATE');
        const aliases = await tx.query<{ alias: string; version: number }>(
          'SELECT alias, version FROM registry_aliases WHERE model = $1 ORDER BY alias',
          [input.name],
        );
        if (aliases.length > 0) {
          throw new MlopsError('CONFLICT', {
            message: `Model "${input.name}" still has aliases (${aliases.map((a) => a.alias).join(', ')}); delete them first`,
            details: { model: input.name, aliases: aliases.map((a) => ({ alias: a.alias, version: num(a.version) })) },
          });
        }
        const versions = await tx.query<{ version: number }>(
          'SELECT version FROM registry_versions WHERE model = $1 ORDER BY version',
          [input.name],
        );
        await tx.query('DELETE FROM registry_models WHERE name = $1', [input.name]);
        for (const v of versions) {
          await removeObjectRefs(tx, { kind: 'model-version', ownerId: `${input.name}/${num(v.version)}` });
        }
        await audit({
          action: 'model.deleted',
          model: input.name,
          principal,
          reason: input.reason,
          details: { versions: versions.map((v) => num(v.version)) },
        });
      });
    },
  };
}
