import { MlopsError, type MlopsErrorCode } from '@mlops/core';
import { DriftError } from '@mlops/drift';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, errorJson, exitCodeFor, hintFor } from './exit-codes.js';

describe('exitCodeFor', () => {
  it.each<[MlopsErrorCode, number]>([
    ['INVALID_INPUT', 2],
    ['INVALID_URL', 2],
    ['UNSUPPORTED', 2],
    ['NOT_CONFIGURED', 2],
    ['NOT_FOUND', 3],
    ['CONFLICT', 4],
    ['GATE_FAILED', 4],
    ['STORE_LOCKED', 5],
    ['UNAUTHORIZED', 6],
    ['FORBIDDEN', 6],
    ['CHECKSUM_MISMATCH', 7],
    ['ABORTED', 130],
    ['INTERNAL', 1],
    ['MIGRATION_FAILED', 1],
  ])('MlopsError %s → %i', (code, exit) => {
    expect(exitCodeFor(new MlopsError(code))).toBe(exit);
  });

  it('maps DriftError, ENOENT and plain errors', () => {
    expect(exitCodeFor(new DriftError('EMPTY_INPUT', 'no rows'))).toBe(EXIT_CODES.USAGE);
    expect(exitCodeFor(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(EXIT_CODES.NOT_FOUND);
    expect(exitCodeFor(new Error('boom'))).toBe(EXIT_CODES.ERROR);
    expect(exitCodeFor('boom')).toBe(EXIT_CODES.ERROR);
  });
});

describe('errors for humans and machines', () => {
  it('STORE_LOCKED gets a hint naming --server and postgres', () => {
    expect(hintFor(new MlopsError('STORE_LOCKED'))).toMatch(/--server.*postgres:\/\//s);
  });

  it('errorJson has a stable shape', () => {
    const err = new MlopsError('NOT_FOUND', { message: 'no such model', details: { model: 'x' } });
    expect(errorJson(err)).toEqual({
      error: { code: 'NOT_FOUND', message: 'no such model', exitCode: 3, details: { model: 'x' } },
    });
    expect(errorJson(new Error('boom'))).toEqual({ error: { code: 'INTERNAL', message: 'boom', exitCode: 1 } });
  });
});
