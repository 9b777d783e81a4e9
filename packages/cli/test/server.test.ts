import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type Store } from '@mlops/core';
import { createRegistry, createRegistryRouter, type Registry } from '@mlops/registry';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHILD_TIMEOUT, cli, jsonOf } from './helpers.js';

// A real registry router on 127.0.0.1 in this process (which owns the store); the CLI talks to it with --server.
let store: Store;
let registry: Registry;
let server: Server;
let origin: string;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-cli-server-'));
  store = await createStore('memory://');
  registry = await createRegistry({ store, events: false });
  await registry.createModel({ name: 'fraud' });
  const digest = `sha256:${'c'.repeat(64)}`;
  await registry.createVersion({ model: 'fraud', packageDigest: digest, flavor: 'test', metrics: { f1: 0.8 } });
  await registry.createVersion({ model: 'fraud', packageDigest: digest, flavor: 'test', metrics: { f1: 0.7 } });
  await registry.createVersion({ model: 'fraud', packageDigest: digest, flavor: 'test', metrics: { f1: 0.86 } });
  await registry.promote({ model: 'fraud', alias: 'production', version: 1 });
  const app = express();
  app.use('/registry', createRegistryRouter({ registry }));
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, CHILD_TIMEOUT); // PGlite and the registry's migrations: seconds, much more on a loaded machine

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await registry.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('mlops models --server (run() in-process against a real registry router)', () => {
  it(
    'lists models and versions over HTTP (server origin gets /registry appended)',
    async () => {
      // a store URL that would fail if it were opened: --server must not touch the store
      const ls = await cli(['--server', origin, '--store', 'pglite:///nonexistent/locked', 'models', 'ls', '--json'], {
        cwd: dir,
      });
      expect(ls.stderr).toBe('');
      expect(ls.code).toBe(0);
      const { models } = jsonOf<{ models: { name: string; aliases: { alias: string; version: number }[] }[] }>(ls);
      expect(models).toEqual([
        expect.objectContaining({
          name: 'fraud',
          aliases: [expect.objectContaining({ alias: 'production', version: 1 })],
        }),
      ]);

      const versions = await cli(['models', 'versions', 'fraud', '--json'], {
        cwd: dir,
        env: { MLOPS_SERVER_URL: `${origin}/registry` },
      });
      expect(versions.code).toBe(0);
      expect(jsonOf<{ versions: { version: number }[] }>(versions).versions.map((v) => v.version)).toEqual([3, 2, 1]);
    },
    CHILD_TIMEOUT,
  );

  it(
    'a failing gate over HTTP is exit 4 with a JSON error; a passing one moves the alias; rollback undoes it',
    async () => {
      const refused = await cli(
        ['--server', origin, 'models', 'promote', 'fraud', '2', '--gate', 'f1>=incumbent', '--json'],
        { cwd: dir },
      );
      expect(refused.code).toBe(4);
      expect(refused.stdout).toBe('');
      const err = JSON.parse(refused.stderr) as { error: { code: string; exitCode: number; details: unknown } };
      expect(err.error).toMatchObject({
        code: 'GATE_FAILED',
        exitCode: 4,
        details: { decision: { passed: false, candidateVersion: 2, incumbentVersion: 1 } },
      });
      expect((await registry.resolve({ model: 'fraud', alias: 'production' })).version).toBe(1);

      const ok = await cli(
        [
          '--server',
          origin,
          'models',
          'promote',
          'fraud',
          '3',
          '--gate',
          'f1>=0.85',
          '--gate-json',
          '{"metric":"f1","improvesOnIncumbentBy":0.05,"direction":"max"}',
          '--reason',
          'better f1',
        ],
        { cwd: dir },
      );
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('Promoted fraud v3 to production (was v1)');
      expect((await registry.resolve({ model: 'fraud', alias: 'production' })).version).toBe(3);
      const [decision] = (await registry.listDecisions({ model: 'fraud', passed: true, limit: 1 })).items;
      expect(decision).toMatchObject({ candidateVersion: 3, reason: 'better f1' });

      const back = await cli(['--server', origin, 'models', 'rollback', 'fraud', '--json'], { cwd: dir });
      expect(back.code).toBe(0);
      expect(jsonOf(back)).toMatchObject({ fromVersion: 3, alias: { version: 1 } });
    },
    CHILD_TIMEOUT,
  );

  it(
    "history and audit over HTTP: an alias's moves and the audit log, filtered, as JSON and as a table",
    async () => {
      const digest = `sha256:${'d'.repeat(64)}`;
      await registry.createModel({ name: 'audited' });
      await registry.createVersion({ model: 'audited', packageDigest: digest, flavor: 'test', metrics: {} });
      await registry.createVersion({ model: 'audited', packageDigest: digest, flavor: 'test', metrics: {} });
      await registry.promote({ model: 'audited', alias: 'production', version: 1 });
      await registry.promote({ model: 'audited', alias: 'production', version: 2, reason: 'weekly retrain' });
      await registry.setAlias({ model: 'audited', alias: 'staging', version: 2 });
      await registry.rollback({ model: 'audited', alias: 'production', reason: 'accuracy dropped' });

      const history = await cli(
        ['--server', origin, 'models', 'history', 'audited', '--alias', 'production', '--json'],
        { cwd: dir },
      );
      expect(history.code).toBe(0);
      const h = jsonOf(history) as {
        history: { action: string; fromVersion: number | null; toVersion: number; reason: string | null }[];
      };
      expect(h.history.map((e) => [e.action, e.fromVersion, e.toVersion, e.reason])).toEqual([
        ['rollback', 2, 1, 'accuracy dropped'],
        ['promote', 1, 2, 'weekly retrain'],
        ['promote', null, 1, null],
      ]);
      const all = await cli(['--server', origin, 'models', 'history', 'audited'], { cwd: dir });
      expect(all.stdout).toMatch(/\bstaging\s+set\s+-\s+v2\b/);

      const audit = await cli(['--server', origin, 'models', 'audit', 'audited', '--action', 'alias.rolled-back'], {
        cwd: dir,
      });
      expect(audit.code).toBe(0);
      const rows = audit.stdout.trim().split('\n');
      expect(rows[0]).toMatch(/^AT\s+ACTION\s+MODEL/);
      expect(rows.slice(1)).toHaveLength(1);
      expect(rows[1]).toMatch(/alias\.rolled-back\s+audited\s+v1\s+production\s+v2\s+\S+\s+accuracy dropped$/);
      const everything = jsonOf(
        await cli(['--server', origin, 'models', 'audit', '--json', '--limit', '500'], { cwd: dir }),
      ) as {
        entries: { model: string | null }[];
      };
      expect(new Set(everything.entries.map((e) => e.model))).toEqual(new Set(['fraud', 'audited']));
      const missing = await cli(['--server', origin, 'models', 'history', 'nope'], { cwd: dir });
      expect(missing.code).toBe(3);
    },
    CHILD_TIMEOUT,
  );

  it(
    'an unreachable server is exit 1 with the URL in the message; an unknown model is exit 3',
    async () => {
      const down = await cli(['--server', 'http://127.0.0.1:9', 'models', 'ls'], { cwd: dir });
      expect(down.code).toBe(1);
      expect(down.stderr).toContain('http://127.0.0.1:9/registry');
      const missing = await cli(['--server', origin, 'models', 'versions', 'nope'], { cwd: dir });
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain('[NOT_FOUND]');
    },
    CHILD_TIMEOUT,
  );
});
