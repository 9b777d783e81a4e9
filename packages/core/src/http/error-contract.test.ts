import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MlopsError } from '../errors.js';
import {
  errorBody,
  errorBodySchema,
  errorResponse,
  HTTP_ERROR_CODES,
  HTTP_STATUS_BY_CODE,
  HttpError,
  httpStatusOf,
  INTERNAL_ERROR_MESSAGE,
} from './error-contract.js';

describe('httpStatusOf', () => {
  it('maps every code through the one table, unknown codes to 500', () => {
    expect(httpStatusOf('INVALID_INPUT')).toBe(400);
    expect(httpStatusOf('UNSUPPORTED')).toBe(501);
    expect(httpStatusOf('GATE_FAILED')).toBe(422);
    expect(httpStatusOf('PAYLOAD_TOO_LARGE')).toBe(413);
    expect(httpStatusOf('NOPE' as never)).toBe(500);
    expect(HTTP_ERROR_CODES.length).toBe(Object.keys(HTTP_STATUS_BY_CODE).length);
    for (const code of HTTP_ERROR_CODES) expect(httpStatusOf(code)).toBe(HTTP_STATUS_BY_CODE[code]);
  });
});

describe('errorResponse', () => {
  it('keeps code, message and field details of a client error', () => {
    const r = errorResponse(
      new MlopsError('INVALID_INPUT', { message: 'bad', details: [{ path: 'a.b', message: 'Expected number' }] }),
      'req-1',
    );
    expect(r.status).toBe(400);
    expect(r.unexpected).toBe(false);
    expect(errorBodySchema.parse(r.body)).toEqual({
      error: {
        code: 'INVALID_INPUT',
        message: 'bad',
        details: [{ path: 'a.b', message: 'Expected number' }],
        requestId: 'req-1',
      },
    });
  });

  it('sends structured details of a client error as context, never those of a 5xx', () => {
    const r = errorResponse(new MlopsError('GATE_FAILED', { message: 'no', details: { decision: { id: 3 } } }), 'r');
    expect(r.status).toBe(422);
    expect(errorBodySchema.parse(r.body).error).toEqual({
      code: 'GATE_FAILED',
      message: 'no',
      details: [],
      requestId: 'r',
      context: { decision: { id: 3 } },
    });
  });

  it('drops structured details of a 5xx and keeps Retry-After of an HttpError', () => {
    const r = errorResponse(
      new HttpError('OVERLOADED', { message: 'busy', details: { queued: 3 }, retryAfter: 1 }),
      'r',
    );
    expect(r).toMatchObject({
      status: 503,
      retryAfter: 1,
      body: { error: { code: 'OVERLOADED', message: 'busy', details: [] } },
    });
    expect(errorBodySchema.safeParse(r.body).success).toBe(true);
  });

  it('never leaks a server fault: message, stack and details are replaced', () => {
    for (const err of [
      new Error('SELECT secret FROM t'),
      new MlopsError('MIGRATION_FAILED', { message: '/var/lib/secret', details: [{ path: 'x', message: 'y' }] }),
      'a string',
      null,
    ]) {
      const r = errorResponse(err, 'r');
      expect(r.status).toBe(500);
      expect(r.unexpected).toBe(true);
      expect(r.body).toEqual({
        error: { code: 'INTERNAL', message: INTERNAL_ERROR_MESSAGE, details: [], requestId: 'r' },
      });
    }
  });

  it('maps express body-parser failures to 400/413/415', () => {
    expect(errorResponse({ type: 'entity.parse.failed', status: 400 }, 'r').status).toBe(400);
    expect(errorBody({ type: 'entity.too.large', status: 413 }, 'r').error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(errorResponse({ type: 'charset.unsupported', status: 415 }, 'r').status).toBe(415);
    expect(errorBody({ status: 400, expose: false, message: 'secret' }, 'r').error.message).toBe('Bad request');
  });

  it("maps express's percent-decoding failure of a path parameter to INVALID_INPUT at (path)", () => {
    const err = Object.assign(new URIError("Failed to decode param '%zz'"), { status: 400, statusCode: 400 });
    expect(errorBody(err, 'r').error).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: '(path)' }] });
  });

  it('the schema refuses the old body shapes', () => {
    expect(errorBodySchema.safeParse({ error: 'x', code: 'NOT_FOUND' }).success).toBe(false);
    expect(errorBodySchema.safeParse({ error: { code: 'NOT_FOUND', message: 'x' } }).success).toBe(false);
  });
});

describe('docs/api.md', () => {
  it('lists every code with the status of the one table, and nothing else', () => {
    const doc = readFileSync(new URL('../../../../docs/api.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('### Error codes'), doc.indexOf('## Simple JSON API (v1)'));
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(Object.fromEntries(rows)).toEqual({ ...HTTP_STATUS_BY_CODE });
    expect(rows).toHaveLength(HTTP_ERROR_CODES.length);
  });
});
