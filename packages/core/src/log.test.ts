import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, outputMode } from './log.js';
import { createProgress } from './progress.js';

function sink(isTTY: boolean) {
  const s = {
    isTTY,
    text: '',
    write(chunk: string) {
      s.text += chunk;
    },
  };
  return s;
}

const now = () => Date.parse('2026-03-01T10:00:00Z');

describe('createLogger', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('writes one JSON object per line where the stream is not a terminal, with the keys of progress lines', () => {
    const out = sink(false);
    const log = createLogger({ stream: out, now });
    log.info('retrained and promoted v2', { model: 'tickets', accuracy: 0.8123, reasons: ['drift'] });
    log.warn('two lines\nof message');
    log.child({ model: 'tickets' }).error('failed', { code: 'X' });
    createProgress({ label: 'hash', stream: out, now }).done();
    const lines = out.text.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toEqual({
      time: '2026-03-01T10:00:00.000Z',
      level: 'info',
      msg: 'retrained and promoted v2',
      model: 'tickets',
      accuracy: 0.8123,
      reasons: ['drift'],
    });
    expect(parsed[1]).toMatchObject({ level: 'warn', msg: 'two lines\nof message' });
    expect(parsed[2]).toMatchObject({ level: 'error', msg: 'failed', model: 'tickets', code: 'X' });
    for (const p of parsed) expect(Object.keys(p).slice(0, 3)).toEqual(['time', 'level', 'msg']);
  });

  it('writes human lines on a terminal: fields after the message, a multi-line message indented', () => {
    const out = sink(true);
    const log = createLogger({ stream: out, now });
    log.info('registered churn v3', { accuracy: 0.912345, rows: 1200, tags: { a: 1 } });
    log.warn('first\nsecond');
    expect(out.text).toBe('registered churn v3  (accuracy=0.9123 rows=1200 tags={"a":1})\nwarning: first\n  second\n');
  });

  it('MLOPS_PROGRESS overrides auto, and silent writes nothing', () => {
    vi.stubEnv('MLOPS_PROGRESS', 'json');
    expect(outputMode(sink(true))).toBe('json');
    vi.stubEnv('MLOPS_PROGRESS', 'silent');
    const out = sink(false);
    createLogger({ stream: out }).info('x');
    expect(out.text).toBe('');
    expect(outputMode(sink(false), 'tty')).toBe('tty');
  });
});
