import { MlopsError, type MlopsErrorCode } from '@mlops/core';
import type { LlmNotConfigured, LlmProvider } from './config.js';

/** Options of {@link LlmError}. */
export interface LlmErrorOptions {
  message: string;
  /** HTTP status of the provider's response, when there was one. */
  status?: number;
  /** The provider's error type or code (e.g. `invalid_request_error`, `rate_limit_exceeded`). */
  providerCode?: string;
  provider?: LlmProvider;
  /** Attempts made before giving up. */
  attempts?: number;
  cause?: unknown;
}

/**
 * A failed LLM call. `code` is `UNAUTHORIZED` (401), `FORBIDDEN` (403), `NOT_FOUND` (404, e.g. unknown model),
 * `INVALID_INPUT` (other 4xx), `RATE_LIMITED` (429), `UPSTREAM_ERROR` (5xx, network, malformed or cut responses),
 * `TIMEOUT`, `ABORTED` (the caller's signal) or `NOT_CONFIGURED`. Messages carry the provider's own error message
 * and never the API key.
 */
export class LlmError extends MlopsError {
  readonly status: number | undefined;
  readonly providerCode: string | undefined;

  constructor(code: MlopsErrorCode, opts: LlmErrorOptions) {
    super(code, {
      message: opts.message,
      cause: opts.cause,
      details: {
        ...(opts.status !== undefined ? { status: opts.status } : {}),
        ...(opts.providerCode !== undefined ? { providerCode: opts.providerCode } : {}),
        ...(opts.provider !== undefined ? { provider: opts.provider } : {}),
        ...(opts.attempts !== undefined ? { attempts: opts.attempts } : {}),
      },
    });
    this.name = 'LlmError';
    this.status = opts.status;
    this.providerCode = opts.providerCode;
  }
}

/** Thrown by `chat`/`chatStream` when no LLM is configured (`code: 'NOT_CONFIGURED'`); `reason` says what is missing. */
export class LlmNotConfiguredError extends LlmError {
  readonly reason: LlmNotConfigured['reason'];

  constructor(info: LlmNotConfigured) {
    super('NOT_CONFIGURED', { message: info.message });
    this.name = 'LlmNotConfiguredError';
    this.reason = info.reason;
  }
}

/** The MlopsError code for an HTTP status of the provider. */
export function codeForStatus(status: number): MlopsErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 408) return 'TIMEOUT';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 400 && status < 500) return 'INVALID_INPUT';
  return 'UPSTREAM_ERROR';
}

/**
 * Extracts the provider's error message and code from an error body: OpenAI's `{ error: { message, type, code } }`,
 * Mistral's `{ message, type }` / `{ detail }`, or plain text.
 */
export function providerError(body: string): { message?: string; code?: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const text = body.trim().slice(0, 300);
    return text ? { message: text } : {};
  }
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
  const o = (json ?? {}) as Record<string, unknown>;
  const e = (typeof o.error === 'object' && o.error !== null ? o.error : o) as Record<string, unknown>;
  const detail = Array.isArray(o.detail)
    ? o.detail.map((d) => str((d as Record<string, unknown>)?.msg) ?? JSON.stringify(d)).join('; ')
    : str(o.detail);
  const message = str(e.message) ?? (typeof o.error === 'string' ? o.error : undefined) ?? detail;
  const code = str(e.code) ?? str(e.type);
  return { ...(message ? { message: message.slice(0, 1000) } : {}), ...(code ? { code } : {}) };
}

/** Replaces every occurrence of `secret` in `text` (providers sometimes echo the key they rejected). */
export function redact(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join('[redacted]');
}
