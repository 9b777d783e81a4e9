import { type AddressAuth, type AllowedHosts, createAddressGuard as createCoreAddressGuard } from '@mlops/core/http';
import type { RequestHandler } from 'express';

/** Options of {@link createAddressGuard}. */
export interface AddressGuardOptions {
  auth: AddressAuth;
  allowedHosts?: AllowedHosts;
}

/**
 * The server's first middleware after the request context: core's `createAddressGuard` (one implementation with
 * `@mlops/dashboard`). It records the address each request arrived through (auth follows it, fail closed: a
 * non-loopback address without a key store is refused with 403), and on a loopback server without auth refuses
 * `Host` names that are not loopback nor in `allowedHosts` (403, DNS rebinding).
 */
export function createAddressGuard(options: AddressGuardOptions): RequestHandler {
  return createCoreAddressGuard({ ...options, what: 'server', hostAdvice: ', or turn auth on' });
}
