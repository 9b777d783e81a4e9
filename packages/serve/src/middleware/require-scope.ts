import { MlopsError } from '@mlops/core';
import { type ApiKeyPrincipal, type ApiKeyScope, apiKeyPrincipal } from '@mlops/core/auth';
import type { AddressAuth } from '@mlops/core/http';
import type { RequestHandler } from 'express';
import { requestState } from './request-context.js';

/** Verifies a request's API key for a scope (the server's cached `createAuthenticator`). */
export type VerifyApiKey = (
  header: { authorization?: string | undefined; apiKey?: string | undefined },
  scope: ApiKeyScope,
) => Promise<ApiKeyPrincipal>;

/** The refusal of a request that needs an API key when no store holds any (`auth: 'auto'` off loopback). */
export function noKeyStoreError(): MlopsError {
  return new MlopsError('FORBIDDEN', {
    message:
      'API keys are required (the server is reached through a non-loopback address) but no store holds any: pass ' +
      "`store` (or `auth.store`) to createModelServer, or set auth: 'disabled' behind an authenticating proxy",
    details: [{ path: '(server).auth', message: 'API keys are required off loopback, and no store holds any' }],
  });
}

/**
 * The scope check of a route: nothing while auth is off or for a public route (`null`), else the request's API key
 * must hold `scope` (401 without a key, 403 without the scope); the principal goes to the request's state (internal).
 */
export function createScopeCheck(
  auth: AddressAuth,
  verify: VerifyApiKey | undefined,
): (scope: ApiKeyScope | null) => RequestHandler {
  return (scope) => (req, res, next) => {
    if (scope === null || !auth.enabled) {
      next();
      return;
    }
    if (!verify) {
      next(noKeyStoreError());
      return;
    }
    const h = req.headers;
    verify(
      {
        authorization: typeof h.authorization === 'string' ? h.authorization : undefined,
        apiKey: typeof h['x-api-key'] === 'string' ? h['x-api-key'] : undefined,
      },
      scope,
    ).then(
      (principal) => {
        requestState(res).principal = principal;
        next();
      },
      (err: unknown) => next(err),
    );
  };
}

/**
 * `server.authenticate`: an API key checked for a scope with the server's settings, as its audit principal
 * `apikey:<name>#<id>`; `'anonymous'` while auth is off (internal).
 */
export function createAuthenticate(
  auth: AddressAuth,
  verify: VerifyApiKey | undefined,
): (request: { apiKey: string | undefined }, scope: ApiKeyScope) => Promise<string> {
  return async (request, scope) => {
    if (!auth.enabled) return 'anonymous';
    if (!verify) throw noKeyStoreError();
    return apiKeyPrincipal(await verify({ apiKey: request.apiKey }, scope));
  };
}
