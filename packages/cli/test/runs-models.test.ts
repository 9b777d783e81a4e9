import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRuns } from './fixtures/seed.js';
import { CHILD_TIMEOUT, jsonOf, cli as runCli } from './helpers.js';

let dir: string;
let store: string;
let seeded: { runs: { id: string; name: string }[] };
const cli = (...args: string[]) => runCli(['--store', store, ...args], { cwd: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-cli-runs-'));
  store = `pglite://${join(dir, 'db')}`;
  // Seeding closes the embedded store; each CLI run then opens it alone.
  seeded = await seedRuns(store);
}, CHILD_TIMEOUT);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mlops runs (run() in-process)', () => {
  it(
    'runs ls --json filters and sorts; runs show --json returns one run',
    async () => {
      const ls = await cli('runs', 'ls', '-e', 'churn', '--metric', 'accuracy>=0.85', '--sort', 'accuracy', '--json');
      expect(ls.code).toBe(0);
      const { runs } = jsonOf<{
        runs: { id: string; name: string; experiment: string; metrics: Record<string, number> }[];
      }>(ls);
      expect(runs.map((r) => r.name)).toEqual(['rf-medium', 'rf-large']);
      expect(runs[0]).toMatchObject({ experiment: 'churn', metrics: { accuracy: 0.91 } });

      const id = seeded.runs.find((r) => r.name === 'rf-small')!.id;
      const show = await cli('runs', 'show', id, '--json');
      expect(show.code).toBe(0);
      expect(jsonOf<{ run: unknown }>(show).run).toMatchObject({
        id,
        name: 'rf-small',
        status: 'finished',
        params: { lr: 0.1, trees: 100 },
        metrics: { accuracy: 0.82 },
        tags: { team: 'a' },
      });
    },
    CHILD_TIMEOUT,
  );

  it(
    'runs compare marks differing params; an unknown run is exit 3',
    async () => {
      const [a, b] = seeded.runs;
      const cmp = await cli('runs', 'compare', a!.id, b!.id);
      expect(cmp.code).toBe(0);
      expect(cmp.stdout).toMatch(/param\.lr\s+0\.1\s+0\.05\s+\*/);
      expect(cmp.stdout).toMatch(/param\.trees\s+100\s+100\s+-$/m);

      const missing = await cli('runs', 'show', '00000000-0000-0000-0000-000000000000');
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain('[NOT_FOUND]');
    },
    CHILD_TIMEOUT,
  );
});

describe('mlops models (run() in-process, embedded store)', () => {
  it(
    'promote with a failing gate exits 4 with the evidence; the alias stays',
    async () => {
      const refused = await cli('models', 'promote', 'churn', '2', '--gate', 'accuracy>=0.9');
      expect(refused.code).toBe(4);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain('refused by the gate');
      expect(refused.stderr).toContain('[GATE_FAILED]');
      expect(refused.stderr).toMatch(/FAIL\s+threshold accuracy: accuracy 0\.85/);

      const aliases = await cli('models', 'aliases', 'churn', '--json');
      expect(jsonOf<{ aliases: { alias: string; version: number }[] }>(aliases).aliases).toEqual([
        expect.objectContaining({ alias: 'production', version: 1 }),
      ]);
    },
    CHILD_TIMEOUT,
  );

  it(
    'promote with a passing relative gate, then rollback',
    async () => {
      const ok = await cli('models', 'promote', 'churn', '2', '--gate', 'accuracy>=incumbent-0.1', '--json');
      expect(ok.code).toBe(0);
      expect(jsonOf(ok)).toMatchObject({
        alias: { alias: 'production', version: 2 },
        decision: { passed: true, incumbentVersion: 1 },
      });
      const back = await cli('models', 'rollback', 'churn');
      expect(back.code).toBe(0);
      expect(back.stdout).toContain('v2 → v1');
      const versions = await cli('models', 'versions', 'churn', '--json');
      const list = jsonOf<{ versions: { version: number; aliases: string[] }[] }>(versions).versions;
      expect(list.map((v) => [v.version, v.aliases])).toEqual([
        [2, []],
        [1, ['production']],
      ]);
    },
    CHILD_TIMEOUT,
  );
});
