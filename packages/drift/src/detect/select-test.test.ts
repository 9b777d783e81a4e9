import { describe, expect, it } from 'vitest';
import { selectDriftTest } from './select-test.js';

describe('selectDriftTest (Evidently defaults)', () => {
  it.each`
    type             | referenceSize | uniqueValues | expected
    ${'numerical'}   | ${1000}       | ${6}         | ${'ks'}
    ${'numerical'}   | ${1001}       | ${6}         | ${'wasserstein'}
    ${'numerical'}   | ${50}         | ${5}         | ${'chi-square'}
    ${'numerical'}   | ${50}         | ${3}         | ${'chi-square'}
    ${'numerical'}   | ${50}         | ${2}         | ${'z-test'}
    ${'numerical'}   | ${5000}       | ${5}         | ${'jensen-shannon'}
    ${'numerical'}   | ${5000}       | ${2}         | ${'jensen-shannon'}
    ${'categorical'} | ${1000}       | ${40}        | ${'chi-square'}
    ${'categorical'} | ${1000}       | ${2}         | ${'z-test'}
    ${'categorical'} | ${1001}       | ${40}        | ${'jensen-shannon'}
    ${'categorical'} | ${1001}       | ${2}         | ${'jensen-shannon'}
    ${'boolean'}     | ${10}         | ${2}         | ${'z-test'}
    ${'text'}        | ${10}         | ${10}        | ${'domain-classifier'}
    ${'datetime'}    | ${10}         | ${10}        | ${null}
  `('$type, n=$referenceSize, u=$uniqueValues → $expected', ({ type, referenceSize, uniqueValues, expected }) => {
    expect(selectDriftTest({ type, referenceSize, uniqueValues })).toBe(expected);
  });
});
