import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { formatDigest } from '../objects/digest.js';
import type { Digest } from '../objects/object-store.js';
import type { TabularStatsSink } from './stats.js';

const CHUNK = 1 << 20;

/** Streams a file through sha256 (1 MiB reads), reporting bytes and feeding an optional statistics sink. */
export async function hashFile(
  path: string,
  opts: { onBytes?: (n: number) => void; stats?: TabularStatsSink; signal?: AbortSignal } = {},
): Promise<{ digest: Digest; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const stream = createReadStream(path, { highWaterMark: CHUNK, ...(opts.signal ? { signal: opts.signal } : {}) });
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    hash.update(buf);
    size += buf.length;
    opts.onBytes?.(buf.length);
    if (opts.stats) await opts.stats.write(buf);
  }
  return { digest: formatDigest(hash), size };
}
