import { MlopsError } from '../errors.js';

/** True for `localhost`, `*.localhost`, `127.0.0.0/8`, `::1` and IPv4-mapped loopback addresses (brackets allowed). */
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

/**
 * Names a loopback server without auth answers besides the loopback ones: exact host names (`ml.internal`), a
 * leading dot for a domain and its subdomains (`.svc.cluster.local`), or `true` for any name.
 */
export type AllowedHosts = readonly string[] | true;

/** The host name of a `Host` header (lower case, no port, no brackets, no trailing dot); undefined if malformed. */
export function hostnameOf(header: string): string | undefined {
  const h = header.trim().toLowerCase();
  let name: string;
  let rest: string;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return undefined;
    name = h.slice(1, end);
    rest = h.slice(end + 1);
  } else {
    const colon = h.indexOf(':');
    name = colon < 0 ? h : h.slice(0, colon);
    rest = colon < 0 ? '' : h.slice(colon);
  }
  if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
  if (name.endsWith('.')) name = name.slice(0, -1);
  return name === '' ? undefined : name;
}

/**
 * Returns the check a loopback server without auth applies to each request's `Host` header, against DNS rebinding:
 * a web page whose domain is made to resolve to 127.0.0.1 reaches the server with its own domain as `Host` (and as
 * `Origin`, so comparing the two does not stop it). Loopback names (`localhost`, `*.localhost`, `127.0.0.0/8`,
 * `[::1]`, any port) and `allowed` pass. A request without `Host` (HTTP/1.0) passes: browsers always send one.
 * `@mlops/serve` and `@mlops/dashboard` both apply it.
 */
export function createHostCheck(allowed: AllowedHosts = []): (header: string | undefined) => boolean {
  if (allowed === true) return () => true;
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of allowed) {
    const e = entry.trim().toLowerCase().replace(/\.$/, '');
    if (e.startsWith('.')) suffixes.push(e);
    else if (e !== '') exact.add(e.replace(/^\[|\]$/g, ''));
  }
  const accepts = (header: string): boolean => {
    const name = hostnameOf(header);
    if (name === undefined) return false;
    if (isLoopbackHost(name) || exact.has(name)) return true;
    return suffixes.some((s) => name.endsWith(s) || name === s.slice(1));
  };
  // The answer depends on the header alone, and a server's clients nearly always send the same one: the last header
  // accepted is remembered, so the request path compares one string instead of parsing it.
  let lastAccepted: string | undefined;
  return (header) => {
    if (header === undefined || header === lastAccepted) return true;
    if (!accepts(header)) return false;
    lastAccepted = header;
    return true;
  };
}

/**
 * The 403 `FORBIDDEN` for a `Host` that {@link createHostCheck} refused; `what` names the refusing server
 * (`server`, `dashboard`) and `advice` is appended to the message after "add the name to allowedHosts".
 */
export function hostRefusedError(host: string | undefined, what: string, advice = ''): MlopsError {
  return new MlopsError('FORBIDDEN', {
    message:
      `Host "${String(host).slice(0, 100)}" refused: a loopback ${what} without auth answers only loopback ` +
      `names (localhost, 127.0.0.1, [::1]), against DNS rebinding; add the name to allowedHosts${advice}`,
    details: [{ path: '(headers).host', message: 'Not a loopback name and not in allowedHosts' }],
  });
}
