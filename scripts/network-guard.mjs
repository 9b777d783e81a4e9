// Tests never leave the machine. Installed in every vitest worker (scripts/vitest-setup.mjs) and, through
// NODE_OPTIONS=--import, in the node processes that tests start: a TCP or TLS connection to anything but this machine
// (loopback, the unspecified address, an address of a local interface, `localhost`, a Unix socket) fails at once
// with ERR_TEST_NETWORK_BLOCKED, and DNS lookups of other names fail the same way. Each refusal is recorded, so a test
// whose code swallows the error still fails (vitest-setup checks the record after every test and file).
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { networkInterfaces } from 'node:os';

const INSTALLED = Symbol.for('mlops.test.networkGuard');

/** @type {{ violations: { target: string; stack: string }[]; quiet: boolean }} */
const state = globalThis[INSTALLED] ?? { violations: [], quiet: false };
const { violations } = state;

function localAddresses() {
  const out = new Set(['0.0.0.0', '::', '::1']);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.add(a.address.toLowerCase());
  }
  return out;
}

/** True for a host that names this machine: loopback (127.0.0.0/8, ::1), `localhost`, or a local interface's address. */
export function isLocalHost(host) {
  if (host === undefined || host === null || host === '') return true; // net's default is localhost
  let h = String(host).toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.startsWith('::ffff:') && net.isIPv4(h.slice(7))) h = h.slice(7);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.') || localAddresses().has(h);
  if (net.isIPv6(h)) return localAddresses().has(h.split('%')[0]);
  return false;
}

function blocked(target) {
  const err = new Error(
    `[test network guard] connection to ${target} refused: tests may only reach this machine (127.0.0.1). ` +
      'Use a local server, or pass offline: true to dataset loaders.',
  );
  err.code = 'ERR_TEST_NETWORK_BLOCKED';
  violations.push({ target, stack: new Error().stack ?? '' });
  if (!state.quiet) process.stderr.write(`${err.message}\n`);
  return err;
}

/** Stops printing each refusal to stderr (vitest reports them instead). */
export function quietNetworkGuard() {
  state.quiet = true;
}

/** The refusals recorded so far; `clear` empties the record. */
export function networkViolations({ clear = false } = {}) {
  const out = violations.slice();
  if (clear) violations.length = 0;
  return out;
}

function connectTarget(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first !== null && typeof first === 'object') {
    if (first.path) return undefined; // a Unix socket or named pipe
    return { host: first.host ?? first.hostname, port: first.port };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined; // connect(path)
  return { host: typeof args[1] === 'string' ? args[1] : undefined, port: first };
}

if (!globalThis[INSTALLED]) {
  globalThis[INSTALLED] = state;

  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) {
    const target = connectTarget(args);
    if (target && !isLocalHost(target.host)) {
      const err = blocked(`${target.host}:${target.port}`);
      process.nextTick(() => this.destroy(err));
      return this;
    }
    return connect.apply(this, args);
  };

  const lookup = dns.lookup;
  dns.lookup = function guardedLookup(hostname, ...rest) {
    if (isLocalHost(hostname) || net.isIP(hostname)) return lookup.call(this, hostname, ...rest);
    const callback = rest.at(-1);
    const err = blocked(`DNS ${hostname}`);
    if (typeof callback === 'function') process.nextTick(() => callback(err));
    else throw err;
    return undefined;
  };
  const lookupPromise = dns.promises.lookup;
  dns.promises.lookup = async function guardedLookupPromise(hostname, ...rest) {
    if (isLocalHost(hostname) || net.isIP(hostname)) return lookupPromise.call(this, hostname, ...rest);
    throw blocked(`DNS ${hostname}`);
  };
  syncBuiltinESMExports();
}
