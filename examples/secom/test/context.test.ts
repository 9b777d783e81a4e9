import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeContext, openContext } from '../src/context.js';

// The example's `--objects` option: the object store is any object store URL, `<home>/objects` when unset.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-secom-ctx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openContext objects', () => {
  it('stores objects where the URL says, and in <home>/objects by default', async () => {
    const elsewhere = join(dir, 'shared-objects');
    const ctx = await openContext({
      home: join(dir, 'home-a'),
      objects: pathToFileURL(elsewhere).href,
      seed: 1,
      quick: true,
      simulated: true,
    });
    try {
      const { digest } = await ctx.objects.put('hello');
      expect(existsSync(join(elsewhere, digest.slice(7, 9), digest.slice(9)))).toBe(true);
      expect(existsSync(join(dir, 'home-a', 'objects'))).toBe(false);
    } finally {
      await closeContext(ctx);
    }
    const byDefault = await openContext({ home: join(dir, 'home-b'), seed: 1, quick: true, simulated: true });
    try {
      const { digest } = await byDefault.objects.put('hello');
      expect(existsSync(join(dir, 'home-b', 'objects', digest.slice(7, 9), digest.slice(9)))).toBe(true);
    } finally {
      await closeContext(byDefault);
    }
  }, 120_000);

  it('a malformed URL is INVALID_INPUT naming the part, before the store is opened', async () => {
    await expect(
      openContext({ home: join(dir, 'home-c'), objects: 's3://x/y', seed: 1, quick: true, simulated: true }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'bucket' }] });
  });
});
