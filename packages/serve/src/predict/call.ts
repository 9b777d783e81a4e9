// The types a request hands to the prediction runner, in a module of their own: the request context (middleware),
// the admission check and the runner all use them, and none of those may import another in a circle.

/** A limiter slot a request took before its body was read; `release` is idempotent. */
export interface Admission {
  release: () => void;
  /** Set once the prediction owns the slot (it then releases it when the predictor finishes). */
  handedOver: boolean;
}

/** The request a prediction belongs to (internal). */
export interface PredictCall {
  readonly requestId: string;
  /** `performance.now()` when the request started: the timeout counts from here. */
  readonly start: number;
  /** Aborted when the client goes away (for waits that take a signal, such as a queued limiter slot). */
  readonly signal: AbortSignal;
  /** Set once the client has gone: the reason the prediction's wait is cancelled with. */
  readonly cancelled?: { reason: unknown } | undefined;
  /**
   * Sets (or, with `undefined`, clears) the one listener told when the client goes away: the request path's
   * cheaper alternative to a listener on `signal` (no `AbortController`, no `EventTarget`).
   */
  watchCancel?(listener: ((reason: unknown) => void) | undefined): void;
  /** Told which version serves the call (for the request's metric labels). */
  onVersion?(version: string): void;
  /** A limiter slot taken before the body was read: used instead of taking one. */
  admission?: Admission | undefined;
}
