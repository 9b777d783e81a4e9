import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { digestOf } from '@mlops/core/objects';
import { testObjectStore } from '@mlops/core/testing';
import { type S3ObjectStore, s3ObjectStore } from '@mlops/plugin-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3rverFixture, startS3rver } from './s3rver-fixture.js';

let s3: S3rverFixture;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.stop();
});

const MiB = 1 << 20;

async function keysUnder(prefix: string): Promise<string[]> {
  const res = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (res.Contents ?? []).map((c) => c.Key ?? '').sort();
}

async function removeAll(objects: S3ObjectStore): Promise<void> {
  for (const key of await keysUnder(objects.prefix)) {
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }));
  }
}

/** A fresh, empty store: its own prefix in the shared bucket. */
const freshStore = (extra: Partial<Parameters<typeof s3ObjectStore>[0]> = {}) =>
  s3ObjectStore({ bucket: s3.bucket, prefix: `t-${randomUUID()}`, client: s3.client, partSize: 5 * MiB, ...extra });

testObjectStore('s3ObjectStore (s3rver)', () => freshStore(), {
  // Same key, different bytes, written behind the store's back.
  tamper: async (objects, digest) => {
    const original = await objects.stat(digest);
    await s3.client.send(
      new PutObjectCommand({
        Bucket: objects.bucket,
        Key: objects.keyOf(digest),
        Body: Buffer.alloc(original?.size ?? 10, 0x58),
      }),
    );
  },
  cleanup: removeAll,
});

describe('s3ObjectStore specifics', () => {
  it('lays objects out as <prefix>ab/cdef… and lists only its own prefix', async () => {
    const a = freshStore();
    const b = freshStore();
    const { digest } = await a.put('hello s3');
    expect(a.keyOf(digest)).toBe(`${a.prefix}${digest.slice(7, 9)}/${digest.slice(9)}`);
    expect(await keysUnder(a.prefix)).toEqual([a.keyOf(digest)]);
    const listed: string[] = [];
    for await (const d of b.list()) listed.push(d);
    expect(listed).toEqual([]);
    await removeAll(a);
  });

  it('a large stream goes through a temporary multipart upload that is removed once copied', async () => {
    const objects = freshStore({ singlePutLimit: MiB });
    const body = Buffer.alloc(12 * MiB + 5, 7);
    async function* chunks() {
      for (let i = 0; i < body.length; i += MiB) yield body.subarray(i, i + MiB);
    }
    const res = await objects.put(chunks());
    expect(res).toEqual({ digest: digestOf(body), size: body.length });
    expect(await keysUnder(objects.prefix)).toEqual([objects.keyOf(res.digest)]);
    expect((await objects.stat(res.digest))?.size).toBe(body.length);
    await removeAll(objects);
  });

  it('refuses a large stream whose digest differs from expectedDigest, leaving nothing behind', async () => {
    const objects = freshStore({ singlePutLimit: MiB });
    async function* chunks() {
      for (let i = 0; i < 7; i++) yield Buffer.alloc(MiB, i);
    }
    await expect(objects.put(chunks(), { expectedDigest: digestOf('other') })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
    });
    expect(await keysUnder(objects.prefix)).toEqual([]);
  });

  it('aborts a large put mid-stream without leaving objects', async () => {
    const objects = freshStore({ singlePutLimit: MiB });
    const ac = new AbortController();
    async function* chunks() {
      for (let i = 0; i < 20; i++) {
        if (i === 8) ac.abort();
        yield Buffer.alloc(MiB, i);
      }
    }
    await expect(objects.put(chunks(), { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await keysUnder(objects.prefix)).toEqual([]);
  });

  it('cleanTemp removes stale temporary uploads only', async () => {
    const objects = freshStore();
    const { digest } = await objects.put('kept');
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: `${objects.prefix}tmp/stale.partial`, Body: 'left over' }),
    );
    expect(await objects.cleanTemp({ olderThanMs: 60_000 })).toEqual({ removed: [], bytes: 0 });
    expect(await objects.cleanTemp({ olderThanMs: -60_000, dryRun: true })).toEqual({
      removed: ['stale.partial'],
      bytes: 9,
    });
    expect(await objects.cleanTemp({ olderThanMs: -60_000 })).toEqual({ removed: ['stale.partial'], bytes: 9 });
    expect(await keysUnder(objects.prefix)).toEqual([objects.keyOf(digest)]);
    await removeAll(objects);
  });

  it('builds its own client from endpoint, credentials and forcePathStyle', async () => {
    const objects = s3ObjectStore({ bucket: s3.bucket, prefix: `own-${randomUUID()}/`, ...s3.connection });
    const { digest } = await objects.put('own client');
    expect((await objects.readBytes(digest)).toString()).toBe('own client');
    expect(objects.name).toBe(`s3://${s3.bucket}/${objects.prefix}`);
    await removeAll(objects);
  });

  it('reports S3 failures as UPSTREAM_ERROR (missing bucket) and validates options', async () => {
    const objects = s3ObjectStore({ bucket: 'no-such-bucket', client: s3.client });
    await expect(objects.put('x')).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(() => s3ObjectStore({ bucket: 'ab', client: s3.client })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => s3ObjectStore({ bucket: 'abc', partSize: MiB, client: s3.client })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
