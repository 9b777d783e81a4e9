import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { MlopsError } from '../errors.js';
import { type AllowedHosts, createHostCheck, hostRefusedError, isLoopbackHost } from './host-check.js';

/**
 * How a server authenticates. `auto` (the default of every server): off while every address it is reached through
 * is loopback, required as soon as one is not; `required`: always; `disabled`: never, with a loud warning per
 * non-loopback address (behind a proxy that authenticates).
 */
export type AddressAuthMode = 'auto' | 'required' | 'disabled';

/** Options of {@link createAddressAuth}. */
export interface AddressAuthOptions {
  mode: AddressAuthMode;
  /** True when API keys can be verified (a store holds them); without it, `auto` off loopback refuses requests. */
  hasKeyStore: boolean;
  /** Receives the warnings: auth disabled on a public address, requests refused for want of a key store. */
  warn: (message: string) => void;
  /** Called once when auth turns on after creation (a non-loopback address came into use). */
  onEnabled?: () => void;
  /**
   * What is protected, in the warnings (`server`, `dashboard`).
   * @default 'server'
   */
  what?: string;
  /**
   * How to give the server a key store, in the refusal when it has none.
   * @default 'pass a store holding API keys'
   */
  keyStoreAdvice?: string;
}

/**
 * Auth decided by the addresses a server is actually reached through, and never turned off again. `auto`: on as soon
 * as one address in use (a `host` option, a `listen()` address, the address a request arrived through) is not
 * loopback; `required`: always on; `disabled`: never.
 */
export interface AddressAuth {
  /** True when requests need an API key. */
  readonly enabled: boolean;
  /**
   * Records an address in use (`where` says which, for messages); returns why to refuse when it needs keys and none
   * can be verified (`auto` without a key store), else `undefined`.
   */
  use(address: string, where: string): string | undefined;
}

/**
 * Creates the {@link AddressAuth} of a server: `@mlops/serve` and `@mlops/dashboard` both decide auth with it, per
 * request, from the address in use (see {@link createAddressGuard}), never from a configured host alone.
 *
 * @example
 * const auth = createAddressAuth({ mode: 'auto', hasKeyStore: true, warn: console.warn });
 * auth.use('127.0.0.1', 'the host option'); // auth.enabled === false
 * auth.use('10.0.0.5', 'a request arrived through it'); // auth.enabled === true from now on
 */
export function createAddressAuth(options: AddressAuthOptions): AddressAuth {
  const { mode, hasKeyStore, warn } = options;
  const what = options.what ?? 'server';
  const advice = options.keyStoreAdvice ?? 'pass a store holding API keys';
  let enabled = mode === 'required';
  const warned = new Set<string>();
  return {
    get enabled() {
      return enabled;
    },
    use(address, where) {
      if (mode === 'required' || isLoopbackHost(address)) return undefined;
      if (mode === 'disabled') {
        if (!warned.has(address)) {
          warned.add(address);
          warn(
            `[mlops] WARNING: ${what} authentication is DISABLED on non-loopback address "${address}" (${where}): ` +
              `anyone who can reach this ${what} can call every endpoint. Use API keys (auth: "auto") unless a ` +
              'proxy authenticates.',
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
        `auth is required on non-loopback address "${address}" (${where}) but no store holds API keys: ${advice}, ` +
        "or bind a loopback address, or set auth: 'disabled' behind an authenticating proxy";
      if (!warned.has(address)) {
        warned.add(address);
        warn(`[mlops] WARNING: requests are refused: ${reason}`);
      }
      return reason;
    },
  };
}

/** What {@link nonLoopbackAddressOf} returns for a socket with no address at all: counted as public. */
const UNKNOWN = 'an unknown address';

/**
 * The non-loopback address a request reached its server through, or `undefined` when it is loopback: the address the
 * socket's HTTP server is bound to (so a server on `0.0.0.0` counts as public even for a client on 127.0.0.1), else
 * the socket's `localAddress`. A Unix socket or named pipe is local (`undefined`). Fails closed: a socket with no
 * address at all gives `'an unknown address'`.
 */
export function nonLoopbackAddressOf(socket: Socket): string | undefined {
  const server = (socket as Socket & { server?: { address?: () => AddressInfo | string | null } }).server;
  const bound = server?.address?.();
  if (typeof bound === 'string') return undefined;
  const addresses = [bound?.address, socket.localAddress].filter((a): a is string => typeof a === 'string' && a !== '');
  if (addresses.length === 0) return UNKNOWN;
  return addresses.find((a) => !isLoopbackHost(a));
}

/** Options of {@link createAddressGuard}. */
export interface AddressGuardOptions {
  auth: AddressAuth;
  /** Host names a loopback server without auth answers besides the loopback ones (see `createHostCheck`). */
  allowedHosts?: AllowedHosts;
  /**
   * Names the server in a Host refusal (`server`, `dashboard`).
   * @default 'server'
   */
  what?: string;
  /** Appended to a Host refusal's message, after "add the name to allowedHosts". */
  hostAdvice?: string;
}

/** A connect/express middleware; express accepts it as a `RequestHandler`. */
export type AddressGuard = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * The middleware that puts {@link AddressAuth} to work, first in a server's chain: it records the address each request
 * arrived through (once per connection), so auth follows the address in use, and fails closed (a non-loopback
 * address where no key can be verified: 403 `FORBIDDEN`, `details[].path` `(server).auth`). On a loopback address
 * while auth is off it applies the loopback `Host` check against DNS rebinding (403, `(headers).host`). A server
 * whose auth is on, or explicitly disabled on a public address, does not check `Host`.
 */
export function createAddressGuard(options: AddressGuardOptions): AddressGuard {
  const { auth } = options;
  const what = options.what ?? 'server';
  const hostAllowed = createHostCheck(options.allowedHosts);
  const seen = new WeakMap<Socket, string | null>();
  return (req, _res, next) => {
    let address = seen.get(req.socket);
    if (address === undefined) {
      address = nonLoopbackAddressOf(req.socket) ?? null;
      seen.set(req.socket, address);
    }
    if (address !== null) {
      const refused = auth.use(address, 'a request arrived through it');
      if (refused) {
        next(
          new MlopsError('FORBIDDEN', {
            message: refused,
            details: [{ path: '(server).auth', message: 'API keys are required off loopback, and no store holds any' }],
          }),
        );
        return;
      }
      next();
      return;
    }
    const host = req.headers.host;
    if (!auth.enabled && !hostAllowed(host)) {
      next(hostRefusedError(host, what, options.hostAdvice ?? ''));
      return;
    }
    next();
  };
}
