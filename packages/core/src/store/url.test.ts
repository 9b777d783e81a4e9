import { describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import { parseStoreUrl, redactStoreUrl } from './url.js';

describe('parseStoreUrl', () => {
  it.each`
    url                                             | expected
    ${'memory://'}                                  | ${{ driver: 'pglite', dataDir: undefined }}
    ${'pglite://.mlops/db'}                         | ${{ driver: 'pglite', dataDir: '.mlops/db' }}
    ${'pglite:///var/lib/mlops'}                    | ${{ driver: 'pglite', dataDir: '/var/lib/mlops' }}
    ${'PGLITE://data/my%20db'}                      | ${{ driver: 'pglite', dataDir: 'data/my db' }}
    ${'memory://?thread=worker'}                    | ${{ driver: 'pglite', dataDir: undefined, thread: 'worker' }}
    ${'pglite://.mlops/db?thread=main'}             | ${{ driver: 'pglite', dataDir: '.mlops/db', thread: 'main' }}
    ${'pglite://.mlops/db'}                         | ${{ driver: 'pglite', thread: undefined }}
    ${'postgres://u:p@localhost:5432/db'}           | ${{ driver: 'postgres', connectionString: 'postgres://u:p@localhost:5432/db', schema: undefined }}
    ${'postgresql://h/db?schema=tenant_1&ssl=true'} | ${{ driver: 'postgres', connectionString: 'postgresql://h/db?ssl=true', schema: 'tenant_1' }}
  `('parses $url', ({ url, expected }) => {
    expect(parseStoreUrl(url)).toMatchObject(expected);
  });

  it.each`
    url                                      | reason
    ${'.mlops/db'}                           | ${'missing'}
    ${'sqlite://x.db'}                       | ${'Unknown store URL scheme "sqlite://"'}
    ${'pglite://'}                           | ${'needs a data directory'}
    ${'memory://x'}                          | ${'takes no path'}
    ${'memory://?thread=both'}               | ${'thread must be "main" or "worker"'}
    ${'pglite://db?threads=worker'}          | ${'unknown parameter "threads"'}
    ${'postgres://'}                         | ${'needs a host'}
    ${'postgres://h/db?schema=a;drop'}       | ${'must match'}
    ${'pglite://data/%zz'}                   | ${'percent-encoding'}
    ${'pglite://data/%E0%A4%A'}              | ${'percent-encoding'}
    ${'pglite://data/a%00b'}                 | ${'U+0000'}
    ${'pglite://data/a\u0000b'}              | ${'U+0000'}
    ${'memory://?thread=main&thread=worker'} | ${'"thread" is given twice'}
    ${'postgres://h/db?schema=a&schema=b'}   | ${'"schema" is given twice'}
    ${'pglite://~/mlops/db'}                 | ${'"~" is not expanded'}
    ${'pglite://~'}                          | ${'"~" is not expanded'}
  `('rejects $url with INVALID_URL', ({ url, reason }) => {
    let err: unknown;
    try {
      parseStoreUrl(url);
    } catch (e) {
      err = e;
    }
    expect(isMlopsError(err, 'INVALID_URL')).toBe(true);
    expect((err as Error).message).toContain(reason);
  });

  it.each([
    ['postgres://u:p@ss@host/db', 'postgres://u:***@host/db'],
    ['postgres://u:pa/ss@host/db', 'postgres://u:***@host/db'],
    ['postgres://u:pa#ss@host/db', 'postgres://u:***@host/db'],
    ['postgres://u:pa?ss@host/db', 'postgres://u:***@host/db'],
    ['postgres://u:p@host/db?application_name=me@work', 'postgres://u:***@host/db?application_name=me@work'],
    ['postgres://host:5432/db?application_name=me@work', 'postgres://host:5432/db?application_name=me@work'],
  ])('redacts a password holding characters a URL should have encoded: %s', (url, redacted) => {
    expect(redactStoreUrl(url)).toBe(redacted);
  });

  it('never shows a password in errors or redacted URLs', () => {
    expect(redactStoreUrl('postgres://user:s3cret@host/db')).toBe('postgres://user:***@host/db');
    let message = '';
    try {
      parseStoreUrl('postgres://user:s3cret@host/db?schema=bad-name');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('***');
    expect(message).not.toContain('s3cret');
  });
});
