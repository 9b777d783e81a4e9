import { describe, expect, it } from 'vitest';
import { createLifecycle, type LifecycleOptions } from './lifecycle.js';

function setup(overrides: Partial<LifecycleOptions> = {}) {
  const events: string[] = [];
  const gauge = { value: 0, inc: () => gauge.value++, dec: () => gauge.value-- };
  const lifecycle = createLifecycle({
    drainTimeoutMs: 5_000,
    host: '127.0.0.1',
    inFlightGauge: gauge,
    checkAddress: () => {},
    afterDrain: async () => {
      events.push('afterDrain');
    },
    onError: (err) => events.push(`error ${String(err)}`),
    ...overrides,
  });
  return { lifecycle, events, gauge };
}

describe('createLifecycle', () => {
  it('counts requests in flight and follows them with the gauge', () => {
    const { lifecycle, gauge } = setup();
    lifecycle.enter();
    lifecycle.enter();
    expect([lifecycle.inFlight, gauge.value]).toEqual([2, 2]);
    lifecycle.leave();
    expect([lifecycle.inFlight, gauge.value]).toEqual([1, 1]);
  });

  it('shutdown waits for the requests in flight, then runs afterDrain once', async () => {
    const { lifecycle, events } = setup();
    lifecycle.enter();
    const done = lifecycle.shutdown();
    expect(lifecycle.closing).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([]);
    lifecycle.leave();
    await done;
    expect(events).toEqual(['afterDrain']);
    await lifecycle.shutdown();
    await lifecycle.close();
    expect(events).toEqual(['afterDrain']);
  });

  it('shutdown gives up waiting after drainTimeoutMs', async () => {
    const { lifecycle, events } = setup({ drainTimeoutMs: 10 });
    lifecycle.enter();
    await lifecycle.shutdown();
    expect(events).toEqual(['afterDrain']);
    expect(lifecycle.inFlight).toBe(1);
  });

  it('listen binds 127.0.0.1, answers, and close() stops the listener and removes its signal handlers', async () => {
    const { lifecycle, events } = setup();
    const before = process.listenerCount('SIGUSR2');
    const http = await lifecycle.listen((_req, res) => res.end('ok'), { port: 0, signals: ['SIGUSR2'] });
    expect(http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    expect(await (await fetch(http.url)).text()).toBe('ok');
    await lifecycle.close();
    expect(http.server.listening).toBe(false);
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    expect(events).toEqual(['afterDrain']);
  });

  it('a refused address never opens a port', async () => {
    const checked: string[] = [];
    const { lifecycle } = setup({
      checkAddress: (address) => {
        checked.push(address);
        throw new Error(`refused ${address}`);
      },
    });
    await expect(lifecycle.listen(() => {}, { port: 0, signals: [] })).rejects.toThrow('refused 127.0.0.1');
    expect(checked).toEqual(['127.0.0.1']);
  });

  it('the bound address is checked too, and the listener closed when refused', async () => {
    const checked: string[] = [];
    const { lifecycle } = setup({
      checkAddress: (address) => {
        checked.push(address);
        if (checked.length === 2) throw new Error('refused after binding');
      },
    });
    await expect(lifecycle.listen(() => {}, { port: 0, host: 'localhost', signals: [] })).rejects.toThrow(
      'refused after binding',
    );
    expect(checked[0]).toBe('localhost');
    expect(checked[1]).toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});
