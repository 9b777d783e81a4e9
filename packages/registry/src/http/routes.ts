import type { RouteDefinition } from '@mlops/core/http';
import type { Request, Response } from 'express';
import { z } from 'zod';
import {
  aliasHistoryEntrySchema,
  aliasSchema,
  auditEntrySchema,
  decisionSchema,
  modelVersionSchema,
  pageSchema,
  promotionResultSchema,
  registeredModelSchema,
  rollbackResultSchema,
} from '../records.js';
import {
  createModelInputSchema,
  createVersionInputSchema,
  listAuditInputSchema,
  listDecisionsInputSchema,
  listModelsInputSchema,
  listVersionsInputSchema,
  promoteInputSchema,
  rollbackInputSchema,
  setAliasInputSchema,
  updateModelInputSchema,
  updateVersionInputSchema,
} from '../schemas.js';

/** The scopes the router asks for: reads need `registry:read`, writes `registry:write`. */
export type RegistryScope = 'registry:read' | 'registry:write';

/**
 * What the registry's router adds to core's route context: express's request and response. The router
 * authenticates (its `authenticate` option), reads a write's JSON body after that, refuses strings the store cannot
 * hold, and hands the handler the body with the authenticated principal in `principal` (core's `principal` stays
 * undefined: the registry records the string its authenticator returns).
 */
export interface RegistryRouteExtras {
  req: Request;
  res: Response;
}

/**
 * One route of the registry's REST API, as core's `RouteDefinition`: the router mounts these, and a server that
 * mounts the router (`server.mount('/registry', createRegistryRouter(…))` in `@mlops/serve`) lists them in its
 * OpenAPI document under that path. The zod schemas describe the request and the response; the registry's own
 * functions validate (with the same schemas), so field paths are those of the in-process API.
 */
export type RegistryRouteDefinition = RouteDefinition<
  z.ZodType,
  z.ZodType,
  z.ZodType,
  z.ZodType,
  RegistryRouteExtras
> & {
  scope: RegistryScope;
};

/** What a registry route's handler calls: the registry method behind the route. */
export type RegistryRouteHandler = RegistryRouteDefinition['handler'];

const model = z.object({ model: z.string().describe('Model name') });
const version = model.extend({ version: z.coerce.number().int().positive().describe('Version number') });
const alias = model.extend({ alias: z.string().describe('Alias name, e.g. production') });
const writeBody = <T extends z.ZodObject>(schema: T, urlKeys: Record<string, true>) =>
  (schema as z.ZodObject).omit(urlKeys).describe('URL parameters may be repeated in the body (they must then match)');

/** The handlers of {@link registryRouteDefinitions}, by operation. */
export interface RegistryRouteHandlers {
  createModel: RegistryRouteHandler;
  listModels: RegistryRouteHandler;
  getModel: RegistryRouteHandler;
  updateModel: RegistryRouteHandler;
  deleteModel: RegistryRouteHandler;
  createVersion: RegistryRouteHandler;
  listModelVersions: RegistryRouteHandler;
  listVersions: RegistryRouteHandler;
  getVersion: RegistryRouteHandler;
  getProfile: RegistryRouteHandler;
  updateVersion: RegistryRouteHandler;
  deleteVersion: RegistryRouteHandler;
  listAliases: RegistryRouteHandler;
  resolve: RegistryRouteHandler;
  setAlias: RegistryRouteHandler;
  deleteAlias: RegistryRouteHandler;
  aliasHistory: RegistryRouteHandler;
  modelHistory: RegistryRouteHandler;
  promote: RegistryRouteHandler;
  rollback: RegistryRouteHandler;
  listDecisions: RegistryRouteHandler;
  listAudit: RegistryRouteHandler;
  events: RegistryRouteHandler;
}

/**
 * The registry's REST API as route definitions (paths relative to where the router is mounted), each with its
 * scope, its zod-described request and response, and its handler from `handlers`. `createRegistryRouter` builds its
 * router from this list and attaches it (core's `withRouteDefinitions`) for the OpenAPI document of the server that
 * mounts it.
 */
export function registryRouteDefinitions(handlers: RegistryRouteHandlers): RegistryRouteDefinition[] {
  const tags = ['registry'];
  const read = (
    path: string,
    summary: string,
    handler: RegistryRouteHandler,
    parts: Partial<Pick<RegistryRouteDefinition, 'params' | 'query' | 'response' | 'description'>> = {},
  ): RegistryRouteDefinition => ({ method: 'get', path, summary, tags, scope: 'registry:read', handler, ...parts });
  const write = (
    method: 'post' | 'put' | 'patch' | 'delete',
    path: string,
    summary: string,
    handler: RegistryRouteHandler,
    parts: Partial<Pick<RegistryRouteDefinition, 'params' | 'body' | 'response' | 'status' | 'description'>> = {},
  ): RegistryRouteDefinition => ({ method, path, summary, tags, scope: 'registry:write', handler, ...parts });
  return [
    write('post', '/models', 'Register a model', handlers.createModel, {
      body: createModelInputSchema,
      response: registeredModelSchema,
      status: 201,
    }),
    read('/models', 'List models', handlers.listModels, {
      query: listModelsInputSchema.omit({ tags: true }).describe('`tag.<key>=<value>` filters by tag'),
      response: pageSchema(registeredModelSchema),
    }),
    read('/models/:model', 'Get a model', handlers.getModel, { params: model, response: registeredModelSchema }),
    write('patch', '/models/:model', 'Update a model (tags are merged in)', handlers.updateModel, {
      params: model,
      body: writeBody(updateModelInputSchema, { name: true }),
      response: registeredModelSchema,
    }),
    write('delete', '/models/:model', 'Delete a model and its versions', handlers.deleteModel, {
      params: model,
      status: 204,
    }),
    write('post', '/models/:model/versions', 'Register a version', handlers.createVersion, {
      params: model,
      body: writeBody(createVersionInputSchema, { model: true }),
      response: modelVersionSchema,
      status: 201,
    }),
    read('/models/:model/versions', "List a model's versions", handlers.listModelVersions, {
      params: model,
      query: listVersionsInputSchema.omit({ model: true, tags: true }),
      response: pageSchema(modelVersionSchema),
    }),
    read('/versions', 'List versions of every model', handlers.listVersions, {
      query: listVersionsInputSchema.omit({ tags: true }),
      response: pageSchema(modelVersionSchema),
    }),
    read('/models/:model/versions/:version', 'Get a version', handlers.getVersion, {
      params: version,
      response: modelVersionSchema,
    }),
    read('/models/:model/versions/:version/profile', "Get a version's reference profile", handlers.getProfile, {
      params: version,
      response: z.object({ profile: z.unknown().describe('The reference profile (an envelope), or null') }),
    }),
    write('patch', '/models/:model/versions/:version', 'Update a version', handlers.updateVersion, {
      params: version,
      body: writeBody(updateVersionInputSchema, { model: true, version: true }),
      response: modelVersionSchema,
    }),
    write('delete', '/models/:model/versions/:version', 'Delete a version', handlers.deleteVersion, {
      params: version,
      status: 204,
    }),
    read('/models/:model/aliases', "List a model's aliases", handlers.listAliases, {
      params: model,
      response: z.object({ items: z.array(aliasSchema) }),
    }),
    read('/models/:model/aliases/:alias', 'Resolve an alias', handlers.resolve, {
      params: alias,
      response: modelVersionSchema,
    }),
    write('put', '/models/:model/aliases/:alias', 'Point an alias at a version (no gate)', handlers.setAlias, {
      params: alias,
      body: writeBody(setAliasInputSchema, { model: true, alias: true }),
      response: aliasSchema,
    }),
    write('delete', '/models/:model/aliases/:alias', 'Delete an alias', handlers.deleteAlias, {
      params: alias,
      status: 204,
    }),
    read('/models/:model/aliases/:alias/history', "An alias's history", handlers.aliasHistory, {
      params: alias,
      response: pageSchema(aliasHistoryEntrySchema),
    }),
    read('/models/:model/history', "The history of a model's aliases", handlers.modelHistory, {
      params: model,
      response: pageSchema(aliasHistoryEntrySchema),
    }),
    write('post', '/models/:model/aliases/:alias/promote', 'Promote a version through a gate', handlers.promote, {
      params: alias,
      body: writeBody(promoteInputSchema, { model: true, alias: true }),
      response: promotionResultSchema,
      description:
        'Declarative JSON gates only. A refused candidate is a 422 `GATE_FAILED` whose `error.context.decision` holds the evidence.',
    }),
    write('post', '/models/:model/aliases/:alias/rollback', 'Roll an alias back', handlers.rollback, {
      params: alias,
      body: writeBody(rollbackInputSchema, { model: true, alias: true }),
      response: rollbackResultSchema,
    }),
    read('/models/:model/decisions', "A model's promotion decisions", handlers.listDecisions, {
      params: model,
      query: listDecisionsInputSchema
        .omit({ model: true, passed: true })
        .extend({ passed: z.enum(['true', 'false']).optional() }),
      response: pageSchema(decisionSchema),
    }),
    read('/audit', 'The audit log', handlers.listAudit, {
      query: listAuditInputSchema,
      response: pageSchema(auditEntrySchema),
    }),
    read('/events', 'Change events (server-sent events)', handlers.events, {
      query: z.object({ model: z.string().optional() }),
      description: '`text/event-stream`: one `change` event per registry change, `: ping` comments to keep it alive.',
    }),
  ];
}
