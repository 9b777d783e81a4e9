import { inspect } from 'node:util';
import { expect, it } from 'vitest';
import { isMlopsError, type MlopsError } from '../errors.js';
import { describeStores } from '../testing/stores.js';
import {
  apiKeyId,
  apiKeyPrincipal,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  scopeAllows,
  verifyApiKey,
} from './api-keys.js';

async function refusal(p: Promise<unknown>): Promise<MlopsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMlopsError(err)) throw new Error(`expected an MlopsError, got ${String(err)}`);
  return err;
}

it.each([
  [['predict'], 'predict', true],
  [['predict'], 'feedback', false],
  [['admin'], 'registry:write', true],
  [['registry:write'], 'registry:read', true],
  [['registry:read'], 'registry:write', false],
  [['pipelines:run'], 'pipelines:run', true],
])('scopeAllows(%j, %s) = %s', (granted, scope, expected) => {
  expect(scopeAllows(granted, scope)).toBe(expected);
});

describeStores('API keys', (getStore) => {
  it('returns the key once and stores only a hash: the plaintext is nowhere in the table', async () => {
    const store = getStore();
    const created = await createApiKey({ store, name: 'hash-check', scopes: ['predict'] });
    expect(created.key).toMatch(/^mlops_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(apiKeyId(created.key)).toBe(created.id);
    const secret = created.key.split('_').slice(2).join('_');
    const rows = await store.query('SELECT * FROM core_api_keys');
    const dump = JSON.stringify(rows);
    expect(dump).toContain(created.id);
    expect(dump).not.toContain(created.key);
    expect(dump).not.toContain(secret);
    const textRows = await store.query<{ t: string }>('SELECT k::text AS t FROM core_api_keys k');
    for (const r of textRows) expect(r.t).not.toContain(secret);
  });

  it('never leaks the key through JSON, spreading, inspection or listing', async () => {
    const store = getStore();
    const created = await createApiKey({ store, name: 'leak-check', scopes: ['feedback'] });
    const secret = created.key.split('_').slice(2).join('_');
    expect(JSON.stringify(created)).not.toContain(secret);
    expect(JSON.stringify({ ...created })).not.toContain(secret);
    expect(inspect(created)).not.toContain(secret);
    expect(inspect(created)).toContain('[redacted]');
    expect(Object.keys(created)).not.toContain('key');
    const listed = await listApiKeys({ store });
    const mine = listed.find((k) => k.id === created.id);
    expect(mine).toMatchObject({ name: 'leak-check', scopes: ['feedback'], revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(Object.keys(mine!).sort()).toEqual(
      ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'scopes'].sort(),
    );
  });

  it('verifies a good key, records last use, and refuses a missing scope with FORBIDDEN', async () => {
    const store = getStore();
    const created = await createApiKey({ store, name: 'verify', scopes: ['predict', 'registry:write'] });
    const p = await verifyApiKey({ store, key: created.key, scope: 'predict' });
    expect(p).toEqual({ keyId: created.id, name: 'verify', scopes: ['predict', 'registry:write'] });
    expect((await verifyApiKey({ store, key: created.key, scope: 'registry:read' })).keyId).toBe(created.id);
    const listed = (await listApiKeys({ store })).find((k) => k.id === created.id)!;
    expect(listed.lastUsedAt).toBeInstanceOf(Date);

    const err = await refusal(verifyApiKey({ store, key: created.key, scope: 'admin' }));
    expect(err.code).toBe('FORBIDDEN');
    expect(err.message).toContain(created.id);
    // The secret may itself contain '_' (base64url), even first.
    expect(err.message).not.toContain(created.key.split('_').slice(2).join('_'));
  });

  it('refuses wrong, malformed, revoked and expired keys with UNAUTHORIZED, never echoing the key', async () => {
    const store = getStore();
    const created = await createApiKey({ store, name: 'refuse', scopes: ['predict'] });
    const secret = created.key.split('_').slice(2).join('_');
    const flipped = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    const bad = [`mlops_${created.id}_${flipped}`, `mlops_0000000000000000_${secret}`, secret, '', `${created.key}x`];
    for (const key of bad) {
      const err = await refusal(verifyApiKey({ store, key, scope: 'predict' }));
      expect(err.code).toBe('UNAUTHORIZED');
      expect(`${err.message} ${JSON.stringify(err.details ?? {})}`).not.toContain(secret.slice(0, 20));
    }

    expect(await revokeApiKey({ store, id: created.id })).toBe(true);
    expect(await revokeApiKey({ store, id: created.id })).toBe(false);
    expect((await refusal(verifyApiKey({ store, key: created.key, scope: 'predict' }))).code).toBe('UNAUTHORIZED');
    expect((await listApiKeys({ store })).some((k) => k.id === created.id)).toBe(false);
    expect(
      (await listApiKeys({ store, includeRevoked: true })).find((k) => k.id === created.id)?.revokedAt,
    ).toBeInstanceOf(Date);

    const soon = await createApiKey({
      store,
      name: 'expiring',
      scopes: ['predict'],
      expiresAt: new Date(Date.now() + 500),
    });
    expect((await verifyApiKey({ store, key: soon.key, scope: 'predict' })).keyId).toBe(soon.id);
    await store.query(`UPDATE core_api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [soon.id]);
    expect((await refusal(verifyApiKey({ store, key: soon.key, scope: 'predict' }))).code).toBe('UNAUTHORIZED');
  });

  it.each([
    ['empty name', { name: ' ', scopes: ['predict'] }, 'name'],
    ['no scopes', { name: 'x', scopes: [] }, 'scopes'],
    ['bad scope', { name: 'x', scopes: ['Predict Everything'] }, 'scopes[0]'],
    ['past expiry', { name: 'x', scopes: ['predict'], expiresAt: new Date(0) }, 'expiresAt'],
  ])('createApiKey rejects %s', async (_n, args, path) => {
    const err = await refusal(createApiKey({ store: getStore(), ...args }));
    expect(err.code).toBe('INVALID_INPUT');
    expect((err.details as { path: string }[]).map((d) => d.path)).toContain(path);
  });

  it('records a verified key as apikey:<name>#<id>, so a key named like an internal principal cannot pass for it', async () => {
    const store = getStore();
    const created = await createApiKey({ store, name: 'continuous-training', scopes: ['registry:write'] });
    const principal = apiKeyPrincipal(await verifyApiKey({ store, key: created.key, scope: 'registry:write' }));
    expect(principal).toBe(`apikey:continuous-training#${created.id}`);
    expect(principal).not.toBe('continuous-training');
  });
});
