import { describe, expect, it } from 'vitest';
import { codeForStatus, providerError, redact } from './errors.js';

describe('providerError', () => {
  it.each([
    [
      '{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}',
      { message: 'Incorrect API key', code: 'invalid_api_key' },
    ],
    [
      '{"object":"error","message":"Unauthorized","type":"unauthorized"}',
      { message: 'Unauthorized', code: 'unauthorized' },
    ],
    ['{"detail":[{"msg":"field required"}]}', { message: 'field required' }],
    ['{"error":"model not found"}', { message: 'model not found' }],
    ['Bad Gateway', { message: 'Bad Gateway' }],
    ['', {}],
  ])('%s', (body, expected) => {
    expect(providerError(body)).toEqual(expected);
  });
});

describe('codeForStatus', () => {
  it.each([
    [400, 'INVALID_INPUT'],
    [401, 'UNAUTHORIZED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [429, 'RATE_LIMITED'],
    [500, 'UPSTREAM_ERROR'],
    [503, 'UPSTREAM_ERROR'],
  ])('%i → %s', (status, code) => {
    expect(codeForStatus(status)).toBe(code);
  });
});

describe('redact', () => {
  it('removes every occurrence of the key', () => {
    expect(redact('bad key sk-123456 (sk-123456)', 'sk-123456')).toBe('bad key [redacted] ([redacted])');
    expect(redact('text', undefined)).toBe('text');
  });
});
