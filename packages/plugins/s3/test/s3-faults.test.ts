// S3 failures the store must report as typed errors: a bucket that does not exist (never "the object is missing"),
// and a response cut off in the middle of an object's body.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { digestOf } from '@mlops/core/objects';
import { s3ObjectStore } from '@mlops/plugin-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3rverFixture, startS3rver } from './s3rver-fixture.js';

let s3: S3rverFixture;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.stop();
});

const drain = async (s: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

describe('s3ObjectStore on a bucket that does not exist', () => {
  it('every read is UPSTREAM_ERROR naming the bucket, not a missing object', async () => {
    const objects = s3ObjectStore({ bucket: 'no-such-bucket', client: s3.client });
    const d = digestOf('x');
    const missingBucket = { code: 'UPSTREAM_ERROR', details: { bucket: 'no-such-bucket', status: 404 } };
    await expect(objects.has(d)).rejects.toMatchObject(missingBucket);
    await expect(objects.stat(d)).rejects.toMatchObject(missingBucket);
    await expect(objects.statMany([d, digestOf('y')])).rejects.toMatchObject(missingBucket);
    await expect(objects.checkMany([{ digest: d }])).rejects.toMatchObject(missingBucket);
    await expect(objects.delete(d)).rejects.toMatchObject(missingBucket);
    await expect(objects.readBytes(d)).rejects.toMatchObject(missingBucket);
    await expect(drain(objects.get(d))).rejects.toMatchObject(missingBucket);
  });

  it('a missing object of an existing bucket is still just missing', async () => {
    const objects = s3ObjectStore({ bucket: s3.bucket, prefix: 'faults-missing', client: s3.client });
    const d = digestOf('never stored');
    expect(await objects.has(d)).toBe(false);
    expect(await objects.statMany([d])).toEqual([undefined]);
    await expect(objects.readBytes(d)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('s3ObjectStore when a response is cut off mid-body', () => {
  it('readBytes, get and a verifying checkMany fail with UPSTREAM_ERROR', async () => {
    const body = Buffer.alloc(100_000, 7);
    const d = digestOf(body);
    // Speaks enough of S3 over HTTP: HEAD answers the size, GET sends the headers and 1,000 bytes, then resets.
    const server = createServer((req, res) => {
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-length': body.length });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
      res.write(body.subarray(0, 1000), () => res.destroy());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      const objects = s3ObjectStore({ bucket: 'cut-off', client });
      const failed = { code: 'UPSTREAM_ERROR', details: { bucket: 'cut-off' } };
      await expect(objects.readBytes(d)).rejects.toMatchObject(failed);
      await expect(drain(objects.get(d))).rejects.toMatchObject(failed);
      await expect(objects.checkMany([{ digest: d, size: body.length }], { verify: true })).rejects.toMatchObject(
        failed,
      );
    } finally {
      client.destroy();
      server.close();
    }
  });
});

describe('s3ObjectStore on a server that stops answering', () => {
  it('fails with TIMEOUT after timeoutMs of silence instead of waiting forever', async () => {
    const body = Buffer.alloc(100_000, 9);
    const d = digestOf(body);
    // Accepts every connection; answers nothing to a HEAD, and stalls a GET after its headers and 1,000 bytes.
    const server = createServer((req, res) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
        res.write(body.subarray(0, 1000));
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const objects = s3ObjectStore({
      bucket: 'silent',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      clientConfig: { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' },
      timeoutMs: 300,
    });
    try {
      await expect(objects.has(d)).rejects.toMatchObject({ code: 'TIMEOUT', details: { bucket: 'silent' } });
      await expect(objects.readBytes(d)).rejects.toMatchObject({ code: 'TIMEOUT', details: { bucket: 'silent' } });
    } finally {
      objects.client.destroy();
      server.closeAllConnections();
      server.close();
    }
  }, 30_000);

  it('rejects a timeoutMs that is not a non-negative integer', () => {
    expect(() => s3ObjectStore({ bucket: 'abc', timeoutMs: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});

describe('s3ObjectStore at the root of a shared bucket (no prefix)', () => {
  it('cleanTemp removes only its own temporary uploads (tmp/*.partial), never other keys under tmp/', async () => {
    const objects = s3ObjectStore({ bucket: s3.bucket, client: s3.client });
    const put = (Key: string, Body: string) => s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body }));
    await put('tmp/report.csv', 'another application keeps its files here');
    await put('tmp/nested/deep.partial', 'not written by the store either');
    await put(`tmp/${Date.now()}-0b6f2c36-6a4e-4a8e-9b1b-3f2d5c7e9a10.partial`, 'left over');
    const stale = await objects.cleanTemp({ olderThanMs: -60_000 });
    expect(stale).toMatchObject({ removed: [expect.stringMatching(/\.partial$/)], bytes: 9 });
    const left = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'tmp/' }));
    expect((left.Contents ?? []).map((c) => c.Key).sort()).toEqual(['tmp/nested/deep.partial', 'tmp/report.csv']);
  });
});
