import {
  type ApiKeyPrincipal,
  type ApiKeyScope,
  isLoopbackHost,
  MlopsError,
  type Store,
  verifyApiKey,
} from '@mlops/core';

/**
 * How requests are authenticated. `auto` follows SPEC's default: off while every address the server is reached
 * through is loopback, required as soon as one is not (the `host` option, a `listen()` address, or the local address
 * of a request to `app` mounted on your own server). `disabled` on a non-loopback address logs a loud warning.
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

/** Options of {@link createAddressAuth} (internal). */
export interface AddressAuthOptions {
  mode: AuthMode;
  /** True when a store holds API keys. */
  hasKeyStore: boolean;
  warn: (message: string) => void;
  /** Called once when auth turns on after creation (a non-loopback address came into use). */
  onEnabled?: () => void;
}

/**
 * Auth decided by the addresses the server is actually reached through, and never turned off again (internal).
 * `auto`: on as soon as one address in use (the `host` option, a `listen()` address, the address a request arrived
 * on) is not loopback; `required`: always on; `disabled`: never, with a loud warning per non-loopback address.
 */
export interface AddressAuth {
  /** True when requests need an API key. */
  readonly enabled: boolean;
  /**
   * Records an address in use (`where` says which, for messages); returns why to refuse when it needs keys and no
   * store holds any (`auto`), else `undefined`.
   */
  use(address: string, where: string): string | undefined;
}

/** Creates the {@link AddressAuth} of a server (internal). */
export function createAddressAuth(options: AddressAuthOptions): AddressAuth {
  const { mode, hasKeyStore, warn } = options;
  let enabled = mode === 'required';
  const warned = new Set<string>();
  const auth: AddressAuth = {
    get enabled() {
      return enabled;
    },
    use(address, where) {
      if (mode === 'required' || isLoopbackHost(address)) return undefined;
      if (mode === 'disabled') {
        if (!warned.has(address)) {
          warned.add(address);
          warn(
            `[mlops] WARNING: authentication is DISABLED on non-loopback address "${address}" (${where}): anyone who ` +
              'can reach this server can call every endpoint. Use API keys (auth: "auto") unless a proxy authenticates.',
          );
        }
        return undefined;
      }
      if (!enabled) {
        enabled = true;
        options.onEnabled?.();
      }
      if (hasKeyStore) return undefined;
      const reason =
        `auth is required on non-loopback address "${address}" (${where}) but no store holds API keys: pass ` +
        '`store` (or `auth.store`) to createModelServer, or bind a loopback address, or set ' +
        "auth: 'disabled' behind an authenticating proxy";
      if (!warned.has(address)) {
        warned.add(address);
        warn(`[mlops] WARNING: requests are refused: ${reason}`);
      }
      return reason;
    },
  };
  return auth;
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
