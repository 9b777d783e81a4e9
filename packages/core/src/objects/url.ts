import { isAbsolute, resolve } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FieldIssue } from '../errors.js';
import { MlopsError } from '../errors.js';
import { invalidInput } from '../validation.js';
import { deleteObjects, putFileObject, putObjects, statObjects } from './batch.js';
import { checkObjects } from './check.js';
import { fsObjectStore } from './fs.js';
import type { ObjectStore } from './object-store.js';

/** The object store used when neither an argument nor `MLOPS_OBJECTS` names one. */
export const DEFAULT_OBJECTS_URL = '.mlops/objects';

/** Object store URL schemes served by optional plugin packages, loaded with a dynamic `import()` when first used. */
export const OBJECT_STORE_PLUGINS: Readonly<Record<'s3', string>> = Object.freeze({ s3: '@mlops/plugin-s3' });

/** A parsed object store URL. See {@link parseObjectStoreUrl} for the grammar. */
export type ObjectStoreUrl =
  | {
      kind: 'fs';
      /** The absolute directory. */
      dir: string;
      /** The URL as given. */
      url: string;
    }
  | {
      kind: 's3';
      bucket: string;
      /** The key prefix without leading or trailing `/` (`''` for the bucket's root). */
      prefix: string;
      /** `?endpoint=`: an S3-compatible service (MinIO, R2, s3rver); AWS S3 (or `AWS_ENDPOINT_URL_S3`) when unset. */
      endpoint?: string;
      /** `?region=`; the AWS SDK's resolution (`AWS_REGION`, the profile) when unset. */
      region?: string;
      /** `?forcePathStyle=true|false`: path-style requests, needed by most S3-compatible servers. */
      forcePathStyle?: boolean;
      /** The URL as given. */
      url: string;
    };

/** Options of {@link parseObjectStoreUrl}. */
export interface ParseObjectStoreUrlOptions {
  /**
   * Directory that a relative path resolves against.
   * @default process.cwd()
   */
  cwd?: string;
}

/** Options of {@link openObjectStore} and {@link objectStoreFromUrl}. */
export interface OpenObjectStoreOptions extends ParseObjectStoreUrlOptions {
  /**
   * Loads a plugin module by package name (tests pass a fake).
   * @default (specifier) => import(specifier)
   */
  importModule?: (specifier: string) => Promise<unknown>;
  /**
   * More options for the plugin's factory, merged over those of the URL: for `s3://`, any `s3ObjectStore` option
   * (`credentials`, `clientConfig`, `client`, `partSize`…), for callers that configure S3 in code.
   * @default {}
   */
  pluginOptions?: Record<string, unknown>;
}

const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s;
/** S3 bucket naming rules: 3–63 characters, lowercase letters, digits, dots and hyphens, alphanumeric at both ends. */
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const S3_PARAMS = ['endpoint', 'region', 'forcePathStyle'] as const;
const REGION_RE = /^[a-z0-9-]{1,64}$/;

function fail(url: string, issue: FieldIssue): never {
  throw invalidInput(`invalid object store URL "${url}"`, [issue]);
}

/**
 * Parses an object store URL. The grammar (not WHATWG `new URL()`, which reads `.mlops` as a host):
 *
 * ```
 * objects-url = path                                 ; a folder (fsObjectStore); relative paths resolve against cwd
 *             | "file://" absolute-path              ; a folder, as a file URL (file:///srv/mlops/objects)
 *             | "s3://" bucket [ "/" prefix ] [ "?" param *( "&" param ) ]
 * param       = "endpoint=" http-url                 ; S3-compatible service, e.g. http://127.0.0.1:9000 (MinIO)
 *             | "region=" region                     ; e.g. eu-west-3
 *             | "forcePathStyle=" ( "true" | "false" ) ; path-style requests (MinIO, s3rver, Ceph)
 * ```
 *
 * Credentials never go in the URL: `s3://` takes them from the standard AWS environment, as the AWS SDK reads it
 * (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, `AWS_PROFILE`, web identity, instance roles), as
 * well as `AWS_REGION` and `AWS_ENDPOINT_URL_S3` when the URL sets no `region`/`endpoint`. A path starting with `s3:`
 * or `file:` short of two slashes is a typo, refused rather than read as a folder; a prefix cannot hold control
 * characters. Anything else is an `INVALID_INPUT` error whose detail names the offending part (`url`, `scheme`, `bucket`, `prefix`, `query.<name>`).
 */
export function parseObjectStoreUrl(input: string, options: ParseObjectStoreUrlOptions = {}): ObjectStoreUrl {
  const url = typeof input === 'string' ? input.trim() : '';
  if (url === '') fail(String(input), { path: 'url', message: 'empty: expected a folder, file://… or s3://bucket' });
  const m = SCHEME_RE.exec(url);
  if (!m) {
    // `s3:/bucket` or `file:/srv/x` is a typo, not a folder named "s3:": the objects would silently stay on this machine.
    const typo = /^(s3|file):/i.exec(url);
    if (typo) {
      const scheme = typo[1]!.toLowerCase();
      fail(url, {
        path: 'url',
        message: `"${typo[0]}" needs two slashes: ${scheme === 's3' ? 's3://bucket/prefix' : 'file:///absolute/path'}`,
      });
    }
    return { kind: 'fs', dir: resolve(options.cwd ?? process.cwd(), url), url };
  }
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  if (scheme === 'file') {
    let dir: string;
    try {
      dir = fileURLToPath(url);
    } catch (cause) {
      fail(url, { path: 'url', message: `not a local file URL (${(cause as Error).message})` });
    }
    if (!isAbsolute(dir) || dir === '/') fail(url, { path: 'url', message: 'file:// needs a folder path' });
    return { kind: 'fs', dir, url };
  }
  if (scheme !== 's3') {
    fail(url, { path: 'scheme', message: `unknown scheme "${scheme}://": expected a folder, file://… or s3://…` });
  }
  if (rest.includes('#')) fail(url, { path: 'url', message: 'a fragment (#…) is not allowed' });
  const q = rest.indexOf('?');
  const location = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? '' : rest.slice(q + 1);
  const slash = location.indexOf('/');
  const bucket = slash < 0 ? location : location.slice(0, slash);
  if (bucket.includes('@')) {
    fail(url, {
      path: 'bucket',
      message: 'credentials do not go in the URL: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile)',
    });
  }
  if (bucket === '') fail(url, { path: 'bucket', message: 'empty: expected s3://<bucket>/<prefix>' });
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) {
    fail(url, {
      path: 'bucket',
      message: `"${bucket}" is not a bucket name (3–63 lowercase letters, digits, dots and hyphens)`,
    });
  }
  const rawPrefix = slash < 0 ? '' : location.slice(slash + 1).replace(/\/+$/, '');
  let prefix: string;
  try {
    prefix = decodeURIComponent(rawPrefix);
  } catch {
    fail(url, { path: 'prefix', message: 'bad percent-encoding' });
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(prefix)) {
    fail(url, { path: 'prefix', message: 'a control character cannot be in a key (S3 lists keys in XML)' });
  }
  if (prefix.split('/').some((s) => s === '' || s === '.' || s === '..') && prefix !== '') {
    fail(url, { path: 'prefix', message: `"${prefix}" has an empty, "." or ".." segment` });
  }
  const out: Extract<ObjectStoreUrl, { kind: 's3' }> = { kind: 's3', bucket, prefix, url };
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(query)) {
    if (!(S3_PARAMS as readonly string[]).includes(name)) {
      fail(url, { path: `query.${name}`, message: `unknown parameter; expected ${S3_PARAMS.join(', ')}` });
    }
    if (seen.has(name)) fail(url, { path: `query.${name}`, message: 'given twice' });
    seen.add(name);
    if (name === 'endpoint') {
      let e: URL | undefined;
      try {
        e = new URL(value);
      } catch {
        e = undefined;
      }
      if (!e || (e.protocol !== 'http:' && e.protocol !== 'https:') || e.host === '') {
        fail(url, { path: 'query.endpoint', message: `"${value}" is not an http(s):// URL` });
      }
      if (e.username || e.password) {
        fail(url, { path: 'query.endpoint', message: 'credentials do not go in the URL: use the AWS environment' });
      }
      out.endpoint = value.replace(/\/+$/, '');
    } else if (name === 'region') {
      if (!REGION_RE.test(value)) fail(url, { path: 'query.region', message: `"${value}" is not a region name` });
      out.region = value;
    } else {
      if (value !== 'true' && value !== 'false') {
        fail(url, { path: 'query.forcePathStyle', message: `expected true or false, got "${value}"` });
      }
      out.forcePathStyle = value === 'true';
    }
  }
  return out;
}

/** True when the plugin named by `specifier` itself (not one of its imports) is missing. */
function isModuleNotFound(err: unknown, specifier: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    e.message.includes(specifier)
  );
}

interface S3PluginModule {
  s3ObjectStore?: (options: Record<string, unknown>) => ObjectStore;
}

async function openParsed(parsed: ObjectStoreUrl, options: OpenObjectStoreOptions): Promise<ObjectStore> {
  if (parsed.kind === 'fs') return fsObjectStore({ dir: parsed.dir });
  const specifier = OBJECT_STORE_PLUGINS.s3;
  const load = options.importModule ?? ((s: string) => import(s));
  let mod: S3PluginModule;
  try {
    mod = (await load(specifier)) as S3PluginModule;
  } catch (cause) {
    if (!isModuleNotFound(cause, specifier)) throw cause;
    throw new MlopsError('NOT_CONFIGURED', {
      message: `s3:// object stores need the ${specifier} package: npm install ${specifier}`,
      details: { url: parsed.url, package: specifier },
      cause,
    });
  }
  if (typeof mod.s3ObjectStore !== 'function') {
    throw new MlopsError('NOT_CONFIGURED', {
      message: `${specifier} does not export s3ObjectStore(options): install a version that matches @mlops/core`,
      details: { url: parsed.url, package: specifier },
    });
  }
  return mod.s3ObjectStore({
    bucket: parsed.bucket,
    prefix: parsed.prefix,
    ...(parsed.endpoint === undefined ? {} : { endpoint: parsed.endpoint }),
    ...(parsed.region === undefined ? {} : { region: parsed.region }),
    ...(parsed.forcePathStyle === undefined ? {} : { forcePathStyle: parsed.forcePathStyle }),
    ...options.pluginOptions,
  });
}

/**
 * Opens the object store named by a URL ({@link parseObjectStoreUrl}): a folder or `file://…` is an `fsObjectStore`;
 * `s3://…` loads `@mlops/plugin-s3` now, with `import()` (core does not depend on it), and fails with
 * `NOT_CONFIGURED` naming the package when it is not installed.
 *
 * @example
 * const objects = await openObjectStore(process.env.MLOPS_OBJECTS ?? '.mlops/objects');
 * const objects = await openObjectStore('s3://models/prod?endpoint=http://127.0.0.1:9000&forcePathStyle=true');
 */
export async function openObjectStore(url: string, options: OpenObjectStoreOptions = {}): Promise<ObjectStore> {
  return openParsed(parseObjectStoreUrl(url, options), options);
}

/**
 * Like {@link openObjectStore}, but synchronous, for callers that hand a store out before they may await: the URL is
 * parsed at once (a bad one throws here); a folder is an `fsObjectStore` at once; a plugin store is loaded on first
 * use, so a missing plugin surfaces (`NOT_CONFIGURED`) from the first call that touches the store.
 */
export function objectStoreFromUrl(url: string, options: OpenObjectStoreOptions = {}): ObjectStore {
  const parsed = parseObjectStoreUrl(url, options);
  if (parsed.kind === 'fs') return fsObjectStore({ dir: parsed.dir });
  let opened: Promise<ObjectStore> | undefined;
  const open = () => {
    opened ??= openParsed(parsed, options);
    return opened;
  };
  const prefix = parsed.prefix === '' ? '' : `${parsed.prefix}/`;
  return {
    name: `s3://${parsed.bucket}/${prefix}`,
    put: async (body, opts) => (await open()).put(body, opts),
    get(digest): Readable {
      const out = new PassThrough();
      open().then(
        (s) => {
          const src = s.get(digest);
          src.once('error', (err) => out.destroy(err));
          src.pipe(out);
        },
        (err: unknown) => out.destroy(err as Error),
      );
      return out;
    },
    readBytes: async (digest) => (await open()).readBytes(digest),
    has: async (digest) => (await open()).has(digest),
    stat: async (digest) => (await open()).stat(digest),
    delete: async (digest) => (await open()).delete(digest),
    async *list() {
      yield* (await open()).list();
    },
    async cleanTemp(opts) {
      const s = await open();
      return s.cleanTemp ? s.cleanTemp(opts) : { removed: [], bytes: 0 };
    },
    putMany: async (items, opts) => putObjects(await open(), items, opts),
    statMany: async (digests, opts) => statObjects(await open(), digests, opts),
    deleteMany: async (digests, opts) => deleteObjects(await open(), digests, opts),
    checkMany: async (items, opts) => checkObjects(await open(), items, opts),
    putFile: async (path, opts) => putFileObject(await open(), path, opts),
  };
}
