// deploy/server.mjs mounts the retrain routes and the Alertmanager receiver: run as the image runs it (a child process
// on the built packages), with no model registered, a forced retraining is accepted (202 + decision id), runs
// deploy/retrain.config.mjs in the worker thread, and its failure (no version to retrain) is recorded and reported by
// the GET route; a broken-feed alert is recorded and starts nothing.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, ROOT } from './stack.mjs';

const TIMEOUT = 60_000;

describe('deploy/server.mjs retraining over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-deploy-retrain-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'POST /v1/models/{model}/retrain answers 202, GET reports the recorded outcome; the receiver answers per alert',
    async () => {
      const port = await freePort();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        MLOPS_MODEL: 'it-tickets',
        MLOPS_STORE: 'memory://',
        MLOPS_OBJECTS: join(dir, 'objects'),
        HOST: '127.0.0.1',
        PORT: String(port),
      };
      delete env.MLOPS_RETRAIN_CONFIG;
      child = spawn(process.execPath, ['deploy/server.mjs'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
      const exited = new Promise<number | null>((res) => child!.on('exit', (code) => res(code)));
      const url = `http://127.0.0.1:${port}`;
      const until = Date.now() + 30_000;
      while (!out.includes('listening on')) {
        if (child.exitCode !== null || Date.now() > until) throw new Error(`deploy/server.mjs did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const post = (path: string, body: unknown) =>
        fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });

      const res = await post('/v1/models/it-tickets/retrain', { force: true, reason: 'smoke' });
      expect(res.status).toBe(202);
      const started = (await res.json()) as { decisionId: string; status: string; decision: { status: string } };
      expect(started.decision.status).toBe('running');
      let status = started.status;
      let body: { status: string; decision: { status: string; error: string | null } } | undefined;
      while (status === 'pending' || status === 'running') {
        if (Date.now() > until + 20_000) throw new Error(`still ${status}:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
        const got = await fetch(`${url}/v1/models/it-tickets/retrain/${started.decisionId}`);
        expect(got.status).toBe(200);
        body = (await got.json()) as typeof body;
        status = body!.status;
      }
      expect(status).toBe('failed');
      expect(body!.decision.status).toBe('failed');
      expect(body!.decision.error).toMatch(/it-tickets/);
      expect((await post('/v1/models/other/retrain', {})).status).toBe(404);

      const am = await post('/v1/alerts/alertmanager', {
        version: '4',
        groupKey: '{}:{alertname="MlopsFeedBroken"}',
        truncatedAlerts: 0,
        status: 'firing',
        receiver: 'mlops-retrain',
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: 'http://127.0.0.1:9093',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'MlopsFeedBroken', model: 'it-tickets', version: '1' },
            annotations: {},
            startsAt: '2026-01-01T00:00:00Z',
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: '',
            fingerprint: 'f00d',
          },
        ],
      });
      expect(am.status).toBe(200);
      expect(((await am.json()) as { results: { action: string }[] }).results[0]!.action).toBe('ignored');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    },
    TIMEOUT,
  );
});
