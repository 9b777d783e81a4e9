import type { IncomingMessage } from 'node:http';
import { HttpError } from '@mlops/core/http';
import express, { type Request, type Response } from 'express';

/** Options of {@link createJsonBodyReader}. */
export interface JsonBodyReaderOptions {
  /** Largest body accepted, in bytes: a `Content-Length` over it is a 413 before anything is read. */
  maxBodyBytes: number;
}

/**
 * Reads a write's JSON body into `req.body`: call it after authentication, so that an unauthenticated client never
 * has its body read. `application/json` (or `application/*+json`, UTF-8) is required: anything else, or no content
 * type, throws a 415 `UNSUPPORTED_MEDIA_TYPE` (a cross-site form or `text/plain` "simple request" must not reach a
 * write), except for a `DELETE` without a body; a `Content-Length` over `maxBodyBytes` throws a 413 before anything is
 * read; invalid JSON is a 400. `toErrorResponse` turns each into its status and error body. A body an earlier parser
 * already read (`app.use(express.json())`) is left as it is. The registry's router and `@mlops/dashboard` use it.
 */
export function createJsonBodyReader(options: JsonBodyReaderOptions): (req: Request, res: Response) => Promise<void> {
  const { maxBodyBytes } = options;
  // The content type is checked before parsing, so any type reaching the parser is JSON.
  const parseJson = express.json({ limit: maxBodyBytes, type: () => true });
  return (req, res) => {
    if (req.method === 'DELETE' && !announcesBody(req)) return Promise.resolve();
    if (!req.is(['application/json', 'application/*+json'])) {
      const type = req.headers['content-type'];
      throw new HttpError('UNSUPPORTED_MEDIA_TYPE', {
        message: `Writes take a JSON body: expected Content-Type: application/json, got ${type ? `"${type.slice(0, 100)}"` : 'none'}`,
        details: [{ path: '(headers).content-type', message: 'expected application/json' }],
      });
    }
    const length = Number(req.headers['content-length']);
    if (Number.isFinite(length) && length > maxBodyBytes) {
      throw new HttpError('PAYLOAD_TOO_LARGE', {
        message: `The request body is too large (${length} bytes; at most ${maxBodyBytes})`,
        details: [{ path: '(body)', message: 'too large' }],
      });
    }
    return new Promise((resolve, reject) => parseJson(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
  };
}

/** True when the request announces a body (`Content-Length` above 0, or chunked). */
function announcesBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const len = req.headers['content-length'];
  return len !== undefined && len !== '0';
}
