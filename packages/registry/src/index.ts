export type { RegistryOptions } from './context.js';
export { createRegistry } from './create-registry.js';
export { evaluateGate } from './gates/evaluate.js';
export { declarativeGateSchema, gateComparisonSchema, inProcessGateSchema } from './gates/schema.js';
export type {
  DeclarativeGate,
  Gate,
  GateComparison,
  GateComparisonData,
  GateContext,
  GateEvidence,
  GateFunction,
  GateNode,
  GateOp,
  GateOutcome,
  IfNoIncumbent,
  ImprovesOnIncumbentGate,
  MetricThresholdGate,
  NotWorseThanIncumbentGate,
} from './gates/types.js';
export type { ApiKeyAuthenticatorOptions } from './http/auth.js';
export { apiKeyAuthenticator } from './http/auth.js';
export type { JsonBodyReaderOptions } from './http/body.js';
export { createJsonBodyReader } from './http/body.js';
export type { RegistryClientOptions } from './http/client.js';
export { registryClient } from './http/client.js';
export type { ErrorBody } from './http/errors.js';
export { requestIdOf, toErrorResponse } from './http/errors.js';
export type {
  RegistryAuthenticate,
  RegistryAuthRequest,
  RegistryErrorContext,
  RegistryRouterOptions,
  RegistryScope,
} from './http/router.js';
export { createRegistryRouter } from './http/router.js';
export { migrateRegistry } from './migrations/index.js';
export type { ReferenceProfile } from './profile.js';
export { DEFAULT_MAX_PROFILE_BYTES, profileEnvelopeSchema } from './profile.js';
export type {
  Alias,
  AliasHistoryEntry,
  AliasHistoryInput,
  AliasRef,
  AuditAction,
  AuditEntry,
  CreateModelInput,
  CreateVersionInput,
  Decision,
  DeleteAliasInput,
  DeleteModelInput,
  DeleteVersionInput,
  ListAuditInput,
  ListDecisionsInput,
  ListModelsInput,
  ListVersionsInput,
  ModelVersion,
  Page,
  PromoteInput,
  PromotionResult,
  RegisteredModel,
  Registry,
  RegistryEvent,
  RollbackInput,
  RollbackResult,
  SetAliasInput,
  SubscribeFilter,
  Unsubscribe,
  UpdateModelInput,
  UpdateVersionInput,
  VersionRef,
  VersionStatus,
} from './types.js';
