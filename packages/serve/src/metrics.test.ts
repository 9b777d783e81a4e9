import { describe, expect, it } from 'vitest';
import { createServerMetrics } from './metrics.js';

const sources = { queue: () => ({ active: 0, queued: 0 }), models: () => [] };

describe('createServerMetrics', () => {
  it("exports Node's process metrics under prom-client's standard names (process_*, nodejs_*)", async () => {
    const text = await createServerMetrics(sources, { defaultMetrics: true }).registry.metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^process_start_time_seconds /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
    expect(text).not.toContain('mlops_process_');
  });

  it('defaultMetrics false leaves them out', async () => {
    const text = await createServerMetrics(sources, { defaultMetrics: false }).registry.metrics();
    expect(text).not.toMatch(/^(process|nodejs)_/m);
    expect(text).toContain('mlops_http_requests_total');
  });

  it('the in-flight gauge reads its source when scraped (the request path only counts)', async () => {
    let n = 3;
    const m = createServerMetrics({ ...sources, inFlight: () => n }, { defaultMetrics: false });
    expect(await m.registry.metrics()).toMatch(/^mlops_http_requests_in_flight 3$/m);
    n = 0;
    expect(await m.registry.metrics()).toMatch(/^mlops_http_requests_in_flight 0$/m);
  });
});
