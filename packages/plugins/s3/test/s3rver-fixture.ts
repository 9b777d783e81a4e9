import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';

/** A real S3-compatible server (s3rver, files in a temporary folder) on 127.0.0.1 and a client for it. */
export interface S3rverFixture {
  endpoint: string;
  bucket: string;
  /** The folder where s3rver keeps its buckets (`<directory>/<bucket>/…`). */
  directory: string;
  client: S3Client;
  /** Options for `s3ObjectStore` that build their own client against this server. */
  connection: {
    endpoint: string;
    region: string;
    forcePathStyle: true;
    credentials: { accessKeyId: string; secretAccessKey: string };
    clientConfig: { requestChecksumCalculation: 'WHEN_REQUIRED'; responseChecksumValidation: 'WHEN_REQUIRED' };
  };
  stop(): Promise<void>;
}

/**
 * Starts s3rver on port 0 with one bucket (names need ≥ 3 characters), in a child process: the memory-bound checks of
 * the conformance suite then measure the store, not the server. The child exits when its stdin closes.
 */
export async function startS3rver(bucket = 'mlops-test'): Promise<S3rverFixture> {
  const directory = mkdtempSync(join(tmpdir(), 'mlops-s3rver-'));
  const script = fileURLToPath(new URL('./s3rver-process.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, directory, bucket], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`s3rver exited with ${code}`);
    }),
  ])) as [string];
  const { port } = JSON.parse(first) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const connection = {
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true as const,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // s3rver predates the SDK's default CRC32 checksums (aws-chunked bodies with trailers): only send them on demand.
    clientConfig: {
      requestChecksumCalculation: 'WHEN_REQUIRED' as const,
      responseChecksumValidation: 'WHEN_REQUIRED' as const,
    },
  };
  const client = new S3Client({
    endpoint,
    region: connection.region,
    forcePathStyle: true,
    credentials: connection.credentials,
    ...connection.clientConfig,
  });
  return {
    endpoint,
    bucket,
    directory,
    client,
    connection,
    async stop() {
      client.destroy();
      const exited = once(child, 'exit');
      child.stdin?.end();
      await exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
