import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Response } from 'express';
import { ServeError } from '../errors.js';

/**
 * An error shaped like body-parser's (`type`, `status`, `expose`), so core's error contract maps it exactly as it maps
 * express's JSON parser: 400 `INVALID_INPUT` for bad JSON, 413 `PAYLOAD_TOO_LARGE` over the limit.
 */
class BodyError extends Error {
  readonly expose = true;
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** True when the request has a body (a length, or a transfer encoding), as `type-is` decides it (internal). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(req.headers['content-length']));
}

/**
 * True for the requests the fast reader takes: no content encoding (gzip and friends go to body-parser, which
 * inflates them) and no charset parameter (JSON is UTF-8; body-parser checks any other charset).
 */
function isPlainUtf8(req: IncomingMessage): boolean {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const type = req.headers['content-type'];
  return type === undefined || !type.toLowerCase().includes('charset');
}

/** Parses a JSON body as body-parser's strict mode does: empty is `{}`, anything but an object or array is an error. */
function parseStrict(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a UTF-8 byte order mark is dropped
  if (body.length === 0) return {};
  const first = body.trimStart()[0];
  if (first !== '{' && first !== '[') {
    throw new BodyError(400, 'entity.parse.failed', 'Unexpected token in JSON (an object or array is expected)');
  }
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new BodyError(400, 'entity.parse.failed', (err as Error).message);
  }
}

/**
 * How long the body of a request may take to arrive, in ms, or `undefined` for no deadline of the server's own (Node's
 * `requestTimeout` still applies): the predict routes give what is left of the request timeout, since they hold a
 * limiter slot while the body arrives.
 */
export type BodyDeadline = (res: Response) => number | undefined;

/**
 * Reads and parses a JSON body of at most `maxBodyBytes` into `req.body`: the request path's reader. A plain UTF-8
 * body (no `Content-Encoding`, no charset parameter: nearly every client) is read here, with one buffer and one
 * `JSON.parse`; anything else goes to `fallback` (express's JSON parser, which inflates and decodes). Both give the
 * same results and the same errors (body-parser's error types: core maps them to 400/413/415). This reader exists
 * because body-parser's generality (charset decoding, an `AsyncResource` per body, content-type parsing again) cost
 * about a tenth of the server's time per request in `bench/serve-overhead.bench.mjs`.
 *
 * With `deadline`, a body that has not fully arrived within it is answered 504 `TIMEOUT` (and the connection closed),
 * by either reader: a client that stalls after its headers does not keep what the request holds (a limiter slot).
 */
export function readJson(maxBodyBytes: number, fallback: RequestHandler, deadline?: BodyDeadline): RequestHandler {
  const read = readJsonBody(maxBodyBytes, fallback);
  if (!deadline) return read;
  return (req, res, next) => {
    // A body already received in full (a small one arrives with its headers) needs no timer.
    const ms = req.complete || req.readableEnded ? undefined : deadline(res);
    if (ms === undefined) {
      read(req, res, next);
      return;
    }
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      // The rest of the body is not read: the answer closes the connection.
      res.setHeader('connection', 'close');
      req.pause();
      next(
        new ServeError('TIMEOUT', {
          message: `The request body did not arrive within the request timeout (${ms} ms left)`,
          details: [{ path: '(body)', message: 'Not received in time' }],
        }),
      );
    }, ms);
    read(req, res, (err?: unknown) => {
      if (settled) return; // answered at the deadline already
      settled = true;
      clearTimeout(timer);
      next(err);
    });
  };
}

function readJsonBody(maxBodyBytes: number, fallback: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (req.readableEnded) {
      next(); // already read (body-parser skips such a request too)
      return;
    }
    if (!isPlainUtf8(req)) {
      fallback(req, res, next);
      return;
    }
    if (!hasBody(req)) {
      req.body = undefined;
      next();
      return;
    }
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (declared !== undefined && declared > maxBodyBytes) {
      next(new BodyError(413, 'entity.too.large', 'request entity too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (err: unknown, body?: unknown) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err) {
        // Stop reading what is left; the error answer closes the connection (see the error handler).
        req.pause();
        next(err);
        return;
      }
      req.body = body;
      next();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBodyBytes) {
        res.setHeader('connection', 'close');
        finish(new BodyError(413, 'entity.too.large', 'request entity too large'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (declared !== undefined && received !== declared) {
        finish(new BodyError(400, 'request.size.invalid', 'request size did not match content length'));
        return;
      }
      const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
      let body: unknown;
      try {
        body = parseStrict(buf.toString('utf8'));
      } catch (err) {
        finish(err);
        return;
      }
      finish(undefined, body);
    };
    const onError = () => finish(new BodyError(400, 'request.aborted', 'request aborted'));
    const onClose = () => finish(new BodyError(400, 'request.aborted', 'request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  };
}
