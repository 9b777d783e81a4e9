import { describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import { type Alert, type AlertSink, consoleAlertSink, createAlert } from './alert-sink.js';
import { columnsLength, columnsToRecords, isFeatureMatrix, recordsToColumns, toJsonValue } from './columns.js';
import type { Flavor } from './flavor.js';
import type { Predictor } from './predictor.js';
import { noopTelemetry } from './telemetry.js';
import type { RunLike, Trainer } from './trainer.js';

describe('columns', () => {
  it.each([
    [new Float32Array([1.5, Number.NaN]), [1.5, null]],
    [new BigInt64Array([1n, 2n ** 60n]), [1, String(2n ** 60n)]],
    [
      [new Int32Array([1, 2]), null, true, 'a'],
      [[1, 2], null, true, 'a'],
    ],
    [
      { d: new Date('2026-01-01T00:00:00Z'), n: Infinity },
      { d: '2026-01-01T00:00:00.000Z', n: null },
    ],
  ])('toJsonValue(%o) is JSON-safe', (input, expected) => {
    expect(toJsonValue(input)).toEqual(expected);
  });

  it('splits columns into records and back', () => {
    const cols = { x: new Float64Array([1, 2]), c: ['a', 'b'] };
    const recs = columnsToRecords(cols);
    expect(recs).toEqual([
      { x: 1, c: 'a' },
      { x: 2, c: 'b' },
    ]);
    expect(recordsToColumns([{ x: 1 }, { c: 'b' }])).toEqual({ x: [1, null], c: [null, 'b'] });
    expect(columnsLength(cols)).toBe(2);
    expect(() => columnsLength({ a: [1], b: [1, 2] })).toThrow(RangeError);
  });

  it('tells a feature matrix from columns', () => {
    expect(isFeatureMatrix({ columns: [], nRows: 1, nCols: 0, data: new Float64Array() })).toBe(true);
    expect(isFeatureMatrix({ nRows: [1], nCols: [2] })).toBe(false);
  });
});

describe('alerts', () => {
  it('createAlert fills defaults and derives a stable dedupe key from title and labels', () => {
    const a = createAlert({ severity: 'warning', title: 'Drift', message: 'psi 0.3', labels: { b: '2', a: '1' } });
    const b = createAlert({ severity: 'critical', title: 'Drift', message: 'other', labels: { a: '1', b: '2' } });
    const c = createAlert({ severity: 'warning', title: 'Drift', message: 'psi 0.3', labels: { a: '9' } });
    expect(a.dedupeKey).toBe(b.dedupeKey);
    expect(a.dedupeKey).not.toBe(c.dedupeKey);
    expect(a.time).toBeInstanceOf(Date);
  });

  it('createAlert rejects a bad alert with field paths', () => {
    try {
      createAlert({ severity: 'loud' as never, title: '', message: 'x' });
      expect.unreachable();
    } catch (err) {
      expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
      const paths = ((err as { details: { path: string }[] }).details ?? []).map((d) => d.path);
      expect(paths).toEqual(expect.arrayContaining(['severity', 'title']));
    }
  });

  it('console sink writes one line per alert, as text or JSON', async () => {
    const lines: string[] = [];
    const alert = createAlert({
      severity: 'critical',
      title: 'Accuracy dropped',
      message: '0.71 < 0.80',
      labels: { model: 'tickets' },
      time: '2026-03-01T10:00:00Z',
    });
    await consoleAlertSink({ write: (l) => lines.push(l) }).send(alert);
    await consoleAlertSink({ write: (l) => lines.push(l), json: true }).send(alert);
    expect(lines[0]).toBe('[mlops] 2026-03-01T10:00:00.000Z CRITICAL Accuracy dropped: 0.71 < 0.80 {model=tickets}');
    expect(JSON.parse(lines[1]!)).toMatchObject({ severity: 'critical', time: '2026-03-01T10:00:00.000Z' });
  });

  it('console sink: JSON lines on a stream that is not a terminal, human lines on one; a multi-line message stays one entry', async () => {
    const sink = (isTTY: boolean) => {
      const stream = () => {
        const st = {
          isTTY,
          text: '',
          write(s: string) {
            st.text += s;
          },
        };
        return st;
      };
      const out = stream();
      const err = stream();
      return { out, err, alerts: consoleAlertSink({ stdout: out, stderr: err }) };
    };
    const retrained = createAlert({
      severity: 'info',
      title: 'Retrained tickets',
      message: 'data drift: 1 of 1 features drifted\nv1 → v2',
      labels: { model: 'tickets' },
      time: '2026-03-01T10:00:00Z',
    });
    const piped = sink(false);
    await piped.alerts.send(retrained);
    await piped.alerts.send({ ...retrained, severity: 'critical' });
    const lines = piped.out.text.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      time: '2026-03-01T10:00:00.000Z',
      level: 'info',
      msg: 'Retrained tickets',
      severity: 'info',
      message: 'data drift: 1 of 1 features drifted\nv1 → v2',
      labels: { model: 'tickets' },
    });
    expect(JSON.parse(piped.err.text)).toMatchObject({ level: 'error', severity: 'critical' });

    const terminal = sink(true);
    await terminal.alerts.send(retrained);
    expect(terminal.out.text).toBe(
      '[mlops] 2026-03-01T10:00:00.000Z INFO Retrained tickets: data drift: 1 of 1 features drifted\n  v1 → v2 {model=tickets}\n',
    );
    expect(terminal.err.text).toBe('');
  });

  it('a plugin sink is a plain object', async () => {
    const sent: Alert[] = [];
    const sink: AlertSink = { name: 'memory', send: async (a) => void sent.push(a) };
    await sink.send(createAlert({ severity: 'info', title: 't', message: 'm' }));
    expect(sent).toHaveLength(1);
  });
});

describe('telemetry and other contracts', () => {
  it('noopTelemetry runs the span function, returns its value and propagates its error', async () => {
    const value = await noopTelemetry.startSpan('s', { a: 1 }, (span) => {
      span.setAttribute('b', 2);
      return 42;
    });
    expect(value).toBe(42);
    await expect(
      noopTelemetry.startSpan('s', {}, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    noopTelemetry.counter('c').add(1, { x: 'y' });
    noopTelemetry.histogram('h', { unit: 'ms' }).record(3);
  });

  it('flavor, predictor and trainer are implementable as plain objects', async () => {
    const logged: [string, unknown][] = [];
    const run: RunLike = { logMetric: (k, v) => logged.push([k, v]), logParam: (k, v) => logged.push([k, v]) };
    const trainer: Trainer<{ scale: number }, { scale: number }> = {
      name: 'test/scale',
      async fit(_data, params, ctx) {
        ctx?.run?.logParam('scale', params.scale);
        ctx?.progress?.tick();
        return params;
      },
    };
    const model = await trainer.fit({ x: { v: [1] } }, { scale: 3 }, { run });
    const flavor: Flavor<{ scale: number }> = {
      name: 'test/scale',
      save: async (m) => ({ files: {}, config: { scale: m.scale } }),
      load: async (files, ctx): Promise<Predictor<never>> => ({
        signature: ctx.signature,
        batchable: true,
        predict: async () => ({ y: [files.config?.scale] }),
      }),
    };
    const files = await flavor.save(model);
    const p = await flavor.load(files, { signature: { inputs: [], outputs: [] }, preprocessed: false });
    expect(await p.predict({ v: [1] })).toEqual({ y: [3] });
    expect(logged).toEqual([['scale', 3]]);
  });
});
