import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliContext, createCliContext } from '../../context.js';
import { bufferSink, createOutput } from '../../output.js';
import { run } from '../../program.js';
import { uiCommand } from './handlers.js';

let ctx: CliContext;

beforeAll(async () => {
  ctx = createCliContext({ store: 'memory://', env: {} });
  const registry = await ctx.registry();
  await registry.createModel({ name: 'm', description: 'demo' });
  for (const accuracy of [0.8, 0.9]) {
    await registry.createVersion({
      model: 'm',
      packageDigest: `sha256:${'d'.repeat(64)}`,
      flavor: 'x',
      metrics: { accuracy },
    });
  }
  await registry.promote({ model: 'm', alias: 'production', version: 1 });
});
afterAll(async () => {
  await ctx.close();
});

describe('mlops ui', () => {
  it('serves the dashboard on 127.0.0.1 over the store, promotes through it, and stops', async () => {
    const stdout = bufferSink();
    let info: { url: string; close: () => Promise<void> } | undefined;
    const done = uiCommand(
      { port: 0, signals: [], onListening: (i) => (info = i) },
      ctx,
      createOutput({ json: true, stdout, stderr: bufferSink() }),
    );
    await expect.poll(() => info, { timeout: 20_000 }).toBeDefined();
    try {
      const printed = JSON.parse(stdout.text) as { url: string; auth: boolean };
      expect(printed).toMatchObject({ url: info!.url, auth: false });
      expect(new URL(info!.url).hostname).toBe('127.0.0.1');
      expect(new URL(info!.url).pathname).toBe('/ui/');

      const page = await fetch(info!.url);
      expect(await page.text()).toContain('assets/app.js');
      const models = (await (await fetch(new URL('api/models', info!.url))).json()) as {
        models: { name: string; aliases: { alias: string; version: number }[] }[];
      };
      expect(models.models).toEqual([
        expect.objectContaining({ name: 'm', aliases: [{ alias: 'production', version: 1 }] }),
      ]);
      const res = await fetch(new URL('api/models/m/promote', info!.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ version: 2 }),
      });
      expect(res.status).toBe(200);
      expect((await (await ctx.registry()).resolve({ model: 'm', alias: 'production' })).version).toBe(2);
    } finally {
      await info?.close();
    }
    await done;
    await expect(fetch(info!.url)).rejects.toThrow();
  });

  it('rejects a bad --port as a usage error (exit 2) before opening anything', async () => {
    const stderr = bufferSink();
    const code = await run(['ui', '--port', 'eighty'], { stdout: bufferSink(), stderr, env: {} });
    expect(code).toBe(2);
    expect(stderr.text).toContain('Invalid --port "eighty"');
  });

  it('lists ui in the help with its options', async () => {
    const stdout = bufferSink();
    expect(await run(['ui', '--help'], { stdout, stderr: bufferSink(), env: {} })).toBe(0);
    expect(stdout.text).toContain('--port <port>');
    expect(stdout.text).toContain('--host <host>');
    expect(stdout.text).toContain('mlops ui');
  });
});
