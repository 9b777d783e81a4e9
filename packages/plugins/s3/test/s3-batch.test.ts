// Issue 24: checking thousands of objects on S3 lists the needed shard prefixes (1,000 keys per request) instead of
// sending one HEAD per object, when that takes fewer requests; results are the same either way.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createStore, fsObjectStore } from '@mlops/core';
import { pushDataset, versionDataset } from '@mlops/core/dataset-versions';
import { digestOf, mapLimit } from '@mlops/core/objects';
import { s3ObjectStore } from '@mlops/plugin-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3rverFixture, startS3rver } from './s3rver-fixture.js';

let s3: S3rverFixture;
beforeAll(async () => {
  s3 = await startS3rver('mlops-batch');
});
afterAll(async () => {
  await s3?.stop();
});

/** A client that counts the commands it sends, by name. */
function countingClient() {
  const counts = new Map<string, number>();
  const client = new S3Client({
    endpoint: s3.connection.endpoint,
    region: s3.connection.region,
    forcePathStyle: true,
    credentials: s3.connection.credentials,
    ...s3.connection.clientConfig,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return { client, counts };
}

describe('s3ObjectStore batch checks', () => {
  it('statMany lists shards for a large batch, HEADs a small one, with the same answers', async () => {
    const prefix = `b-${randomUUID()}`;
    const bodies = Array.from({ length: 1500 }, (_, i) => Buffer.from(`object ${i} of the batch test`));
    const { client: writer } = countingClient();
    await mapLimit(bodies.slice(0, 1200), 16, (b) => {
      const hex = digestOf(b).slice(7);
      return writer.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/${hex.slice(0, 2)}/${hex.slice(2)}`, Body: b }),
      );
    });
    writer.destroy();
    const digests = bodies.map((b) => digestOf(b)); // the last 300 are absent

    const listing = countingClient();
    const objects = s3ObjectStore({ bucket: s3.bucket, prefix, client: listing.client });
    const listed = await objects.statMany(digests, { concurrency: 8 });
    expect(listing.counts.get('HeadObjectCommand') ?? 0).toBe(0);
    const lists = listing.counts.get('ListObjectsV2Command') ?? 0;
    expect(lists).toBeGreaterThan(0);
    expect(lists).toBeLessThanOrEqual(256);
    expect(listed.slice(0, 1200).every((s, i) => s?.size === (bodies[i] as Buffer).length)).toBe(true);
    expect(listed.slice(1200).every((s) => s === undefined)).toBe(true);

    const heading = countingClient();
    const few = s3ObjectStore({ bucket: s3.bucket, prefix, client: heading.client });
    const headed = await few.statMany([...digests.slice(0, 20), ...digests.slice(1480)], { concurrency: 4 });
    expect(heading.counts.get('HeadObjectCommand')).toBe(40);
    expect(heading.counts.get('ListObjectsV2Command') ?? 0).toBe(0);
    expect(headed.map((s) => s?.size)).toEqual([
      ...listed.slice(0, 20).map((s) => s?.size),
      ...listed.slice(1480).map((s) => s?.size),
    ]);

    // checkMany: by size without verify, by content with it.
    const states = await objects.checkMany([
      { digest: digests[0] as string, size: (bodies[0] as Buffer).length },
      { digest: digests[1] as string, size: 3 },
      { digest: digests[1499] as string },
    ]);
    expect(states).toEqual(['intact', 'corrupted', 'missing']);
    listing.client.destroy();
    heading.client.destroy();
  });

  it('pushDataset to S3 sends at most `concurrency` requests at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-s3-batch-'));
    const store = await createStore('memory://');
    try {
      const data = join(dir, 'data');
      mkdirSync(data);
      for (let i = 0; i < 40; i++) writeFileSync(join(data, `f${i}.txt`), `s3 batch ${i}`);
      const v = await versionDataset({ path: data, store, objects: fsObjectStore({ dir: join(dir, 'objects') }) });
      const { client, counts } = countingClient();
      let inFlight = 0;
      let most = 0;
      client.middlewareStack.add(
        (next) => async (args) => {
          inFlight++;
          most = Math.max(most, inFlight);
          try {
            return await next(args);
          } finally {
            inFlight--;
          }
        },
        { step: 'initialize', name: 'countInFlight' },
      );
      const remote = s3ObjectStore({ bucket: s3.bucket, prefix: `p-${randomUUID()}`, client });
      const res = await pushDataset({
        pointer: v.pointerPath,
        objects: fsObjectStore({ dir: join(dir, 'objects') }),
        remote,
        concurrency: 3,
      });
      expect(res.uploaded).toHaveLength(41);
      expect(counts.get('PutObjectCommand')).toBe(41);
      expect(most).toBeLessThanOrEqual(3);
      expect(most).toBeGreaterThan(1);
      client.destroy();
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
