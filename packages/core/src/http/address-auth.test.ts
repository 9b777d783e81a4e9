import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import { createAddressAuth, createAddressGuard, nonLoopbackAddressOf } from './address-auth.js';

/** A socket as the guard sees it: the address its server is bound to and its local address. */
function socket(bound: string | null | undefined, local: string | undefined): Socket {
  return {
    localAddress: local,
    server: bound === undefined ? undefined : { address: () => (bound === null ? null : { address: bound }) },
  } as unknown as Socket;
}

describe('nonLoopbackAddressOf', () => {
  it.each([
    ['loopback server, loopback socket', socket('127.0.0.1', '127.0.0.1'), undefined],
    ['IPv6 loopback', socket('::1', '::1'), undefined],
    ['IPv4-mapped loopback', socket('::ffff:127.0.0.1', '::ffff:127.0.0.1'), undefined],
    ['server on 0.0.0.0, client through 127.0.0.1', socket('0.0.0.0', '127.0.0.1'), '0.0.0.0'],
    ['server on ::, client through ::1', socket('::', '::1'), '::'],
    ['server on a LAN address', socket('10.0.0.5', '10.0.0.5'), '10.0.0.5'],
    ['no server, public socket', socket(undefined, '192.168.1.4'), '192.168.1.4'],
    ['no server, loopback socket', socket(undefined, '127.0.0.1'), undefined],
    ['no address at all (fail closed)', socket(undefined, undefined), 'an unknown address'],
    ['a closed server and no local address (fail closed)', socket(null, undefined), 'an unknown address'],
  ])('%s', (_what, s, expected) => {
    expect(nonLoopbackAddressOf(s)).toBe(expected);
  });

  it('counts a Unix socket or named pipe as local', () => {
    const s = { localAddress: undefined, server: { address: () => '/tmp/mlops.sock' } } as unknown as Socket;
    expect(nonLoopbackAddressOf(s)).toBeUndefined();
  });
});

describe('createAddressAuth', () => {
  it('auto: off on loopback, on for good once a public address is in use', () => {
    const enabled: boolean[] = [];
    const auth = createAddressAuth({
      mode: 'auto',
      hasKeyStore: true,
      warn: () => {},
      onEnabled: () => enabled.push(true),
    });
    expect(auth.use('127.0.0.1', 'the host option')).toBeUndefined();
    expect(auth.enabled).toBe(false);
    expect(auth.use('0.0.0.0', 'listen()')).toBeUndefined();
    expect(auth.enabled).toBe(true);
    auth.use('127.0.0.1', 'a request');
    auth.use('10.0.0.1', 'a request');
    expect(auth.enabled).toBe(true);
    expect(enabled).toEqual([true]);
  });

  it('auto without a key store: refuses a public address, with one warning per address', () => {
    const warnings: string[] = [];
    const auth = createAddressAuth({
      mode: 'auto',
      hasKeyStore: false,
      warn: (w) => warnings.push(w),
      keyStoreAdvice: 'pass `store` to createThing',
    });
    const reason = auth.use('10.0.0.5', 'listen()');
    expect(reason).toContain('10.0.0.5');
    expect(reason).toContain('createThing');
    expect(auth.use('10.0.0.5', 'listen()')).toBe(reason);
    expect(warnings).toHaveLength(1);
    expect(auth.enabled).toBe(true);
  });

  it('required: always on; disabled: never, with a warning naming the address and what it exposes', () => {
    expect(createAddressAuth({ mode: 'required', hasKeyStore: true, warn: () => {} }).enabled).toBe(true);
    const warnings: string[] = [];
    const off = createAddressAuth({
      mode: 'disabled',
      hasKeyStore: true,
      warn: (w) => warnings.push(w),
      what: 'dashboard',
    });
    expect(off.use('0.0.0.0', 'listen()')).toBeUndefined();
    off.use('0.0.0.0', 'listen()');
    off.use('127.0.0.1', 'listen()');
    expect(off.enabled).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/dashboard authentication is DISABLED/);
    expect(warnings[0]).toContain('"0.0.0.0"');
  });
});

describe('createAddressGuard', () => {
  const run = (guard: ReturnType<typeof createAddressGuard>, s: Socket, host?: string): unknown => {
    let out: unknown = 'not called';
    guard(
      { socket: s, headers: host === undefined ? {} : { host } } as IncomingMessage,
      {} as ServerResponse,
      (err) => {
        out = err;
      },
    );
    return out;
  };

  it('turns auth on for a request through a public address, and checks no Host then', () => {
    const auth = createAddressAuth({ mode: 'auto', hasKeyStore: true, warn: () => {} });
    const guard = createAddressGuard({ auth });
    expect(run(guard, socket('0.0.0.0', '127.0.0.1'), 'evil.example')).toBeUndefined();
    expect(auth.enabled).toBe(true);
    // A later loopback request is not Host-checked either: auth protects it.
    expect(run(guard, socket('127.0.0.1', '127.0.0.1'), 'evil.example')).toBeUndefined();
  });

  it('refuses a request through a public address when no key can be verified (403, fail closed)', () => {
    const auth = createAddressAuth({ mode: 'auto', hasKeyStore: false, warn: () => {} });
    const err = run(createAddressGuard({ auth }), socket(undefined, undefined), 'localhost');
    expect(isMlopsError(err, 'FORBIDDEN')).toBe(true);
    expect((err as { details: { path: string }[] }).details.map((d) => d.path)).toEqual(['(server).auth']);
  });

  it('applies the loopback Host check while auth is off', () => {
    const auth = createAddressAuth({ mode: 'auto', hasKeyStore: true, warn: () => {} });
    const guard = createAddressGuard({ auth, allowedHosts: ['ml.internal'], what: 'dashboard' });
    const lo = socket('127.0.0.1', '127.0.0.1');
    expect(run(guard, lo, 'localhost:8090')).toBeUndefined();
    expect(run(guard, lo, 'ml.internal')).toBeUndefined();
    const err = run(guard, socket('127.0.0.1', '127.0.0.1'), 'evil.example');
    expect(isMlopsError(err, 'FORBIDDEN')).toBe(true);
    expect((err as Error).message).toContain('dashboard');
    expect(auth.enabled).toBe(false);
  });
});
