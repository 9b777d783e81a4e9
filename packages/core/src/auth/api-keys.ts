import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { z } from 'zod';
import { MlopsError } from '../errors.js';
import { migrate } from '../migrate.js';
import type { Store } from '../store/store.js';
import { invalidInput, zodIssues } from '../validation.js';

/** The scopes core knows; `admin` implies every scope and `registry:write` implies `registry:read`. */
export const API_KEY_SCOPES = ['predict', 'feedback', 'registry:read', 'registry:write', 'admin'] as const;

/** A known scope, or a package-defined one (`pipelines:run`): lowercase words joined by `:`, `-` or `_`. */
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number] | (string & {});

const scopeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*(:[a-z0-9_-]+)*$/, 'Expected a scope like "predict" or "registry:read"');

/** Metadata of an API key: never its secret or hash. */
export interface ApiKeyInfo {
  /** Public id, the middle part of the key (`mlops_<id>_<secret>`); safe to log. */
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** The result of {@link createApiKey}: the key's metadata, plus the plaintext `key`, which is shown only here. */
export interface CreatedApiKey extends ApiKeyInfo {
  /** The plaintext key. Not enumerable: `JSON.stringify`, spreading and `console.log` leave it out. */
  readonly key: string;
}

/** Who a verified key belongs to. */
export interface ApiKeyPrincipal {
  keyId: string;
  name: string;
  scopes: ApiKeyScope[];
}

const KEY_PREFIX = 'mlops';
const KEY_RE = /^mlops_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

// The secret is 32 random bytes (256 bits), so a fast hash is enough: slow hashes (bcrypt, scrypt) protect
// low-entropy passwords from guessing, and would only add latency to every authenticated request here.
function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function fail(code: 'INVALID_INPUT', message: string, path: string): never {
  throw new MlopsError(code, { message, details: [{ path, message }] });
}

const createSchema = z.object({
  name: z.string().trim().min(1).max(200),
  scopes: z.array(scopeSchema).min(1).max(50),
  expiresAt: z
    .union([z.date(), z.iso.datetime({ offset: true })])
    .transform((d) => new Date(d))
    .optional(),
});

/** Options of {@link createApiKey}. */
export interface CreateApiKeyOptions {
  store: Store;
  /** What the key is for, e.g. `ci-deployer`. */
  name: string;
  /** What it may do. */
  scopes: ApiKeyScope[];
  /** @default never expires */
  expiresAt?: Date | string;
}

interface KeyRow {
  id: string;
  name: string;
  scopes: string[] | string;
  created_at: Date | string;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
  last_used_at: Date | string | null;
}

const date = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));

function toInfo(r: KeyRow): ApiKeyInfo {
  return {
    id: r.id,
    name: r.name,
    scopes: typeof r.scopes === 'string' ? (JSON.parse(r.scopes) as string[]) : r.scopes,
    createdAt: date(r.created_at)!,
    expiresAt: date(r.expires_at),
    revokedAt: date(r.revoked_at),
    lastUsedAt: date(r.last_used_at),
  };
}

const INFO_COLUMNS = 'id, name, scopes, created_at, expires_at, revoked_at, last_used_at';

/**
 * Creates an API key `mlops_<id>_<secret>` (256-bit secret) and returns it once, with its metadata. Only a sha256
 * of the secret is stored, so a lost key cannot be recovered: create a new one.
 */
export async function createApiKey(opts: CreateApiKeyOptions): Promise<CreatedApiKey> {
  const { store, ...rest } = opts;
  const r = createSchema.safeParse(rest);
  if (!r.success) {
    const details = zodIssues(r.error);
    throw invalidInput('invalid API key options', details);
  }
  const a = r.data;
  if (a.expiresAt && a.expiresAt.getTime() <= Date.now())
    fail('INVALID_INPUT', 'expiresAt is in the past', 'expiresAt');
  await migrate(store, { areas: ['auth'] });
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const rows = await store.query<KeyRow>(
    `INSERT INTO core_api_keys (id, name, secret_hash, scopes, expires_at)
     VALUES ($1, $2, $3, $4::jsonb, $5::timestamptz) RETURNING ${INFO_COLUMNS}`,
    [id, a.name, hashSecret(secret), JSON.stringify([...new Set(a.scopes)]), a.expiresAt?.toISOString() ?? null],
  );
  const info = toInfo(rows[0]!);
  const key = `${KEY_PREFIX}_${id}_${secret}`;
  const created = { ...info } as CreatedApiKey;
  Object.defineProperty(created, 'key', { value: key, enumerable: false });
  Object.defineProperty(created, 'toJSON', { value: () => ({ ...info }), enumerable: false });
  Object.defineProperty(created, inspect.custom, {
    value: () => `CreatedApiKey ${inspect({ ...info, key: '[redacted]' })}`,
    enumerable: false,
  });
  return created;
}

/** True when `granted` allows `scope` (`admin` allows everything, `registry:write` allows `registry:read`). */
export function scopeAllows(granted: readonly string[], scope: string): boolean {
  if (granted.includes('admin') || granted.includes(scope)) return true;
  return scope === 'registry:read' && granted.includes('registry:write');
}

/**
 * The audit principal of a verified API key: `apikey:<name>#<id>`. `@mlops/serve`, the registry's router
 * (`apiKeyAuthenticator`) and the dashboard record this form. Key names are not unique and may be anything, so only
 * this prefixed form with the key's unique id is recorded: principals without the `apikey:` prefix (`anonymous` for a
 * server without auth, `continuous-training` for the retraining policy, `local:<user>` for in-process registry
 * calls) are reserved for the processes that write them, and no key can produce one.
 */
export function apiKeyPrincipal(principal: Pick<ApiKeyPrincipal, 'name' | 'keyId'>): string {
  return `apikey:${principal.name}#${principal.keyId}`;
}

/** Options of {@link verifyApiKey}. */
export interface VerifyApiKeyOptions {
  store: Store;
  /** The presented key (from `Authorization: Bearer …`). */
  key: string;
  /** The scope the operation needs. */
  scope: ApiKeyScope;
  /**
   * `last_used_at` is updated at most this often per key, to spare a write on every request.
   * @default 60000
   */
  touchIntervalMs?: number;
}

const UNAUTHORIZED = 'invalid, expired or revoked API key';

/**
 * Checks a presented key: `UNAUTHORIZED` when it is malformed, unknown, wrong, expired or revoked (one message for
 * all, never echoing the key); `FORBIDDEN` when valid but lacking `scope`. Compares hashes in constant time.
 */
export async function verifyApiKey(opts: VerifyApiKeyOptions): Promise<ApiKeyPrincipal> {
  const m = typeof opts.key === 'string' ? KEY_RE.exec(opts.key.trim()) : null;
  await migrate(opts.store, { areas: ['auth'] });
  // Hash even for malformed keys, so timing says little about why a key was refused.
  const presented = Buffer.from(hashSecret(m?.[2] ?? 'x'), 'hex');
  const rows = m
    ? await opts.store.query<KeyRow & { secret_hash: string }>(
        `SELECT ${INFO_COLUMNS}, secret_hash FROM core_api_keys WHERE id = $1`,
        [m[1]],
      )
    : [];
  const row = rows[0];
  const stored = Buffer.from(row?.secret_hash ?? '0'.repeat(64), 'hex');
  const match = timingSafeEqual(presented, stored) && row !== undefined;
  if (!match) throw new MlopsError('UNAUTHORIZED', UNAUTHORIZED);
  const info = toInfo(row);
  const now = Date.now();
  if (info.revokedAt || (info.expiresAt && info.expiresAt.getTime() <= now)) {
    throw new MlopsError('UNAUTHORIZED', { message: UNAUTHORIZED, details: { keyId: info.id } });
  }
  if (!scopeAllows(info.scopes, opts.scope)) {
    throw new MlopsError('FORBIDDEN', {
      message: `API key ${info.id} (${info.name}) lacks scope "${opts.scope}"`,
      details: { keyId: info.id, scope: opts.scope },
    });
  }
  const touch = opts.touchIntervalMs ?? 60_000;
  if (!info.lastUsedAt || now - info.lastUsedAt.getTime() >= touch) {
    await opts.store.query(
      `UPDATE core_api_keys SET last_used_at = now() WHERE id = $1
       AND (last_used_at IS NULL OR last_used_at <= now() - $2::double precision * interval '1 millisecond')`,
      [info.id, touch],
    );
  }
  return { keyId: info.id, name: info.name, scopes: info.scopes };
}

/** Revokes a key by id (its public part); true when it existed and was active. */
export async function revokeApiKey(opts: { store: Store; id: string }): Promise<boolean> {
  await migrate(opts.store, { areas: ['auth'] });
  const rows = await opts.store.query(
    'UPDATE core_api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id',
    [opts.id],
  );
  return rows.length > 0;
}

/** Lists keys' metadata (never hashes or secrets), newest first. */
export async function listApiKeys(opts: { store: Store; includeRevoked?: boolean }): Promise<ApiKeyInfo[]> {
  await migrate(opts.store, { areas: ['auth'] });
  const rows = await opts.store.query<KeyRow>(
    `SELECT ${INFO_COLUMNS} FROM core_api_keys ${opts.includeRevoked ? '' : 'WHERE revoked_at IS NULL'}
     ORDER BY created_at DESC, id`,
  );
  return rows.map(toInfo);
}

/** The public id of a key string (`mlops_<id>_<secret>` → `<id>`), safe to log; undefined when malformed. */
export function apiKeyId(key: string): string | undefined {
  return KEY_RE.exec(key.trim())?.[1];
}
