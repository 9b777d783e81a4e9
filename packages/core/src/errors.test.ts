import { describe, expect, it } from 'vitest';
import { isMlopsError, MlopsError } from './errors.js';

describe('MlopsError', () => {
  it('carries a code, details and cause', () => {
    const cause = new Error('boom');
    const err = new MlopsError('INVALID_INPUT', {
      message: 'bad input',
      cause,
      details: [{ path: 'a.b', message: 'Expected number' }],
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('MlopsError');
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toBe('bad input');
    expect(err.cause).toBe(cause);
    expect(err.details).toEqual([{ path: 'a.b', message: 'Expected number' }]);
  });

  it('defaults its message to the code and accepts a plain message', () => {
    expect(new MlopsError('NOT_FOUND').message).toBe('NOT_FOUND');
    expect(new MlopsError('CONFLICT', 'taken').message).toBe('taken');
  });

  it('is recognised by isMlopsError, optionally by code', () => {
    const err = new MlopsError('STORE_LOCKED');
    expect(isMlopsError(err)).toBe(true);
    expect(isMlopsError(err, 'STORE_LOCKED')).toBe(true);
    expect(isMlopsError(err, 'NOT_FOUND')).toBe(false);
    expect(isMlopsError(new Error('x'))).toBe(false);
  });
});
