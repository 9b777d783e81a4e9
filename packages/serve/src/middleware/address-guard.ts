import type { AddressInfo, Socket } from 'node:net';
import { type AllowedHosts, createHostCheck, hostRefusedError, isLoopbackHost, MlopsError } from '@mlops/core';
import type { RequestHandler } from 'express';
import type { AddressAuth } from '../auth.js';

/** Options of {@link createAddressGuard}. */
export interface AddressGuardOptions {
  auth: AddressAuth;
  allowedHosts?: AllowedHosts;
}

const UNKNOWN = 'an unknown address';

/**
 * The non-loopback address a request reached the server through: the address its HTTP server is bound to (so a
 * server on `0.0.0.0` counts as public even for a client on 127.0.0.1), else the socket's local address; undefined
 * when both are loopback, or for a Unix socket. Fails closed: no address at all counts as public.
 */
function publicAddressOf(socket: Socket): string | undefined {
  const server = (socket as Socket & { server?: { address?: () => AddressInfo | string | null } }).server;
  const bound = server?.address?.();
  if (typeof bound === 'string') return undefined; // a Unix socket or a named pipe: local only
  const addresses = [bound?.address, socket.localAddress].filter((a): a is string => typeof a === 'string');
  if (addresses.length === 0) return UNKNOWN;
  return addresses.find((a) => !isLoopbackHost(a));
}

/**
 * The server's first middleware after the request context: records the address each request arrived through (auth
 * follows it, fail closed: a non-loopback address without a key store is refused with 403), and on a loopback
 * server without auth refuses `Host` names that are not loopback nor in `allowedHosts` (403, DNS rebinding).
 */
export function createAddressGuard(options: AddressGuardOptions): RequestHandler {
  const { auth } = options;
  const hostAllowed = createHostCheck(options.allowedHosts);
  const seen = new WeakMap<Socket, string | null>();
  return (req, _res, next) => {
    let address = seen.get(req.socket);
    if (address === undefined) {
      address = publicAddressOf(req.socket) ?? null;
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
      // Keys protect it, or auth was explicitly disabled on a public address (with a warning): no Host check.
      next();
      return;
    }
    const host = req.headers.host;
    if (!auth.enabled && !hostAllowed(host)) {
      next(hostRefusedError(host, 'server', ', or turn auth on'));
      return;
    }
    next();
  };
}
