import type { Store } from '@mlops/core';
import { apiKeyPrincipal, verifyApiKey } from '@mlops/core/auth';
import { apiKeyRequiredError } from '@mlops/core/http';
import type { RegistryAuthenticate } from './router.js';

/** Options of {@link apiKeyAuthenticator}. */
export interface ApiKeyAuthenticatorOptions {
  /** The store holding core's API keys (`createApiKey`). */
  store: Store;
}

/**
 * Authenticates router requests with core's API keys: the key from `Authorization: Bearer <key>` (or `X-API-Key`)
 * must exist, be active and hold the scope (`registry:read` for reads, `registry:write` for writes; `admin` and
 * `registry:write` imply `registry:read`). The audit log records `apikey:<key name>#<key id>` (core's `apiKeyPrincipal`).
 *
 * @example
 * app.use('/registry', createRegistryRouter({ registry, authenticate: apiKeyAuthenticator({ store }) }));
 */
export function apiKeyAuthenticator(options: ApiKeyAuthenticatorOptions): RegistryAuthenticate {
  return async (request, scope) => {
    if (!request.apiKey) throw apiKeyRequiredError();
    return apiKeyPrincipal(await verifyApiKey({ store: options.store, key: request.apiKey, scope }));
  };
}
