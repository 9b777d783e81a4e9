import type { z } from 'zod';
import type { Gate } from './gates/types.js';
import type { ReferenceProfile } from './profile.js';
import type {
  Alias,
  AliasHistoryEntry,
  AuditEntry,
  Decision,
  ModelVersion,
  PromotionResult,
  RegisteredModel,
  RegistryEvent,
  RollbackResult,
} from './records.js';
import type {
  aliasHistoryInputSchema,
  aliasRefSchema,
  createModelInputSchema,
  createVersionInputSchema,
  deleteAliasInputSchema,
  deleteModelInputSchema,
  deleteVersionInputSchema,
  listAuditInputSchema,
  listDecisionsInputSchema,
  listModelsInputSchema,
  listVersionsInputSchema,
  promoteInputSchema,
  rollbackInputSchema,
  setAliasInputSchema,
  subscribeFilterSchema,
  updateModelInputSchema,
  updateVersionInputSchema,
  versionRefSchema,
} from './schemas.js';

// The records (RegisteredModel, ModelVersion, …) are declared with their schemas in records.ts.
export type {
  Alias,
  AliasHistoryEntry,
  AuditAction,
  AuditEntry,
  Decision,
  ModelVersion,
  PromotionResult,
  RegisteredModel,
  RegistryEvent,
  RollbackResult,
  VersionStatus,
} from './records.js';

/** Input of `createModel`. */
export type CreateModelInput = z.input<typeof createModelInputSchema>;
/** Input of `updateModel`. */
export type UpdateModelInput = z.input<typeof updateModelInputSchema>;
/** Input of `deleteModel`. */
export type DeleteModelInput = z.input<typeof deleteModelInputSchema>;
/** Filters of `listModels`. */
export type ListModelsInput = z.input<typeof listModelsInputSchema>;
/** Input of `createVersion`. */
export type CreateVersionInput = z.input<typeof createVersionInputSchema> & { profile?: ReferenceProfile | null };
/** Names one version. */
export type VersionRef = z.input<typeof versionRefSchema>;
/** Input of `updateVersion`. */
export type UpdateVersionInput = z.input<typeof updateVersionInputSchema>;
/** Input of `deleteVersion`. */
export type DeleteVersionInput = z.input<typeof deleteVersionInputSchema>;
/** Filters of `listVersions`. */
export type ListVersionsInput = z.input<typeof listVersionsInputSchema>;
/** Names one alias. */
export type AliasRef = z.input<typeof aliasRefSchema>;
/** Input of `setAlias`. */
export type SetAliasInput = z.input<typeof setAliasInputSchema>;
/** Input of `deleteAlias`. */
export type DeleteAliasInput = z.input<typeof deleteAliasInputSchema>;
/** Filters of `aliasHistory`. */
export type AliasHistoryInput = z.input<typeof aliasHistoryInputSchema>;
/** Input of `promote`: in-process the gate may hold custom functions; over HTTP it must be declarative. */
export type PromoteInput = Omit<z.input<typeof promoteInputSchema>, 'gate'> & { gate?: Gate };
/** Input of `rollback`. */
export type RollbackInput = z.input<typeof rollbackInputSchema>;
/** Filters of `listDecisions`. */
export type ListDecisionsInput = z.input<typeof listDecisionsInputSchema>;
/** Filters of `listAudit`. */
export type ListAuditInput = z.input<typeof listAuditInputSchema>;
/** Filters of `subscribe`. */
export type SubscribeFilter = z.input<typeof subscribeFilterSchema>;

/** A page of results: pass `nextCursor` back as `cursor` to get the next page; `null` on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Stops a subscription. */
export type Unsubscribe = () => Promise<void>;

/**
 * The model registry, in-process ({@link createRegistry}) or over HTTP ({@link registryClient}): the same methods,
 * the same errors (`MlopsError` codes), the same records.
 */
export interface Registry {
  /** Registers a model. `CONFLICT` when the name is taken. */
  createModel(input: CreateModelInput): Promise<RegisteredModel>;
  /** Reads a model. `NOT_FOUND` when missing. */
  getModel(name: string): Promise<RegisteredModel>;
  /** Lists models by name, filtered by a name substring and tags, one page at a time. */
  listModels(input?: ListModelsInput): Promise<Page<RegisteredModel>>;
  /** Changes a model's description and tags. */
  updateModel(input: UpdateModelInput): Promise<RegisteredModel>;
  /** Deletes a model and its versions. `CONFLICT` while any alias exists on it. */
  deleteModel(input: DeleteModelInput): Promise<void>;

  /** Adds a version, numbered 1, 2, 3… per model (numbers are never reused). */
  createVersion(input: CreateVersionInput): Promise<ModelVersion>;
  /** Reads a version. `NOT_FOUND` when missing. */
  getVersion(ref: VersionRef): Promise<ModelVersion>;
  /** Reads a version's reference profile (`null` when it has none). */
  getProfile(ref: VersionRef): Promise<ReferenceProfile | null>;
  /** Lists versions (newest first within a model; models by name), filtered, one page at a time. */
  listVersions(input?: ListVersionsInput): Promise<Page<ModelVersion>>;
  /** Changes a version's description, tags and status. */
  updateVersion(input: UpdateVersionInput): Promise<ModelVersion>;
  /** Deletes a version. `CONFLICT` when an alias points at it. */
  deleteVersion(input: DeleteVersionInput): Promise<void>;

  /** Points an alias at a version, creating or moving it, without a gate. */
  setAlias(input: SetAliasInput): Promise<Alias>;
  /** Removes an alias (a later rollback can restore it). */
  deleteAlias(input: DeleteAliasInput): Promise<void>;
  /** The version an alias points at. `NOT_FOUND` when the alias does not exist. */
  resolve(ref: AliasRef): Promise<ModelVersion>;
  /** The aliases of a model. */
  listAliases(model: string): Promise<Alias[]>;
  /** Alias changes, newest first. */
  aliasHistory(input: AliasHistoryInput): Promise<Page<AliasHistoryEntry>>;

  /**
   * Moves the alias to `version` if the gate passes against the current incumbent; records the decision either way.
   * `GATE_FAILED` (alias unchanged, `details.decision` holds the evidence) when it fails; `CONFLICT` when
   * `expectedIncumbent` is given and differs.
   */
  promote(input: PromoteInput): Promise<PromotionResult>;
  /** Moves the alias back to its previous target (pops the rollback stack). `CONFLICT` when there is none. */
  rollback(input: RollbackInput): Promise<RollbackResult>;
  /** Promotion decisions, newest first. */
  listDecisions(input: ListDecisionsInput): Promise<Page<Decision>>;

  /** The audit log, newest first. */
  listAudit(input?: ListAuditInput): Promise<Page<AuditEntry>>;
  /** Calls `fn` for every committed change; resolves once the subscription is live. */
  subscribe(fn: (event: RegistryEvent) => void, filter?: SubscribeFilter): Promise<Unsubscribe>;
  /** Stops subscriptions and listeners (does not close the store). */
  close(): Promise<void>;
}
