// `--objects s3://…` end to end against a real S3-compatible server (s3rver, on 127.0.0.1, port 0): the CLI versions a
// dataset into the bucket, registers a model trained on it (the seed step of docs/deploy.md: `mlops retrain
// deploy/retrain.config.mjs --export createSeedPolicy`), and the model is loaded back from the bucket by digest —
// nothing is written to a local objects folder.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStore, loadModelPackage } from '@mlops/core';
import { openObjectStore } from '@mlops/core/objects';
import { linearFlavor } from '@mlops/plugin-linear';
import { createRegistry } from '@mlops/registry';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type S3rverFixture, startS3rver } from '../../plugins/s3/test/s3rver-fixture.js';
import { cli, jsonOf } from './helpers.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const CONFIG = join(ROOT, 'deploy/retrain.config.mjs');

const TOPICS: Record<string, string[]> = {
  access: ['reset my password', 'locked out of account', 'password expired', 'cannot log in', 'unlock my user'],
  hardware: ['printer jammed', 'laptop screen broken', 'keyboard not working', 'monitor flickers', 'mouse broken'],
  network: ['wifi disconnects', 'vpn drops', 'no internet', 'network slow', 'ethernet port dead'],
};

let s3: S3rverFixture;
let dir: string;
let objectsUrl: string;

beforeAll(async () => {
  s3 = await startS3rver('mlops-cli-objects');
  dir = await mkdtemp(join(tmpdir(), 'mlops-cli-s3-'));
  objectsUrl = `s3://${s3.bucket}/fleet/objects?endpoint=${s3.endpoint}&region=us-east-1&forcePathStyle=true`;
  // Credentials and checksum mode as the AWS SDK reads them (s3rver predates the SDK's default CRC32 checksums).
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
  vi.stubEnv('AWS_REQUEST_CHECKSUM_CALCULATION', 'WHEN_REQUIRED');
  vi.stubEnv('AWS_RESPONSE_CHECKSUM_VALIDATION', 'WHEN_REQUIRED');
  vi.stubEnv('MLOPS_MODEL', 'ticket-topic');
  vi.stubEnv('MLOPS_RETRAIN_GATE_MIN_ROWS', '1');
  const rows = Object.entries(TOPICS).flatMap(([label, texts]) =>
    [1, 2, 3].flatMap((n) => texts.map((t) => `${t} ${n},${label}`)),
  );
  await writeFile(join(dir, 'tickets.csv'), `text,label\n${rows.join('\n')}\n`);
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await s3?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('mlops --objects s3://… (s3rver)', () => {
  it('versions a dataset and registers a model into the bucket; the model loads back from S3', async () => {
    const store = `pglite://${join(dir, 'db')}`;
    const global = ['--store', store, '--objects', objectsUrl, '--json'];
    const added = await cli([...global, 'data', 'add', 'tickets.csv', '--name', 'ticket-topic'], { cwd: dir });
    expect(added.code, added.stderr).toBe(0);
    const { digest: dataDigest } = jsonOf<{ digest: string }>(added);

    const seeded = await cli([...global, 'retrain', CONFIG, '--export', 'createSeedPolicy'], { cwd: dir });
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(jsonOf(seeded)).toMatchObject({ decision: { status: 'promoted', candidateVersion: 1 } });
    // A second seed finds the alias and does nothing.
    const again = await cli([...global, 'retrain', CONFIG, '--export', 'createSeedPolicy'], { cwd: dir });
    expect(jsonOf(again)).toMatchObject({ decision: { status: 'no-action', incumbentVersion: 1 } });

    const aliases = await cli([...global, 'models', 'aliases', 'ticket-topic'], { cwd: dir });
    expect(aliases.code, aliases.stderr).toBe(0);
    expect(aliases.stdout).toContain('production');

    // Everything is in the bucket, under the URL's prefix; no local objects folder was created.
    expect(await readdir(dir)).not.toContain('.mlops');
    const objects = await openObjectStore(objectsUrl, {
      pluginOptions: {
        credentials: s3.connection.credentials,
        clientConfig: s3.connection.clientConfig,
      },
    });
    expect(objects.name).toBe(`s3://${s3.bucket}/fleet/objects/`);
    expect(await objects.has(dataDigest)).toBe(true);
    const db = await createStore(store);
    try {
      const registry = await createRegistry({ store: db });
      const v = await registry.resolve({ model: 'ticket-topic', alias: 'production' });
      expect(await objects.has(v.packageDigest)).toBe(true);
      const { predictor } = await loadModelPackage({ objects, digest: v.packageDigest, flavors: [linearFlavor()] });
      const out = await predictor.predict({ text: ['printer jammed 2', 'vpn drops 1'] });
      expect(out.label).toEqual(['hardware', 'network']);
      await registry.close();
    } finally {
      await db.close();
    }
  }, 240_000);

  it('a malformed --objects URL exits 2 naming the offending part', async () => {
    const r = await cli(
      ['--store', 'memory://', '--objects', 's3://bucket/x?acl=public', 'data', 'add', 'tickets.csv'],
      {
        cwd: dir,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('query.acl');
    // Also for a command that never opens the object store: the URL is checked before any command runs.
    const ls = await cli(['--store', 'memory://', '--objects', 's3://', 'models', 'ls'], { cwd: dir });
    expect(ls.code).toBe(2);
    expect(ls.stderr).toContain('bucket');
  }, 60_000);
});
