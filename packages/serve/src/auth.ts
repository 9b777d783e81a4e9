import { type ApiKeyPrincipal, type ApiKeyScope, MlopsError, type Store, verifyApiKey } from '@mlops/core';

/**
 * How requests are authenticated. `auto` follows SPEC's default: off when `host` is a loopback address, required
 * otherwise. `disabled` on a non-loopback host logs a loud warning.
 */
export type AuthMode = 'auto' | 'required' | 'disabled';

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

/** True for `localhost`, `127.0.0.0/8`, `::1` and IPv4-mapped loopback addresses. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Decides whether auth is on (internal). */
export function resolveAuthEnabled(mode: AuthMode, host: string, warn: (msg: string) => void): boolean {
  if (mode === 'required') return true;
  const loopback = isLoopbackHost(host);
  if (mode === 'disabled') {
    if (!loopback) {
      warn(
        `[mlops] WARNING: authentication is DISABLED on non-loopback host "${host}": anyone who can reach this ` +
          'server can call every endpoint. Use API keys (auth: { mode: "auto" }) unless a proxy authenticates.',
      );
    }
    return false;
  }
  return !loopback;
}

/** Verifies `Authorization: Bearer <key>` (or `x-api-key`) for a scope, with a short positive cache (internal). */
export function createAuthenticator(store: Store, cacheMs: number) {
  const cache = new Map<string, { principal: ApiKeyPrincipal; until: number }>();
  return async (header: { authorization?: string | undefined; apiKey?: string | undefined }, scope: ApiKeyScope) => {
    const auth = header.authorization;
    const key = auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : header.apiKey?.trim();
    if (!key) throw new MlopsError('UNAUTHORIZED', 'missing API key (send Authorization: Bearer <key>)');
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
