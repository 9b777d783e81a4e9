import { describe, expect, it } from 'vitest';
import { apiKeyFromHeaders, apiKeyRequiredError } from './api-key.js';

const KEY = 'mlops_0123456789abcdef_Qm9vYmFyQmF6UXV4UXV1eENvcmdlR3JhdWx0R2FycGx5';

describe('apiKeyFromHeaders', () => {
  it.each([
    ['Bearer', { authorization: `Bearer ${KEY}` }],
    ['lower-case scheme', { authorization: `bearer ${KEY}` }],
    ['upper-case scheme, several spaces', { authorization: `BEARER   ${KEY}` }],
    ['a tab after the scheme', { authorization: `Bearer\t${KEY}` }],
    ['spaces and tabs around', { authorization: ` \tBearer ${KEY} \t` }],
    ['X-API-Key', { 'x-api-key': KEY }],
    ['X-API-Key with spaces around', { 'x-api-key': `  ${KEY}\t` }],
    ['X-API-Key beside another scheme', { authorization: 'Basic dXNlcjpwdw==', 'x-api-key': KEY }],
    ['X-API-Key beside an empty Bearer', { authorization: 'Bearer ', 'x-api-key': KEY }],
    ['Bearer before X-API-Key', { authorization: `Bearer ${KEY}`, 'x-api-key': 'other' }],
  ])('reads the key from %s', (_what, headers) => {
    expect(apiKeyFromHeaders(headers)).toBe(KEY);
  });

  it.each([
    ['no header', {}],
    ['another scheme', { authorization: 'Basic dXNlcjpwdw==' }],
    ['the scheme alone', { authorization: 'Bearer' }],
    ['the scheme and spaces', { authorization: 'Bearer   ' }],
    ['no space after the scheme', { authorization: `Bearer${KEY}` }],
    ['the key without a scheme', { authorization: KEY }],
    ['an empty X-API-Key', { 'x-api-key': '' }],
    ['a blank X-API-Key', { 'x-api-key': ' \t ' }],
    ['X-API-Key given as a list', { 'x-api-key': [KEY, KEY] }],
  ])('finds no key with %s', (_what, headers) => {
    expect(apiKeyFromHeaders(headers)).toBeUndefined();
  });

  it('keeps what is inside the key (verification refuses it, not the reader)', () => {
    expect(apiKeyFromHeaders({ authorization: 'Bearer a b' })).toBe('a b');
  });
});

describe('apiKeyRequiredError', () => {
  it('is a 401 UNAUTHORIZED naming both forms', () => {
    const err = apiKeyRequiredError();
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toContain('Authorization: Bearer <key>');
    expect(err.message).toContain('X-API-Key: <key>');
  });
});
