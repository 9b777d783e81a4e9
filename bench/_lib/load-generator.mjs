// The load generator of the HTTP benchmarks, run in its own process (bench/_lib/serve.mjs forks it) so autocannon
// never shares an event loop with the server it measures. Reads its options as JSON from argv[2], prints one JSON
// line with the result on stdout.
import autocannon from 'autocannon';

const o = JSON.parse(process.argv[2]);
const r = await autocannon({
  url: o.url,
  method: o.method ?? 'POST',
  connections: o.connections,
  duration: o.seconds,
  headers: { 'content-type': 'application/json', ...(o.headers ?? {}) },
  body: o.body,
  // Latency of 2xx responses only (the accepted requests), when asked: what an overload test measures.
  excludeErrorStats: o.excludeErrorStats ?? false,
  timeout: o.timeout ?? 10,
});
process.stdout.write(
  `${JSON.stringify({
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    bad: r.non2xx + r.errors + r.timeouts,
    total: r.requests.total,
    ok: r['2xx'],
    seconds: r.duration,
    statusCodes: r.statusCodeStats,
  })}\n`,
);
