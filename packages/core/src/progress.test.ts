import { describe, expect, it } from 'vitest';
import { MlopsError } from './errors.js';
import { createProgress, formatBytes, formatDuration, type ProgressStream } from './progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream: ProgressStream = { isTTY, write: (s: string) => writes.push(s) };
  return { stream, writes };
}

function fakeClock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const MiB = 1 << 20;

describe('createProgress on a TTY', () => {
  it('redraws one line with percentage, rate and ETA, at most every redrawMs', () => {
    const { stream, writes } = fakeStream(true);
    const clock = fakeClock();
    const p = createProgress({ label: 'hash big.bin', total: 100 * MiB, unit: 'bytes', stream, now: clock.now });
    expect(writes).toHaveLength(1);
    // 50 ticks 1 ms apart: only the ones 100 ms after the last redraw are drawn.
    for (let i = 0; i < 50; i++) {
      clock.advance(1);
      p.tick(MiB);
    }
    expect(writes).toHaveLength(1);
    clock.advance(50);
    p.tick(0);
    expect(writes).toHaveLength(2);
    const line = writes[1] as string;
    expect(line.startsWith('\r\x1b[2K')).toBe(true);
    expect(line).not.toContain('\n');
    expect(line).toContain('hash big.bin');
    expect(line).toContain('50.0%');
    expect(line).toContain('50.0 MiB / 100.0 MiB');
    expect(line).toContain('500.0 MiB/s'); // 50 MiB in 100 ms
    expect(line).toContain('ETA 0.1s');
    p.set(100 * MiB);
    p.done();
    const last = writes.at(-1) as string;
    expect(last.endsWith('\n')).toBe(true);
    expect(last).toContain('done 100.0 MiB');
    const count = writes.length;
    p.tick(5);
    p.done();
    expect(writes).toHaveLength(count);
  });

  it('caps redraws at 10 per second however often it ticks', () => {
    const { stream, writes } = fakeStream(true);
    const clock = fakeClock();
    const p = createProgress({ label: 'rows', stream, now: clock.now });
    for (let i = 0; i < 10_000; i++) {
      clock.advance(0.1); // 10,000 ticks over one second
      p.tick();
    }
    // the initial draw + ~10 redraws
    expect(writes.length).toBeGreaterThanOrEqual(10);
    expect(writes.length).toBeLessThanOrEqual(11);
    expect(writes.at(-1)).toContain('rows');
  });

  it('prints the error on fail', () => {
    const { stream, writes } = fakeStream(true);
    const p = createProgress({ label: 'pull', stream, now: fakeClock().now });
    p.fail(new MlopsError('CHECKSUM_MISMATCH', 'bad bytes'));
    expect(writes.at(-1)).toContain('failed');
    expect(writes.at(-1)).toContain('CHECKSUM_MISMATCH: bad bytes');
    expect(writes.at(-1)?.endsWith('\n')).toBe(true);
  });
});

describe('createProgress off a TTY (JSON lines)', () => {
  it('logs start, throttled progress lines, and end', () => {
    const { stream, writes } = fakeStream(false);
    const clock = fakeClock();
    const p = createProgress({ label: 'hash data.csv', total: 1000, unit: 'bytes', stream, now: clock.now });
    for (let i = 0; i < 100; i++) {
      clock.advance(100); // 10 s in total
      p.tick(10);
    }
    p.done({ digest: 'sha256:abc' });
    const lines = writes.map((w) => {
      expect(w.endsWith('\n')).toBe(true);
      return JSON.parse(w);
    });
    expect(lines.map((l) => l.msg)).toEqual(['progress.start', 'progress', 'progress', 'progress.end']);
    expect(lines[0]).toMatchObject({ level: 'info', label: 'hash data.csv', total: 1000, unit: 'bytes' });
    expect(lines[1]).toMatchObject({ done: 500, total: 1000, percent: 50, rate: 100, etaMs: 5000 });
    expect(lines[3]).toMatchObject({ done: 1000, elapsedMs: 10_000, rate: 100, summary: { digest: 'sha256:abc' } });
    expect(new Date(lines[3].time).getTime()).toBe(clock.now());
  });

  it('gives a slow job its rate to three significant digits, not 0 (a tuning study: 3 trials in 20 s)', () => {
    const { stream, writes } = fakeStream(false);
    const clock = fakeClock();
    const p = createProgress({ label: 'study', total: 10, stream, now: clock.now });
    for (let i = 0; i < 3; i++) {
      clock.advance(6_000);
      p.tick();
    }
    clock.advance(2_000);
    p.done();
    const lines = writes.map((w) => JSON.parse(w));
    const progress = lines.filter((l) => l.msg === 'progress');
    expect(progress[0]).toMatchObject({ done: 1, rate: 0.167, etaMs: 54_000 });
    expect(lines.at(-1)).toMatchObject({ msg: 'progress.end', done: 3, rate: 0.15 });
  });

  it('logs a failure with its code', () => {
    const { stream, writes } = fakeStream(false);
    const p = createProgress({ label: 'push', stream, now: fakeClock().now });
    p.tick(3);
    p.fail(new MlopsError('NOT_FOUND', 'missing object'));
    const last = JSON.parse(writes.at(-1) as string);
    expect(last).toMatchObject({
      level: 'error',
      msg: 'progress.fail',
      done: 3,
      error: { code: 'NOT_FOUND', message: 'missing object' },
    });
  });

  it('writes nothing in silent mode but still counts', () => {
    const { stream, writes } = fakeStream(true);
    const p = createProgress({ label: 'quiet', stream, mode: 'silent' });
    p.tick(4);
    p.tick();
    p.done();
    expect(writes).toEqual([]);
    expect(p.value).toBe(5);
  });

  it('honours an explicit mode over the stream kind', () => {
    const { stream, writes } = fakeStream(true);
    createProgress({ label: 'x', stream, mode: 'json', now: fakeClock().now }).done();
    expect(writes.map((w) => JSON.parse(w).msg)).toEqual(['progress.start', 'progress.end']);
  });
});

describe('formatting', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [5 * MiB, '5.0 MiB'],
    [1024 * 1024 * MiB, '1.0 TiB'],
  ])('formatBytes(%d) = %s', (n, s) => expect(formatBytes(n)).toBe(s));
  it.each([
    [4200, '4.2s'],
    [185_000, '3m05s'],
    [3_720_000, '1h02m'],
  ])('formatDuration(%d) = %s', (n, s) => expect(formatDuration(n)).toBe(s));
});
