import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedModel } from './fixtures/seed-model.js';
import { BIN, CHILD_TIMEOUT, cli, jsonOf, mlops } from './helpers.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let dir: string;
let store: string;
let objects: string;
let serving: ChildProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-cli-serve-'));
  store = `pglite://${join(dir, 'db')}`;
  objects = join(dir, 'objects');
  await seedModel(store, objects);
}, CHILD_TIMEOUT);

afterAll(async () => {
  vi.unstubAllEnvs();
  if (serving && serving.exitCode === null) {
    serving.kill('SIGKILL');
    await once(serving, 'close');
  }
  await rm(dir, { recursive: true, force: true });
});

/** Starts `mlops serve` and resolves with its JSON result (printed once it listens). */
async function startServe(
  args: string[],
): Promise<{ child: ChildProcess; info: { url: string } & Record<string, unknown> }> {
  const env: Record<string, string | undefined> = { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json') };
  delete env.MLOPS_STORE;
  delete env.MLOPS_SERVER_URL;
  const child = spawn(process.execPath, ['--import', TSX, BIN, ...args], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const info = await new Promise<{ url: string }>((res, rej) => {
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      try {
        res(JSON.parse(stdout));
      } catch {
        // not complete yet
      }
    });
    child.on('close', (code) => rej(new Error(`serve exited with ${code} before listening: ${stderr}`)));
  });
  return { child, info: info as { url: string } & Record<string, unknown> };
}

describe('mlops serve (a process: signals, the store lock) and mlops retrain (run() in-process)', () => {
  it(
    'serves the production alias, takes promotions over --server while it owns the store, drains on SIGTERM',
    async () => {
      const { child, info } = await startServe([
        '--store',
        store,
        '--objects',
        objects,
        'serve',
        'toy',
        '--port',
        '0',
        '--json',
      ]);
      serving = child;
      expect(info).toMatchObject({
        models: [{ model: 'toy', alias: 'production', version: 1 }],
        registry: `${info.url}/registry`,
        auth: false,
      });
      expect(info.flavors).toContain('mlops.linear');

      const predict = async () => {
        const res = await fetch(`${info.url}/v1/models/toy/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: { a: [2, -2], b: [2, -2] } }),
        });
        expect(res.status).toBe(200);
        return (await res.json()) as { version: string; predictions: { outputs: { label: number } }[] };
      };
      const first = await predict();
      expect(first.predictions.map((p) => p.outputs.label)).toEqual([1, 0]);
      expect(String(first.version)).toBe('1');

      // The server owns the embedded store: a second opener is refused, the registry API is the way in.
      const locked = await mlops(['--store', store, 'models', 'ls'], { cwd: dir });
      expect(locked.code).toBe(5);
      const promoted = await cli(
        ['--server', info.url, 'models', 'promote', 'toy', '2', '--gate', 'accuracy>=incumbent'],
        {
          cwd: dir,
        },
      );
      expect(promoted.stderr).toBe('');
      expect(promoted.code).toBe(0);
      // the server follows the alias (hot swap)
      let version = '';
      for (let i = 0; i < 100 && version !== '2'; i++) {
        version = String((await predict()).version);
        if (version !== '2') await new Promise((r) => setTimeout(r, 100));
      }
      expect(version).toBe('2');

      child.kill('SIGTERM');
      const [code] = (await once(child, 'close')) as [number | null];
      expect(code).toBe(0);
    },
    CHILD_TIMEOUT,
  );

  it(
    'retrain: a candidate below the gate is rejected (exit 4), a better one is promoted (exit 0)',
    async () => {
      const config = join(FIXTURES, 'retrain.config.ts');
      const args = ['--store', store, '--objects', objects, 'retrain', config, '--force', '--json'];
      // the config's training job reads RETRAIN_ACCURACY from the environment of the process it runs in
      vi.stubEnv('RETRAIN_ACCURACY', '0.5');
      const rejected = await cli(args, { cwd: dir });
      expect(rejected.code).toBe(4);
      expect(jsonOf<{ decision: unknown }>(rejected).decision).toMatchObject({
        status: 'rejected',
        incumbentVersion: 2,
      });

      vi.stubEnv('RETRAIN_ACCURACY', '0.97');
      const promoted = await cli(args, { cwd: dir });
      expect(promoted.code).toBe(0);
      expect(jsonOf<{ decision: unknown }>(promoted).decision).toMatchObject({
        status: 'promoted',
        incumbentVersion: 2,
        candidateVersion: 4,
      });
      // A missing config is NOT_FOUND (exit 3) however its path is written, never a raw module error.
      for (const missingConfig of ['./missing.config.mjs', '../missing.config.mjs', join(dir, 'missing.config.mjs')]) {
        const missing = await cli(['--store', store, '--objects', objects, 'retrain', missingConfig], { cwd: dir });
        expect(missing.code).toBe(3);
        expect(missing.stderr).toContain('[NOT_FOUND]');
        expect(missing.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
      }
      const aliases = await cli(['--store', store, 'models', 'aliases', 'toy', '--json'], { cwd: dir });
      expect(jsonOf<{ aliases: { version: number }[] }>(aliases).aliases).toEqual([
        expect.objectContaining({ alias: 'production', version: 4 }),
      ]);
    },
    CHILD_TIMEOUT,
  );
});
