import { describe, expect, it } from 'vitest';
import { isDatasetError } from './errors.js';
import { parseSecomFeatures, parseSecomLabels } from './secom.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return isDatasetError(err) ? err.code : String(err);
  }
  return 'no error';
};

describe('parseSecomLabels', () => {
  it('reads labels and day-first timestamps as UTC, with CRLF line endings', () => {
    const text = '-1 "19/07/2008 11:55:00"\r\n1 "01/08/2008 05:06:07"\r\n';
    const { labels, timestamps } = parseSecomLabels(text);
    expect(labels).toEqual([-1, 1]);
    expect(timestamps.map((d) => d.toISOString())).toEqual(['2008-07-19T11:55:00.000Z', '2008-08-01T05:06:07.000Z']);
  });

  it.each([
    ['a label other than -1/1', '0 "19/07/2008 11:55:00"\r\n'],
    ['an unquoted timestamp', '-1 19/07/2008 11:55:00\r\n'],
    ['an impossible date', '-1 "31/02/2008 11:55:00"\r\n'],
  ])('rejects %s with INVALID_INPUT', (_, text) => {
    expect(codeOf(() => parseSecomLabels(text))).toBe('INVALID_INPUT');
  });
});

describe('parseSecomFeatures', () => {
  const row = (first: string) =>
    [first, ...Array.from({ length: 589 }, (_, j) => (j % 7 === 0 ? 'NaN' : String(j / 4)))].join(' ');

  it('reads 590 space-separated numbers per line with NaN for missing', () => {
    const rows = parseSecomFeatures(`${row('3030.93')}\n${row('-0.0034')}\n`);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveLength(590);
    expect(rows[0]?.[0]).toBe(3030.93);
    expect(rows[1]?.[0]).toBe(-0.0034);
    expect(Number.isNaN(rows[0]?.[1])).toBe(true);
    expect(rows[0]?.[2]).toBe(0.25);
  });

  it('rejects a short line and a non-number with INVALID_INPUT naming the line', () => {
    expect(codeOf(() => parseSecomFeatures(`${row('1')}\n1 2 3\n`))).toBe('INVALID_INPUT');
    expect(() => parseSecomFeatures(`${row('1')}\n1 2 3\n`)).toThrow(/line 2 has 3 values/);
    expect(codeOf(() => parseSecomFeatures(row('abc')))).toBe('INVALID_INPUT');
  });
});
