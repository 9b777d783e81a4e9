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
  requestId: string;
  /** `performance.now()` when the request started: the timeout counts from here. */
  start: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Told which version serves the call (for the request's metric labels). */
  onVersion?: ((version: string) => void) | undefined;
  /** A limiter slot taken before the body was read: used instead of taking one. */
  admission?: Admission | undefined;
}
