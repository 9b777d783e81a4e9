import type { Store } from '@mlops/core';
import { type ApiKeyPrincipal, type ApiKeyScope, verifyApiKey } from '@mlops/core/auth';
import {
  type AddressAuth,
  type AddressAuthMode,
  apiKeyFromHeaders,
  apiKeyRequiredError,
  type AddressAuthOptions as CoreAddressAuthOptions,
  createAddressAuth as createCoreAddressAuth,
} from '@mlops/core/http';

export type { AddressAuth } from '@mlops/core/http';

/**
 * How requests are authenticated. `auto` follows SPEC's default: off while every address the server is reached
 * through is loopback, required as soon as one is not (the `host` option, a `listen()` address, or the local address
 * of a request to `app` mounted on your own server). `disabled` on a non-loopback address logs a loud warning.
 */
export type AuthMode = AddressAuthMode;

/** Options of the server's API-key authentication. */
export interface AuthOptions {
  /**
   * @default 'auto'
   */
  mode?: AuthMode;
  /**
   * Where API keys live.
   * @default the server's `store`
   */
  store?: Store;
  /**
   * Successful verifications are cached this long (per key and scope), sparing a query per request. A revoked key
   * stops working within this time.
   * @default 5000
   */
  cacheMs?: number;
}

/** Options of {@link createAddressAuth} (internal). */
export type AddressAuthOptions = Omit<CoreAddressAuthOptions, 'what' | 'keyStoreAdvice'>;

/**
 * The server's {@link AddressAuth}: core's `createAddressAuth` (one implementation with `@mlops/dashboard`), with the
 * model server's words in its messages (internal).
 */
export function createAddressAuth(options: AddressAuthOptions): AddressAuth {
  return createCoreAddressAuth({
    ...options,
    what: 'server',
    keyStoreAdvice: 'pass `store` (or `auth.store`) to createModelServer',
  });
}

/**
 * Verifies the API key of a request (core's `apiKeyFromHeaders`: `Authorization: Bearer <key>`, else `X-API-Key`) for
 * a scope, with a short positive cache (internal). `apiKey` is a key already read (`server.authenticate`).
 */
export function createAuthenticator(store: Store, cacheMs: number) {
  const cache = new Map<string, { principal: ApiKeyPrincipal; until: number }>();
  return async (header: { authorization?: string | undefined; apiKey?: string | undefined }, scope: ApiKeyScope) => {
    const key = apiKeyFromHeaders({ authorization: header.authorization, 'x-api-key': header.apiKey });
    if (!key) throw apiKeyRequiredError();
    const ck = `${scope}\u0000${key}`;
    const hit = cache.get(ck);
    const now = Date.now();
    if (hit && hit.until > now) return hit.principal;
    const principal = await verifyApiKey({ store, key, scope });
    if (cacheMs > 0) {
      if (cache.size >= 10_000) cache.clear();
      cache.set(ck, { principal, until: now + cacheMs });
    }
    return principal;
  };
}
