import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import {
  type BatchOptions,
  type CheckItem,
  type CheckManyOptions,
  type CleanTempOptions,
  type CleanTempResult,
  type Digest,
  invalidInput,
  isMlopsError,
  MlopsError,
  type ObjectBody,
  type ObjectStat,
  type ObjectState,
  type ObjectStore,
  type PutOptions,
  type PutResult,
  zodIssues,
} from '@mlops/core';
import { checkObject, DEFAULT_CONCURRENCY, mapLimit, parseDigest } from '@mlops/core/objects';
import { z } from 'zod';

/** Static credentials for the S3 client. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** @default undefined */
  sessionToken?: string;
}

/** Options of {@link s3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /** The bucket (it must exist). */
  bucket: string;
  /**
   * Key prefix under which objects live (`<prefix>ab/cdef…`, temporary uploads under `<prefix>tmp/`). A trailing `/`
   * is added when missing.
   * @default '' (the bucket's root)
   */
  prefix?: string;
  /**
   * A configured S3 client; when given, `region`, `endpoint`, `credentials`, `forcePathStyle` and `clientConfig` are
   * ignored.
   * @default a new `S3Client` built from the options below and the AWS environment (AWS_REGION, AWS_PROFILE…)
   */
  client?: S3Client;
  /**
   * Region.
   * @default the AWS SDK's resolution (AWS_REGION, the profile), else 'us-east-1' when an endpoint is given
   */
  region?: string;
  /**
   * Endpoint of an S3-compatible service, e.g. `http://127.0.0.1:9000` (MinIO) or Cloudflare R2's account URL.
   * @default AWS S3
   */
  endpoint?: string;
  /**
   * Static credentials.
   * @default the AWS SDK's default chain (environment, profile, instance role…)
   */
  credentials?: S3Credentials;
  /**
   * Path-style URLs (`endpoint/bucket/key`), needed by most S3-compatible servers.
   * @default false
   */
  forcePathStyle?: boolean;
  /**
   * Any other `S3ClientConfig` fields for the client built here (e.g. `requestChecksumCalculation: 'WHEN_REQUIRED'`
   * for servers that do not understand the SDK's default checksums).
   * @default {}
   */
  clientConfig?: S3ClientConfig;
  /**
   * Bodies up to this many bytes are buffered, hashed and written straight to their final key with one PutObject
   * (with `x-amz-checksum-sha256`). Larger streams take the multipart path (see the README).
   * @default 8 MiB
   */
  singlePutLimit?: number;
  /**
   * Part size of multipart uploads (S3 allows 5 MiB to 5 GiB, and at most 10,000 parts per object).
   * @default 8 MiB (objects up to ~78 GiB)
   */
  partSize?: number;
  /**
   * Parts uploaded in parallel; memory used by a put is about `partSize × (queueSize + 1)`.
   * @default 2
   */
  queueSize?: number;
  /**
   * For the client built here: a request fails with `TIMEOUT` (after the SDK's retries) when connecting takes this
   * long or its connection then stays silent (nothing sent or received) this long, so a stalled server never hangs a
   * push or a pull. `0` waits forever (the AWS SDK's own default). A `requestHandler` in `clientConfig` replaces it.
   * @default 60_000
   */
  timeoutMs?: number;
}

/** An {@link ObjectStore} on S3. */
export interface S3ObjectStore extends ObjectStore {
  readonly bucket: string;
  /** The normalised prefix (`''` or ending in `/`). */
  readonly prefix: string;
  /** The S3 client in use. */
  readonly client: S3Client;
  /** The key of the object with this digest (`<prefix>ab/cdef…`), whether or not it exists. */
  keyOf(digest: string): string;
  /**
   * Removes temporary uploads (`<prefix>tmp/*.partial`) older than `olderThanMs`, left by interrupted puts; other keys
   * under `<prefix>tmp/` are left alone.
   */
  cleanTemp(opts: CleanTempOptions): Promise<CleanTempResult>;
  /**
   * `stat` of many digests, in order: a HEAD per object with `concurrency` requests in flight, or, for large batches,
   * one listing of each needed shard prefix (`<prefix>ab/`, up to 1,000 keys per request) when that takes fewer
   * requests, as DVC does for large remotes: 20,000 objects in an empty or small remote cost 256 LIST requests instead of
   * 20,000 HEADs.
   */
  statMany(digests: readonly string[], opts?: BatchOptions): Promise<(ObjectStat | undefined)[]>;
  /** The state of many objects (by size through `statMany`; with `verify`, a verifying GET of each present one). */
  checkMany(items: readonly CheckItem[], opts?: CheckManyOptions): Promise<ObjectState[]>;
  /**
   * Renews each object's `LastModified` (garbage collection's age) without transferring its bytes: a server-side copy
   * onto itself, or through a temporary key when the server keeps the date of such a copy. `false` for a missing one.
   */
  freshen(digests: readonly string[], opts?: BatchOptions): Promise<boolean[]>;
}

const MiB = 1 << 20;
const GiB = 1024 * MiB;
/** CopyObject's limit; larger objects are copied part by part with UploadPartCopy. */
const MAX_SINGLE_COPY = 5 * GiB;
const COPY_PART = 512 * MiB;
const MAX_PARTS = 10_000;
const TMP = 'tmp/';
/** `statMany` considers listing shards from this many digests on (fewer are always HEADed). */
const LIST_MIN = 256;
/** A LIST request is counted as this many HEADs when choosing between them (its response is bigger). */
const LIST_COST = 4;
/** Shards listed at once by `statMany`. */
const LIST_CONCURRENCY = 8;
const KEY_RE = /^([0-9a-f]{2})\/([0-9a-f]{62})$/;
/** A temporary upload's name under `<prefix>tmp/` (puts write `<time>-<uuid>.partial`). */
const TMP_NAME_RE = /^[^/]+\.partial$/;

const optionsSchema = z.object({
  bucket: z.string().min(3).max(63),
  prefix: z.string().max(900).default(''),
  region: z.string().min(1).optional(),
  endpoint: z.url().optional(),
  forcePathStyle: z.boolean().default(false),
  singlePutLimit: z
    .number()
    .int()
    .min(0)
    .max(5 * GiB)
    .default(8 * MiB),
  partSize: z
    .number()
    .int()
    .min(5 * MiB)
    .max(5 * GiB)
    .default(8 * MiB),
  queueSize: z.number().int().min(1).max(64).default(2),
  timeoutMs: z.number().int().min(0).default(60_000),
});

type SdkError = Error & { $metadata?: { httpStatusCode?: number }; Code?: string };
const statusOf = (err: unknown) => (err as SdkError)?.$metadata?.httpStatusCode;
/** A missing key. A missing bucket is a 404 too, but an error (`NoSuchBucket` when the response has a body). */
const isNotFound = (err: unknown) =>
  (err as SdkError)?.name !== 'NoSuchBucket' &&
  (statusOf(err) === 404 || ['NoSuchKey', 'NotFound'].includes((err as SdkError)?.name ?? ''));

const toHex = (digest: Digest) => digest.slice('sha256:'.length);

function checksumMismatch(expected: Digest, actual: Digest, size: number, source: string): MlopsError {
  return new MlopsError('CHECKSUM_MISMATCH', {
    message: `checksum mismatch in ${source}: expected ${expected}, got ${actual} (${size} bytes)`,
    details: { expected, actual, size, source },
  });
}

/**
 * A part's bytes as a stream of 256 KiB views (no copies). Node copies a Buffer body written together with the
 * request headers (one `writev` mixing a string and a buffer), which would double the memory of every part in flight;
 * written as a stream, only the first small view is copied. S3 still checks the bytes through `Content-MD5`.
 */
function bodyOf(data: Buffer): Readable {
  const views: Buffer[] = [];
  for (let i = 0; i < data.length; i += 256 * 1024) views.push(data.subarray(i, i + 256 * 1024));
  return Readable.from(views, { objectMode: false, highWaterMark: 256 * 1024 });
}

/** Iterates any {@link ObjectBody} as byte chunks. */
async function* chunksOf(body: ObjectBody): AsyncGenerator<Uint8Array> {
  if (typeof body === 'string') {
    yield Buffer.from(body, 'utf8');
  } else if (body instanceof Uint8Array) {
    yield body;
  } else {
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    }
  }
}

/**
 * A content-addressed object store in an S3 bucket (AWS S3, MinIO, R2, Ceph…), with the same contract as core's
 * `fsObjectStore`: objects named `<prefix>ab/cdef…` by the sha256 of their bytes, hashed while streaming in,
 * verified while streaming out (`CHECKSUM_MISMATCH`). Small bodies are written with one PutObject; large streams are
 * uploaded in parts to a temporary key and copied to their content address once the digest is known.
 *
 * @example
 * const remote = s3ObjectStore({ bucket: 'ml-artifacts', prefix: 'objects/' });
 * await pushDataset({ pointer: 'data/tickets.csv.mlops.json', objects, remote });
 */
export function s3ObjectStore(options: S3ObjectStoreOptions): S3ObjectStore {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const details = zodIssues(parsed.error);
    throw invalidInput('invalid s3ObjectStore options', details);
  }
  const o = parsed.data;
  const bucket = o.bucket;
  const prefix = o.prefix === '' || o.prefix.endsWith('/') ? o.prefix : `${o.prefix}/`;
  const client =
    options.client ??
    new S3Client({
      ...(o.timeoutMs > 0 ? { requestHandler: { connectionTimeout: o.timeoutMs, socketTimeout: o.timeoutMs } } : {}),
      ...options.clientConfig,
      ...(o.region ? { region: o.region } : o.endpoint ? { region: 'us-east-1' } : {}),
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      forcePathStyle: o.forcePathStyle,
    });
  const name = `s3://${bucket}/${prefix}`;

  const keyOf = (digest: string) => {
    const hex = toHex(parseDigest(digest));
    return `${prefix}${hex.slice(0, 2)}/${hex.slice(2)}`;
  };
  const notFound = (digest: string, cause?: unknown) =>
    new MlopsError('NOT_FOUND', {
      message: `object ${digest} not found in ${name}`,
      details: { digest },
      ...(cause ? { cause } : {}),
    });
  const s3Failed = (what: string, err: unknown) =>
    isMlopsError(err)
      ? err
      : new MlopsError((err as SdkError)?.name === 'TimeoutError' ? 'TIMEOUT' : 'UPSTREAM_ERROR', {
          message: `${what} in ${name} failed: ${(err as Error)?.message ?? String(err)}`,
          details: { bucket, ...(statusOf(err) ? { status: statusOf(err) } : {}) },
          cause: err,
        });

  /**
   * A HEAD's 404 has no body to tell a missing key from a missing bucket: after one, the bucket is asked about once
   * (HeadBucket; a success is remembered). Only a 404 for the bucket itself is an error; any other answer (403 without
   * `s3:ListBucket`, a network error) leaves the object missing, as before.
   */
  let bucketSeen: Promise<boolean> | undefined;
  async function assertBucketExists(cause: unknown): Promise<void> {
    bucketSeen ??= client.send(new HeadBucketCommand({ Bucket: bucket })).then(
      () => true,
      (err: unknown) =>
        !(statusOf(err) === 404 || ['NoSuchBucket', 'NotFound'].includes((err as SdkError)?.name ?? '')),
    );
    const seen = bucketSeen;
    if (await seen) return;
    if (bucketSeen === seen) bucketSeen = undefined; // it may be created later: ask again next time
    throw new MlopsError('UPSTREAM_ERROR', {
      message: `bucket ${bucket} does not exist (${name})`,
      details: { bucket, status: 404 },
      cause,
    });
  }

  async function copyToFinal(tmpKey: string, finalKey: string, size: number): Promise<void> {
    const source = `${bucket}/${tmpKey.split('/').map(encodeURIComponent).join('/')}`;
    if (size <= MAX_SINGLE_COPY) {
      await client.send(new CopyObjectCommand({ Bucket: bucket, Key: finalKey, CopySource: source }));
      return;
    }
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: finalKey }));
    try {
      const parts: { ETag: string | undefined; PartNumber: number }[] = [];
      for (let start = 0, n = 1; start < size; start += COPY_PART, n++) {
        const end = Math.min(size, start + COPY_PART) - 1;
        const r = await client.send(
          new UploadPartCopyCommand({
            Bucket: bucket,
            Key: finalKey,
            UploadId,
            PartNumber: n,
            CopySource: source,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts.push({ ETag: r.CopyPartResult?.ETag, PartNumber: n });
      }
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: finalKey,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (err) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: finalKey, UploadId })).catch(() => {});
      throw err;
    }
  }

  async function put(body: ObjectBody, putOpts: PutOptions = {}): Promise<PutResult> {
    const expected = putOpts.expectedDigest === undefined ? undefined : parseDigest(putOpts.expectedDigest);
    const signal = putOpts.signal;
    const aborted = (cause?: unknown) =>
      new MlopsError('ABORTED', { message: `put into ${name} aborted`, ...(cause ? { cause } : {}) });
    if (signal?.aborted) throw aborted(signal.reason);

    const hash = createHash('sha256');
    let size = 0;
    const source = chunksOf(body)[Symbol.asyncIterator]();
    // 1. Buffer up to singlePutLimit: small bodies never touch a temporary key.
    const head: Uint8Array[] = [];
    let ended = false;
    try {
      while (size <= o.singlePutLimit) {
        const r = await source.next();
        if (signal?.aborted) throw aborted(signal.reason);
        if (r.done) {
          ended = true;
          break;
        }
        hash.update(r.value);
        size += r.value.length;
        head.push(r.value);
      }
    } catch (err) {
      await source.return?.(undefined);
      throw isMlopsError(err) ? err : s3Failed('reading the body of a put', err);
    }

    if (ended) {
      const digest: Digest = `sha256:${hash.digest('hex')}`;
      if (expected !== undefined && digest !== expected)
        throw checksumMismatch(expected, digest, size, `put into ${name}`);
      const bytes = Buffer.concat(head);
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: keyOf(digest),
            Body: bytes,
            ContentLength: bytes.length,
            ContentType: 'application/octet-stream',
            ChecksumSHA256: Buffer.from(toHex(digest), 'hex').toString('base64'),
          }),
          signal ? { abortSignal: signal } : {},
        );
      } catch (err) {
        if (signal?.aborted) throw aborted(err);
        throw s3Failed('put', err);
      }
      return { digest, size };
    }

    // 2. Large: stream the rest through the hash into a multipart upload to a temporary key, then copy it to its
    // content address (known only now) and delete the temporary key.
    async function* rest(): AsyncGenerator<Uint8Array> {
      // shift(), not a loop over the array: each buffered chunk is released as soon as it has been consumed.
      for (let c = head.shift(); c !== undefined; c = head.shift()) yield c;
      for (;;) {
        const r = await source.next();
        if (signal?.aborted) throw aborted(signal.reason);
        if (r.done) return;
        hash.update(r.value);
        size += r.value.length;
        yield r.value;
      }
    }
    const tmpKey = `${prefix}${TMP}${Date.now()}-${randomUUID()}.partial`;
    let uploaded = false;
    try {
      await multipartUpload(tmpKey, rest(), signal);
      uploaded = true;
      if (signal?.aborted) throw aborted(signal.reason);
      const digest: Digest = `sha256:${hash.digest('hex')}`;
      if (expected !== undefined && digest !== expected)
        throw checksumMismatch(expected, digest, size, `put into ${name}`);
      await copyToFinal(tmpKey, keyOf(digest), size);
      return { digest, size };
    } catch (err) {
      await source.return?.(undefined)?.catch(() => {});
      if (signal?.aborted && !isMlopsError(err)) throw aborted(err);
      throw s3Failed('multipart put', err);
    } finally {
      if (uploaded) {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: tmpKey })).catch(() => {});
      }
    }
  }

  /**
   * Uploads a stream as a multipart upload with at most `queueSize` parts in flight and one part being filled, each
   * in its own exact-size buffer, so memory stays at `partSize × (queueSize + 1)` whatever the chunk sizes. (This is
   * what `@aws-sdk/lib-storage`'s `Upload` does too, but its chunker keeps concatenated buffers alive through
   * subarrays, which about doubles that figure.) Any failure aborts the upload.
   */
  async function multipartUpload(key: string, chunks: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
    const partSize = o.partSize;
    const created = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/octet-stream' }),
      signal ? { abortSignal: signal } : {},
    );
    const UploadId = created.UploadId;
    const parts: { ETag: string | undefined; PartNumber: number }[] = [];
    const inflight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    let partNumber = 0;
    // Part buffers are recycled: at most queueSize + 1 are ever allocated, and no garbage is left for the GC to sweep.
    const free: Buffer<ArrayBuffer>[] = [];
    const sendPart = async (buffer: Buffer<ArrayBuffer>, length: number) => {
      const n = ++partNumber;
      if (n > MAX_PARTS) {
        throw new MlopsError('INVALID_INPUT', {
          message: `object too large for partSize ${partSize}: more than ${MAX_PARTS} parts (raise partSize)`,
        });
      }
      const data = buffer.subarray(0, length);
      const p: Promise<void> = client
        .send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId,
            PartNumber: n,
            Body: bodyOf(data),
            ContentLength: data.length,
            ContentMD5: createHash('md5').update(data).digest('base64'),
          }),
          signal ? { abortSignal: signal } : {},
        )
        .then(
          (r) => {
            parts.push({ ETag: r.ETag, PartNumber: n });
            free.push(buffer);
          },
          (error: unknown) => {
            failure ??= { error };
          },
        )
        .finally(() => inflight.delete(p));
      inflight.add(p);
      while (inflight.size >= o.queueSize) await Promise.race(inflight);
      if (failure) throw failure.error;
    };
    try {
      let buf = Buffer.allocUnsafe(partSize);
      let filled = 0;
      for await (const chunk of chunks) {
        let off = 0;
        while (off < chunk.length) {
          const n = Math.min(chunk.length - off, partSize - filled);
          buf.set(chunk.subarray(off, off + n), filled);
          filled += n;
          off += n;
          if (filled === partSize) {
            await sendPart(buf, partSize);
            buf = free.pop() ?? Buffer.allocUnsafe(partSize);
            filled = 0;
          }
        }
      }
      if (filled > 0 || partNumber === 0) await sendPart(buf, filled);
      await Promise.all(inflight);
      if (failure) throw failure.error;
      parts.sort((a, b) => a.PartNumber - b.PartNumber);
      await client.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (err) {
      await Promise.allSettled(inflight);
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => {});
      throw err;
    }
  }

  async function open(d: Digest): Promise<AsyncIterable<Uint8Array>> {
    try {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(d) }));
      if (!res.Body) throw notFound(d);
      return res.Body as AsyncIterable<Uint8Array>;
    } catch (err) {
      if (isNotFound(err)) throw notFound(d, err);
      throw s3Failed(`get ${d}`, err);
    }
  }

  function get(digest: string): Readable {
    const d = parseDigest(digest);
    async function* read(): AsyncGenerator<Uint8Array> {
      const body = await open(d);
      const hash = createHash('sha256');
      let n = 0;
      try {
        for await (const chunk of body) {
          hash.update(chunk);
          n += chunk.length;
          yield chunk;
        }
      } catch (err) {
        // The response broke off (connection reset, timeout) after its headers.
        throw s3Failed(`get ${d}`, err);
      }
      const actual: Digest = `sha256:${hash.digest('hex')}`;
      if (actual !== d) throw checksumMismatch(d, actual, n, name);
    }
    return Readable.from(read(), { objectMode: false, highWaterMark: MiB });
  }

  async function readBytes(digest: string): Promise<Buffer> {
    const d = parseDigest(digest);
    const parts: Uint8Array[] = [];
    const hash = createHash('sha256');
    try {
      for await (const chunk of await open(d)) {
        hash.update(chunk);
        parts.push(chunk);
      }
    } catch (err) {
      // NOT_FOUND from open() passes through; a response that broke off after its headers is UPSTREAM_ERROR.
      throw s3Failed(`get ${d}`, err);
    }
    const buf = Buffer.concat(parts);
    const actual: Digest = `sha256:${hash.digest('hex')}`;
    if (actual !== d) throw checksumMismatch(d, actual, buf.length, name);
    return buf;
  }

  async function stat(digest: string): Promise<ObjectStat | undefined> {
    const d = parseDigest(digest);
    try {
      const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: keyOf(d) }));
      return { digest: d, size: h.ContentLength ?? 0, mtime: h.LastModified ?? new Date(0) };
    } catch (err) {
      if (!isNotFound(err)) throw s3Failed(`stat ${d}`, err);
      await assertBucketExists(err);
      return undefined;
    }
  }

  /**
   * Renews an object's `LastModified` without sending its bytes: a copy onto itself (metadata replaced), which S3 and
   * most compatible servers date now; a server that keeps the old date (or an object too large for one copy) gets a
   * copy to a temporary key and back.
   */
  async function freshenOne(d: Digest): Promise<boolean> {
    const before = await stat(d);
    if (!before) return false;
    const key = keyOf(d);
    const sourceOf = (k: string) => `${bucket}/${k.split('/').map(encodeURIComponent).join('/')}`;
    try {
      if (before.size <= MAX_SINGLE_COPY) {
        const r = await client.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: key,
            CopySource: sourceOf(key),
            MetadataDirective: 'REPLACE',
            ContentType: 'application/octet-stream',
          }),
        );
        const at = r.CopyObjectResult?.LastModified;
        if (at && at.getTime() > before.mtime.getTime()) return true;
      }
      const tmpKey = `${prefix}${TMP}${Date.now()}-${randomUUID()}.partial`;
      try {
        await copyToFinal(key, tmpKey, before.size);
        await copyToFinal(tmpKey, key, before.size);
      } finally {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: tmpKey })).catch(() => {});
      }
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw s3Failed(`freshen ${d}`, err);
    }
  }

  function freshen(digests: readonly string[], opts: BatchOptions = {}): Promise<boolean[]> {
    const ds = digests.map(parseDigest);
    return mapLimit(ds, opts.concurrency ?? DEFAULT_CONCURRENCY, (d) => freshenOne(d), opts.signal);
  }

  async function del(digest: string): Promise<boolean> {
    const d = parseDigest(digest);
    // S3's DeleteObject succeeds whether or not the key exists: ask first to report it.
    const existed = (await stat(d)) !== undefined;
    if (!existed) return false;
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOf(d) }));
    } catch (err) {
      throw s3Failed(`delete ${d}`, err);
    }
    return true;
  }

  async function* listKeys(under: string): AsyncGenerator<{ key: string; size: number; mtime: Date | undefined }> {
    try {
      for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: under })) {
        for (const c of page.Contents ?? []) {
          if (c.Key) yield { key: c.Key, size: c.Size ?? 0, mtime: c.LastModified };
        }
      }
    } catch (err) {
      throw s3Failed('list', err);
    }
  }

  /** The keys of one shard (`<prefix>ab/`), up to `maxPages` pages: `truncated` when there are more. */
  async function listShard(
    shard: string,
    maxPages: number,
  ): Promise<{ keys: Map<string, { size: number; mtime: Date }>; pages: number; truncated: boolean }> {
    const keys = new Map<string, { size: number; mtime: Date }>();
    let pages = 0;
    try {
      for await (const page of paginateListObjectsV2(
        { client, pageSize: 1000 },
        { Bucket: bucket, Prefix: `${prefix}${shard}/` },
      )) {
        pages++;
        for (const c of page.Contents ?? []) {
          if (c.Key) keys.set(c.Key, { size: c.Size ?? 0, mtime: c.LastModified ?? new Date(0) });
        }
        if (pages >= maxPages && page.IsTruncated) return { keys, pages, truncated: true };
      }
    } catch (err) {
      throw s3Failed('list', err);
    }
    return { keys, pages, truncated: false };
  }

  async function statMany(digests: readonly string[], opts: BatchOptions = {}): Promise<(ObjectStat | undefined)[]> {
    const ds = digests.map(parseDigest);
    const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
    const head = () => mapLimit(ds, concurrency, (d) => stat(d), opts.signal);
    if (ds.length < LIST_MIN) return head();
    const shards = [...new Set(ds.map((d) => toHex(d).slice(0, 2)))].sort();
    // Probe one shard: if it fits in a page or two, listing every needed shard is far cheaper than a HEAD per object.
    const probe = await listShard(shards[0] as string, 2);
    if (probe.truncated || shards.length * probe.pages * LIST_COST >= ds.length) return head();
    const found = new Map(probe.keys);
    await mapLimit(
      shards.slice(1),
      Math.min(concurrency, LIST_CONCURRENCY),
      async (shard) => {
        for (const [k, v] of (await listShard(shard, Number.POSITIVE_INFINITY)).keys) found.set(k, v);
      },
      opts.signal,
    );
    return ds.map((d) => {
      const hit = found.get(keyOf(d));
      return hit ? { digest: d, size: hit.size, mtime: hit.mtime } : undefined;
    });
  }

  async function checkMany(items: readonly CheckItem[], opts: CheckManyOptions = {}): Promise<ObjectState[]> {
    const stats = await statMany(
      items.map((it) => it.digest),
      opts,
    );
    const states: ObjectState[] = stats.map((s, i) => {
      if (!s) return 'missing';
      const size = (items[i] as CheckItem).size;
      return size !== undefined && s.size !== size ? 'corrupted' : 'intact';
    });
    if (!opts.verify) return states;
    const present = states.flatMap((s, i) => (s === 'intact' ? [i] : []));
    await mapLimit(
      present,
      opts.concurrency ?? DEFAULT_CONCURRENCY,
      async (i) => {
        const it = items[i] as CheckItem;
        states[i] = await checkObject(store, it.digest, {
          ...(it.size === undefined ? {} : { size: it.size }),
          verify: true,
          ...(opts.onBytes ? { onBytes: opts.onBytes } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      },
      opts.signal,
    );
    return states;
  }

  async function* list(): AsyncGenerator<Digest> {
    for await (const { key } of listKeys(prefix)) {
      const m = KEY_RE.exec(key.slice(prefix.length));
      if (m) yield `sha256:${m[1]}${m[2]}`;
    }
  }

  async function cleanTemp(opts: CleanTempOptions): Promise<CleanTempResult> {
    const cutoff = Date.now() - opts.olderThanMs;
    const removed: string[] = [];
    let bytes = 0;
    for await (const { key, size, mtime } of listKeys(`${prefix}${TMP}`)) {
      // Only what a put leaves (`tmp/<name>.partial`): other keys under tmp/ are not the store's (a bucket shared at its
      // root with other applications).
      if (!TMP_NAME_RE.test(key.slice(prefix.length + TMP.length))) continue;
      if (!mtime || mtime.getTime() > cutoff) continue;
      if (!opts.dryRun) {
        const ok = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).then(
          () => true,
          () => false,
        );
        if (!ok) continue;
      }
      removed.push(key.slice(prefix.length + TMP.length));
      bytes += size;
    }
    return { removed, bytes };
  }

  const store: S3ObjectStore = {
    name,
    bucket,
    prefix,
    client,
    keyOf,
    put,
    get,
    readBytes,
    has: async (digest) => (await stat(digest)) !== undefined,
    stat,
    statMany,
    checkMany,
    delete: del,
    freshen,
    list,
    cleanTemp,
  };
  return store;
}
