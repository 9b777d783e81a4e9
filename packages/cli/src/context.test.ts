import { describe, expect, it } from 'vitest';
import { createCliContext, registryBaseUrl } from './context.js';

describe('registryBaseUrl', () => {
  it.each`
    server                                  | base
    ${'http://127.0.0.1:8080'}              | ${'http://127.0.0.1:8080/registry'}
    ${'http://127.0.0.1:8080/'}             | ${'http://127.0.0.1:8080/registry'}
    ${'https://mlops.example.com/registry'} | ${'https://mlops.example.com/registry'}
    ${'https://example.com/api/registry/'}  | ${'https://example.com/api/registry'}
  `('$server → $base', ({ server, base }) => {
    expect(registryBaseUrl(server)).toBe(base);
  });

  it.each(['127.0.0.1:8080', 'ftp://host/x', 'not a url'])('rejects %j with INVALID_URL', (server) => {
    expect(() => registryBaseUrl(server)).toThrow(expect.objectContaining({ code: 'INVALID_URL' }));
  });
});

describe('createCliContext', () => {
  it('takes flags over environment variables, and the defaults last', () => {
    const env = { MLOPS_STORE: 'memory://', MLOPS_SERVER_URL: 'http://env:1' };
    expect(createCliContext({ env })).toMatchObject({ storeUrl: 'memory://', serverUrl: 'http://env:1/registry' });
    expect(createCliContext({ env, store: 'postgres://u@h/db', server: 'http://flag:2' })).toMatchObject({
      storeUrl: 'postgres://u@h/db',
      serverUrl: 'http://flag:2/registry',
    });
    expect(createCliContext({ env: {} })).toMatchObject({ storeUrl: 'pglite://.mlops/db', serverUrl: undefined });
  });

  it('opens nothing until asked, and a missing remote is INVALID_INPUT', async () => {
    const ctx = createCliContext({ env: {}, store: 'pglite:///nonexistent/never-opened' });
    await expect(ctx.remote(undefined)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await ctx.optionalRemote(undefined)).toBeUndefined();
    await ctx.close();
  });
});
