// Runs s3rver in its own process (so its memory never counts against the store under test) and prints its port.
// Usage: node s3rver-process.mjs <directory> <bucket>
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({
  port: 0,
  address: '127.0.0.1',
  silent: true,
  directory,
  configureBuckets: [{ name: bucket }],
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
// Exit as soon as the parent closes stdin (or dies): closing the server would wait for idle keep-alive sockets.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
