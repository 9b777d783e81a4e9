export { isLoopbackHost } from '@mlops/core/http';
export type { AuthMode, AuthOptions } from './auth.js';
export { createModelServer } from './create-model-server.js';
export type {
  ErrorResponse,
  ErrorResponseBody,
  OipErrorBody,
  ServeErrorCode,
  ServeErrorOptions,
  ServeOnlyErrorCode,
} from './errors.js';
export { HTTP_STATUS_BY_CODE, ServeError, toErrorResponse } from './errors.js';
export type { ListeningServer, ListenOptions } from './lifecycle.js';
export { METRIC_NAMES } from './metrics.js';
export type { ModelServer, ServerPrediction, ServerPredictOptions } from './model-server.js';
export type { ModelSource } from './model-slots.js';
export type { StaticModelSource } from './model-source.js';
export type { MonitoringOptions } from './monitoring.js';
export { SHADOW_ALIAS_PREFIX } from './monitoring.js';
export type { ErrorContext, ModelServerOptions, ServerLimits } from './options.js';
export type { RegistryLike, RegistryModelSource } from './registry-source.js';
export type { RetentionLimits, RetentionOptions } from './retention.js';
export { RETENTION_METRIC_NAMES } from './retention.js';
export type {
  RouteContext,
  RouteDefinition,
  RouteMethod,
  RoutePrediction,
  RoutePredictOptions,
  ServeRouteExtras,
} from './routes/route-definition.js';
export type { BatchingOptions } from './scheduler/batcher.js';
export type { V2Datatype, V2InferRequest, V2Tensor } from './v2/tensors.js';
export {
  decodeTensors,
  encodeTensors,
  V2_DATATYPES,
  v2InferRequestSchema,
  v2InferResponseSchema,
} from './v2/tensors.js';
