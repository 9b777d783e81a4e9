import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedModel } from './fixtures/seed-model.js';
import { CHILD_TIMEOUT, cli, jsonOf } from './helpers.js';

// What a learner following docs/ types wrong: each mistake gets one clear line (or one JSON document with --json)
// with a typed code and the documented exit code, never a stack trace.

const TEST_DIR = dirname(fileURLToPath(import.meta.url));

let dir: string;
let store: string;
let objects: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-cli-mistakes-'));
  store = `pglite://${join(dir, 'db')}`;
  objects = join(dir, 'objects');
  await seedModel(store, objects);
}, CHILD_TIMEOUT);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('mlops serve: a model, an alias or a --flavor module that does not exist', () => {
  it(
    'names the missing model or alias in one line (exit 3), with no stack trace on stderr or the console',
    async () => {
      const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      const base = ['--store', store, '--objects', objects, 'serve', '--port', '0'];

      const model = await cli([...base, 'nope'], { cwd: dir });
      expect(model.code).toBe(3);
      expect(model.stdout).toBe('');
      expect(model.stderr).toBe('error: Model "nope" does not exist [NOT_FOUND]\n');

      const alias = await cli([...base, 'toy', '--alias', 'nope'], { cwd: dir });
      expect(alias.code).toBe(3);
      expect(alias.stderr).toBe('error: Alias "nope" of model "toy" does not exist [NOT_FOUND]\n');

      // --json: stderr is exactly one JSON document
      const json = await cli([...base, 'nope', '--json'], { cwd: dir });
      expect(json.code).toBe(3);
      expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'NOT_FOUND', exitCode: 3 } });

      expect(consoleError).not.toHaveBeenCalled();
    },
    CHILD_TIMEOUT,
  );

  it(
    'a --flavor path that does not exist is NOT_FOUND (exit 3) however it is written, never a raw module error',
    async () => {
      const base = ['--store', store, '--objects', objects, 'serve', 'toy', '--port', '0'];
      for (const flavor of ['./missing-flavor.mjs', '../missing-flavor.mjs', join(dir, 'missing-flavor.mjs#x')]) {
        const r = await cli([...base, '--flavor', flavor], { cwd: dir });
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/^error: Flavor module .*missing-flavor\.mjs not found \[NOT_FOUND\]\n$/);
        expect(r.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
      }
    },
    CHILD_TIMEOUT,
  );
});

describe('mlops serve / ui on a port that is taken', () => {
  let blocker: Server;
  let port: number;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    port = (blocker.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => blocker.close(resolve));
  });

  it(
    'says the port is in use and how to pick another (exit 1), and releases the store',
    async () => {
      for (const args of [
        ['serve', 'toy', '--port', String(port)],
        ['ui', '--port', String(port)],
      ]) {
        const r = await cli(['--store', store, '--objects', objects, ...args], { cwd: dir });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`address already in use 127.0.0.1:${port} [EADDRINUSE]`);
        expect(r.stderr).toMatch(/\nhint: .*--port/);
        const json = await cli(['--store', store, '--objects', objects, ...args, '--json'], { cwd: dir });
        expect(json.code).toBe(1);
        expect(JSON.parse(json.stderr)).toMatchObject({
          error: { code: 'EADDRINUSE', exitCode: 1, hint: expect.stringContaining('--port') },
        });
      }
      // the store was closed: the next command opens it
      expect((await cli(['--store', store, 'models', 'ls'], { cwd: dir })).code).toBe(0);
    },
    CHILD_TIMEOUT,
  );
});

describe('mlops data status/push/pull <data path> when data add --name named the pointer file', () => {
  it(
    'finds <name>.mlops.json beside the data, as the docs say the data path works',
    async () => {
      const work = join(dir, 'named');
      const remote = join(dir, 'remote');
      await mkdir(join(work, 'data'), { recursive: true });
      await writeFile(join(work, 'data', 'tickets.csv'), 'text,label\nscreen broken,Hardware\nno access,Access\n');
      const dataStore = `pglite://${join(dir, 'data-db')}`;
      const add = await cli(['--store', dataStore, 'data', 'add', 'data/tickets.csv', '--name', 'tickets', '--json'], {
        cwd: work,
      });
      expect(add.code).toBe(0);
      expect(jsonOf(add)).toMatchObject({ pointer: join('data', 'tickets.mlops.json') });

      const status = await cli(['data', 'status', 'data/tickets.csv', '--json'], { cwd: work });
      expect(status.stderr).toBe('');
      expect(status.code).toBe(0);
      expect(jsonOf(status)).toMatchObject({ name: 'tickets', state: 'unchanged' });

      const push = await cli(['data', 'push', 'data/tickets.csv', '--remote', remote, '--json'], { cwd: work });
      expect(push.stderr).toBe('');
      expect(push.code).toBe(0);

      await rm(join(work, 'data', 'tickets.csv'));
      const pull = await cli(['data', 'pull', 'data/tickets.csv', '--remote', remote, '--json'], { cwd: work });
      expect(pull.stderr).toBe('');
      expect(pull.code).toBe(0);

      // two pointer files tracking the same data: the data path is ambiguous, the error names both
      await writeFile(
        join(work, 'data', 'other.mlops.json'),
        await readFile(join(work, 'data', 'tickets.mlops.json'), 'utf8'),
      );
      const ambiguous = await cli(['data', 'status', 'data/tickets.csv'], { cwd: work });
      expect(ambiguous.code).toBe(2);
      expect(ambiguous.stderr).toContain('other.mlops.json');
      expect(ambiguous.stderr).toContain('tickets.mlops.json');
      expect(ambiguous.stderr).toContain('[INVALID_INPUT]');

      // data ls <name> of a dataset that does not exist is NOT_FOUND, like models versions and runs ls -e
      const ls = await cli(['--store', dataStore, 'data', 'ls', 'tickets.csv'], { cwd: work });
      expect(ls.code).toBe(3);
      expect(ls.stderr).toBe('error: No dataset "tickets.csv" (mlops data ls lists them) [NOT_FOUND]\n');
      const known = await cli(['--store', dataStore, 'data', 'ls', 'tickets', '--json'], { cwd: work });
      expect(known.code).toBe(0);
      expect(jsonOf<{ versions: unknown[] }>(known).versions).toHaveLength(1);

      // no pointer at all: still NOT_FOUND naming the pointer file it looked for
      const none = await cli(['data', 'status', 'data/none.csv'], { cwd: work });
      expect(none.code).toBe(3);
      expect(none.stderr).toContain('none.csv.mlops.json not found');
    },
    CHILD_TIMEOUT,
  );
});

describe('mlops retrain <config>: a relative path written without ./ (as the CronJob, compose and CI run it)', () => {
  it(
    'loads deploy/retrain.config.mjs-style paths as files, not as a package named "deploy"',
    async () => {
      // cwd is packages/cli/test: `fixtures/retrain.config.ts` is a file there, like `deploy/retrain.config.mjs` in
      // the image's /app.
      const base = ['--store', store, '--objects', objects, 'retrain'];
      const r = await cli([...base, 'fixtures/retrain.config.ts', '--dry-run', '--json'], { cwd: TEST_DIR });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(jsonOf(r)).toMatchObject({ model: 'toy', alias: 'production' });

      // a missing one is still NOT_FOUND naming it
      const missing = await cli([...base, 'fixtures/missing.config.mjs'], { cwd: TEST_DIR });
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain('[NOT_FOUND]');
    },
    CHILD_TIMEOUT,
  );
});
