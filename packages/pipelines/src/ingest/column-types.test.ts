import { describe, expect, it } from 'vitest';
import { inferCsvColumnType, normalizeHeader, parseCsvCell } from './column-types.js';

describe('parseCsvCell', () => {
  it.each`
    raw                         | type             | value
    ${'42'}                     | ${'integer'}     | ${'42'}
    ${' -7 '}                   | ${'integer'}     | ${'-7'}
    ${''}                       | ${'integer'}     | ${null}
    ${'9223372036854775807'}    | ${'bigint'}      | ${'9223372036854775807'}
    ${'1.5e3'}                  | ${'double'}      | ${'1.5e3'}
    ${'.5'}                     | ${'numeric'}     | ${'.5'}
    ${'Yes'}                    | ${'boolean'}     | ${'true'}
    ${'0'}                      | ${'boolean'}     | ${'false'}
    ${'2024-02-29'}             | ${'date'}        | ${'2024-02-29'}
    ${'2024-02-29 10:00:00+02'} | ${'timestamptz'} | ${'2024-02-29 10:00:00+02'}
    ${'2024-02-29T10:00Z'}      | ${'timestamptz'} | ${'2024-02-29T10:00Z'}
    ${''}                       | ${'text'}        | ${''}
    ${'  keep spaces '}         | ${'text'}        | ${'  keep spaces '}
  `('$raw as $type → $value', ({ raw, type, value }) => {
    expect(parseCsvCell(raw, type)).toEqual({ ok: true, value });
  });

  it.each`
    raw                      | type             | reason
    ${'4.2'}                 | ${'integer'}     | ${'is not an integer'}
    ${'2147483648'}          | ${'integer'}     | ${'out of range for integer'}
    ${'9223372036854775808'} | ${'bigint'}      | ${'out of range for bigint'}
    ${'1,5'}                 | ${'double'}      | ${'is not a number'}
    ${'NaN'}                 | ${'double'}      | ${'is not a number'}
    ${'1e999'}               | ${'double'}      | ${'out of range for double'}
    ${'maybe'}               | ${'boolean'}     | ${'is not a boolean'}
    ${'2023-02-29'}          | ${'date'}        | ${'is not a date'}
    ${'01/02/2024'}          | ${'date'}        | ${'is not a date'}
    ${'2024-13-01T00:00Z'}   | ${'timestamptz'} | ${'is not an ISO-8601 timestamp'}
    ${'a\0b'}                | ${'text'}        | ${'NUL'}
  `('$raw as $type is refused ($reason)', ({ raw, type, reason }) => {
    const r = parseCsvCell(raw, type);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toContain(reason);
  });

  it('refuses an empty cell in a non-nullable column', () => {
    expect(parseCsvCell('', 'integer', false)).toEqual({
      ok: false,
      reason: 'is empty but the column is not nullable',
    });
  });
});

describe('inferCsvColumnType', () => {
  it.each`
    samples                                | type
    ${['1', '2', '', '-3']}                | ${'integer'}
    ${['1', '3000000000']}                 | ${'bigint'}
    ${['1', '2.5']}                        | ${'double'}
    ${['true', 'False', 'yes']}            | ${'boolean'}
    ${['0', '1']}                          | ${'integer'}
    ${['2024-01-01', '2024-12-31']}        | ${'date'}
    ${['2024-01-01', '2024-01-01T10:00Z']} | ${'timestamptz'}
    ${['1', 'x']}                          | ${'text'}
    ${['', '']}                            | ${'text'}
  `('$samples → $type', ({ samples, type }) => {
    expect(inferCsvColumnType(samples)).toBe(type);
  });
});

describe('normalizeHeader', () => {
  it.each`
    header           | name
    ${'Document'}    | ${'document'}
    ${'Topic_group'} | ${'topic_group'}
    ${' Sub Cat. 1'} | ${'sub_cat_1'}
    ${'1st'}         | ${'_1st'}
    ${'???'}         | ${''}
  `('$header → $name', ({ header, name }) => {
    expect(normalizeHeader(header)).toBe(name);
  });
});
