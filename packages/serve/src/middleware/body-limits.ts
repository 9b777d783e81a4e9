import express, { type RequestHandler } from 'express';
import { ServeError } from '../errors.js';
import { type BodyDeadline, hasBody, readJson } from './read-json.js';

/**
 * Refuses a body announced larger than `maxBodyBytes` with 413 before reading any of it, and closes the connection
 * afterwards so the server does not read (and discard) the rest to keep it alive. Bodies without a length are still
 * cut off at the limit by the JSON parser.
 */
export function contentLengthLimit(maxBodyBytes: number): RequestHandler {
  return (req, res, next) => {
    const header = req.headers['content-length'];
    if (header !== undefined && Number(header) > maxBodyBytes) {
      res.setHeader('connection', 'close');
      next(
        new ServeError('PAYLOAD_TOO_LARGE', {
          message: `The request body is too large (${header} bytes; at most ${maxBodyBytes})`,
          details: [{ path: '(headers).content-length', message: `At most ${maxBodyBytes} bytes` }],
        }),
      );
      return;
    }
    next();
  };
}

/** The `Content-Type` values nearly every JSON client sends, accepted without parsing. */
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

/** The JSON body middleware of the server's routes (internal). */
export interface JsonBody {
  /** 415 for a body that is not JSON, 413 for a `Content-Length` over the limit: before reading any of it. */
  requireJsonType: RequestHandler;
  /** Reads and parses the JSON body (any content type: `requireJsonType` checked it), cut off at the limit. */
  parseJson: RequestHandler;
}

/**
 * The JSON body checks and parser for bodies of at most `maxBodyBytes`; `deadline` bounds how long a body may take to
 * arrive (see `readJson`) (internal).
 */
export function jsonBody(maxBodyBytes: number, deadline?: BodyDeadline): JsonBody {
  const bodyLimit = contentLengthLimit(maxBodyBytes);
  return {
    requireJsonType(req, res, next) {
      // The usual header is checked without parsing it (type-is parses it on every call); a request without a body
      // still goes through `req.is`, which refuses it.
      const type = req.headers['content-type'];
      if (type !== undefined && JSON_TYPES.has(type) && hasBody(req)) {
        bodyLimit(req, res, next);
        return;
      }
      if (!req.is(['application/json', 'application/*+json'])) {
        next(
          new ServeError('UNSUPPORTED_MEDIA_TYPE', {
            message: `Expected Content-Type: application/json, got ${req.headers['content-type'] ? `"${req.headers['content-type']}"` : 'none'}`,
            details: [{ path: '(headers).content-type', message: 'Expected application/json' }],
          }),
        );
        return;
      }
      bodyLimit(req, res, next);
    },
    parseJson: readJson(maxBodyBytes, express.json({ limit: maxBodyBytes, strict: true, type: () => true }), deadline),
  };
}
