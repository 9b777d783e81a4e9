// HTTP rules shared by every server of the toolkit (@mlops/serve, the registry's router, @mlops/dashboard).
export type {
  AddressAuth,
  AddressAuthMode,
  AddressAuthOptions,
  AddressGuard,
  AddressGuardOptions,
} from './address-auth.js';
export { createAddressAuth, createAddressGuard, nonLoopbackAddressOf } from './address-auth.js';
export type { ApiKeyHeaders } from './api-key.js';
export { apiKeyFromHeaders, apiKeyRequiredError } from './api-key.js';
export type {
  ErrorBody,
  ErrorResponse,
  HttpErrorCode,
  HttpErrorOptions,
  TransportErrorCode,
} from './error-contract.js';
export {
  errorBody,
  errorBodySchema,
  errorResponse,
  HTTP_ERROR_CODES,
  HTTP_STATUS_BY_CODE,
  HttpError,
  httpStatusOf,
  INTERNAL_ERROR_MESSAGE,
  isHttpErrorCode,
  MAX_ERROR_DETAILS,
  TRANSPORT_ERROR_CODES,
} from './error-contract.js';
export type { AllowedHosts } from './host-check.js';
export { createHostCheck, hostnameOf, hostRefusedError, isLoopbackHost } from './host-check.js';
export { isRequestId } from './request-id.js';
export type { AnyRouteDefinition, RouteContext, RouteDefinition, RouteMethod } from './route-definition.js';
export { routeDefinitionsOf, withRouteDefinitions } from './route-definition.js';
export type { RouteMethodPath } from './route-methods.js';
export { allowedMethods, methodNotAllowedError } from './route-methods.js';
