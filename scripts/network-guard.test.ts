// Every test runs with scripts/network-guard.mjs installed (vitest.config.ts → scripts/vitest-setup.mjs): nothing
// beyond this machine is reachable, in the test's process and in the node processes it starts.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Read before this file imports the guard itself: the setup must have installed it already.
const installedBySetup = Symbol.for('mlops.test.networkGuard') in globalThis;
// @ts-expect-error -- plain .mjs helper shared with child processes
const { isLocalHost, networkViolations } = await import('./network-guard.mjs');
const run = promisify(execFile);
const SCRIPTS = dirname(fileURLToPath(import.meta.url));
const VITEST = join(SCRIPTS, '..', 'node_modules', 'vitest', 'vitest.mjs');

describe('the test network guard', () => {
  it('is installed by the vitest setup before any test file runs', () => {
    expect(installedBySetup).toBe(true);
  });

  it('refuses fetch, http and DNS beyond this machine, and records each refusal', async () => {
    const guard = { code: 'ERR_TEST_NETWORK_BLOCKED' };
    const viaFetch = await fetch('https://raw.githubusercontent.com/x').catch((e: Error) => e.cause);
    expect(viaFetch).toMatchObject(guard);
    expect(String((viaFetch as Error).message)).toMatch(/raw\.githubusercontent\.com:443/);
    const viaIp = await fetch('http://192.0.2.1:8080/').catch((e: Error) => e.cause);
    expect(viaIp).toMatchObject(guard);
    const { lookup } = await import('node:dns/promises');
    await expect(lookup('example.org')).rejects.toMatchObject(guard);
    const seen = networkViolations({ clear: true }) as { target: string }[];
    expect(seen.map((v) => v.target)).toEqual(['raw.githubusercontent.com:443', '192.0.2.1:8080', 'DNS example.org']);
  });

  it('lets connections to 127.0.0.1 and localhost through', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
      expect(await (await fetch(`http://localhost:${port}/`)).text()).toBe('ok');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    expect(networkViolations()).toEqual([]);
  });

  it('is installed in node processes that tests start', async () => {
    const script =
      "fetch('https://registry.example.org/').then(() => console.log('reached'), (e) => console.log(e.cause?.code))";
    const { stdout, stderr } = await run(process.execPath, ['-e', script], { env: process.env });
    expect(stdout.trim()).toBe('ERR_TEST_NETWORK_BLOCKED');
    expect(stderr).toMatch(/test network guard.*registry\.example\.org:443/);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['db.localhost', true],
    ['0.0.0.0', true],
    [undefined, true],
    ['8.8.8.8', false],
    ['192.0.2.1', false],
    ['2001:db8::1', false],
    ['raw.githubusercontent.com', false],
    ['localhost.example.com', false],
  ])('isLocalHost(%j) is %s', (host, expected) => {
    expect(isLocalHost(host)).toBe(expected);
  });
});

describe('the vitest setup', () => {
  it('fails a test whose code swallowed the refusal, and one that reached out while its file loaded', async () => {
    const dir = await mkdtemp(join(SCRIPTS, '.guard-fixture-'));
    try {
      await writeFile(
        join(dir, 'swallowed.test.mjs'),
        [
          "import { expect, it } from 'vitest';",
          "it('swallows the error', async () => {",
          "  const ok = await fetch('https://in-test.example.org/').then(() => true, () => false);",
          '  expect(ok).toBe(false);',
          '});',
          "it('stays local', () => expect(1).toBe(1));",
        ].join('\n'),
      );
      await writeFile(
        join(dir, 'at-import.test.mjs'),
        [
          "import { expect, it } from 'vitest';",
          "await fetch('https://at-import.example.org/').catch(() => {});",
          "it('looks fine', () => expect(1).toBe(1));",
        ].join('\n'),
      );
      await writeFile(
        join(dir, 'vitest.config.mjs'),
        `export default { test: { include: ['*.test.mjs'], setupFiles: [${JSON.stringify(join(SCRIPTS, 'vitest-setup.mjs'))}] } };`,
      );
      const out = await run(
        process.execPath,
        [VITEST, 'run', '--root', dir, '--config', join(dir, 'vitest.config.mjs'), '--reporter=json'],
        { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' } },
      ).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => e,
      );
      expect(out.code).toBe(1);
      const report = JSON.parse(out.stdout.slice(out.stdout.indexOf('{'))) as {
        testResults: {
          name: string;
          assertionResults: { title: string; status: string; failureMessages: string[] }[];
        }[];
      };
      const tests = Object.fromEntries(
        report.testResults.flatMap((f) => f.assertionResults.map((t) => [`${basename(f.name)} > ${t.title}`, t])),
      );
      expect(tests['swallowed.test.mjs > swallows the error']!.status).toBe('failed');
      expect(tests['swallowed.test.mjs > swallows the error']!.failureMessages.join('\n')).toMatch(
        /This test tried to reach beyond this machine[\s\S]*in-test\.example\.org:443/,
      );
      expect(tests['swallowed.test.mjs > stays local']!.status).toBe('passed');
      // A refusal made while the file loaded fails the file, whose own tests never reached out.
      expect(tests['at-import.test.mjs > looks fine']!.status).not.toBe('passed');
      expect(JSON.stringify(report)).toMatch(/while it loaded, tried to reach[^"]*at-import\.example\.org:443/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
