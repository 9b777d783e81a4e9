// `npm run stack` (scripts/stack.mjs) run briefly as a learner runs it: Debian's Prometheus and Alertmanager start on
// the host with deploy/host/*.yml against a model server on 127.0.0.1, Prometheus reports the server's target up, and
// Ctrl-C (SIGINT) stops both cleanly. Also the static checks of the configs with promtool and amtool.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Predictor } from '@mlops/core';
import { createModelServer } from '@mlops/serve';
import { afterAll, describe, expect, it } from 'vitest';
import { prometheusSkipReason } from './prometheus-testing.mjs';
import { findBinary, freePort, HOST_ALERTMANAGER, HOST_PROMETHEUS, prometheusTargets, ROOT, RULES } from './stack.mjs';

const TIMEOUT = 90_000;

describe.skipIf(!!prometheusSkipReason('the promtool/amtool config checks', ['promtool', 'amtool']))(
  'monitoring configs [prometheus]',
  () => {
    it('promtool accepts the alert rules and the host Prometheus config; amtool both Alertmanager configs', () => {
      const run = (tool: string, args: string[]) => spawnSync(findBinary(tool)!, args, { cwd: ROOT, encoding: 'utf8' });
      const rules = run('promtool', ['check', 'rules', RULES]);
      expect(rules.status, rules.stdout + rules.stderr).toBe(0);
      expect(rules.stdout).toMatch(/SUCCESS: \d+ rules found/);
      const host = run('promtool', ['check', 'config', HOST_PROMETHEUS]);
      expect(host.status, host.stdout + host.stderr).toBe(0);
      const am = run('amtool', ['check-config', join(ROOT, 'deploy/alertmanager/alertmanager.yml'), HOST_ALERTMANAGER]);
      expect(am.status, am.stdout + am.stderr).toBe(0);
      // A broken file is refused (the checks are real): a rule without an expression.
      const dir = mkdtempSync(join(tmpdir(), 'mlops-promtool-'));
      try {
        const bad = join(dir, 'bad.yml');
        writeFileSync(bad, 'groups:\n  - name: x\n    rules:\n      - alert: NoExpr\n');
        expect(run('promtool', ['check', 'rules', bad]).status).not.toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);

describe.skipIf(!!prometheusSkipReason('npm run stack'))('npm run stack [prometheus]', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it(
    'starts Prometheus and Alertmanager against the local server, Prometheus scrapes it, Ctrl-C stops both',
    async () => {
      const predictor: Predictor = {
        signature: { inputs: [{ name: 'x', type: 'float64' }], outputs: [{ name: 'y', type: 'float64' }] },
        batchable: true,
        predict: async (inputs) => ({ y: inputs.x as Float64Array }),
      };
      const server = createModelServer({ models: [{ name: 'm', predictor, version: '1' }], logging: false });
      const http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
      const dir = mkdtempSync(join(tmpdir(), 'mlops-stack-'));
      dirs.push(dir);
      const [promPort, amPort] = [await freePort(), await freePort()];
      let child: ChildProcess | undefined;
      try {
        child = spawn(
          process.execPath,
          [
            join(ROOT, 'scripts/stack.mjs'),
            '--server',
            http.url,
            '--prometheus-port',
            String(promPort),
            '--alertmanager-port',
            String(amPort),
            '--data',
            dir,
          ],
          { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
        const exited = new Promise<number | null>((res) => child!.on('exit', (code) => res(code)));
        const until = Date.now() + 60_000;
        while (!out.includes('Ctrl-C stops both') && Date.now() < until) {
          if (child.exitCode !== null) throw new Error(`npm run stack exited:\n${out}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(out).toContain(`Prometheus    http://127.0.0.1:${promPort}`);
        expect(out).toContain(`Alertmanager  http://127.0.0.1:${amPort}`);
        // The host config scrapes every 15 s: wait for the first scrape of the server.
        let health = 'unknown';
        const started = Date.now();
        while (health !== 'up' && Date.now() < until) {
          const targets = await prometheusTargets(`http://127.0.0.1:${promPort}`);
          health = targets.find((t) => t.job === 'mlops-server')?.health ?? 'missing';
          if (health !== 'up') await new Promise((r) => setTimeout(r, 250));
        }
        expect(health).toBe('up');
        console.log(
          `npm run stack: the server's target was up ${((Date.now() - started) / 1000).toFixed(1)} s after start`,
        );
        // Prometheus knows Alertmanager, and Alertmanager answers with the host config's receiver.
        const ams = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/alertmanagers`)).json()) as {
          data: { activeAlertmanagers: { url: string }[] };
        };
        expect(ams.data.activeAlertmanagers.map((a) => a.url)).toEqual([`http://127.0.0.1:${amPort}/api/v2/alerts`]);
        const status = (await (await fetch(`http://127.0.0.1:${amPort}/api/v2/status`)).json()) as {
          config: { original: string };
        };
        expect(status.config.original).toContain(`${http.url}/v1/alerts/alertmanager`);
        child.kill('SIGINT');
        expect(await exited).toBe(0);
        expect(out).toContain('stopped');
        // Both processes are gone: their ports are closed.
        await expect(fetch(`http://127.0.0.1:${promPort}/-/ready`)).rejects.toThrow();
        await expect(fetch(`http://127.0.0.1:${amPort}/-/ready`)).rejects.toThrow();
      } finally {
        if (child && child.exitCode === null) child.kill('SIGKILL');
        await http.close();
        await server.close();
      }
    },
    TIMEOUT,
  );
});
