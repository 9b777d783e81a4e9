/** Attribute values a span or metric may carry (as in OpenTelemetry). */
export type AttributeValue = string | number | boolean;

/** Attributes of a span or a metric point. */
export type Attributes = Record<string, AttributeValue | undefined>;

/** An operation being traced. */
export interface Span {
  /** Adds or replaces one attribute. */
  setAttribute(key: string, value: AttributeValue): void;
  /** Records an error on the span and marks it failed. */
  recordException(err: unknown): void;
  /** Adds a timestamped event. */
  addEvent(name: string, attrs?: Attributes): void;
}

/** A monotonic counter, e.g. `mlops_predictions_total`. */
export interface Counter {
  /** Adds `value` (default 1). */
  add(value?: number, attrs?: Attributes): void;
}

/** A distribution of values, e.g. `mlops_prediction_latency_ms`. */
export interface Histogram {
  /** Records one value. */
  record(value: number, attrs?: Attributes): void;
}

/** Options of a metric instrument. */
export interface InstrumentOptions {
  description?: string;
  /** UCUM unit, e.g. `'ms'`, `'By'`, `'1'`. */
  unit?: string;
}

/**
 * Tracing and metrics as core and the other packages emit them. `noopTelemetry` is the default; the otel plugin
 * implements it on OpenTelemetry. Implementations are plain objects.
 *
 * @example
 * const rows = await telemetry.startSpan('predict', { model: 'tickets' }, async (span) => {
 *   span.setAttribute('rows', 10);
 *   return predictor.predict(inputs);
 * });
 */
export interface Telemetry {
  /** Runs `fn` inside a span that ends when `fn` settles (and records the error when it throws). */
  startSpan<T>(name: string, attrs: Attributes, fn: (span: Span) => Promise<T> | T): Promise<T>;
  /** Gets or creates a counter. */
  counter(name: string, opts?: InstrumentOptions): Counter;
  /** Gets or creates a histogram. */
  histogram(name: string, opts?: InstrumentOptions): Histogram;
}

const NOOP_SPAN: Span = { setAttribute() {}, recordException() {}, addEvent() {} };
const NOOP_COUNTER: Counter = { add() {} };
const NOOP_HISTOGRAM: Histogram = { record() {} };

/** Telemetry that records nothing: spans just run their function. */
export const noopTelemetry: Telemetry = {
  startSpan: async (_name, _attrs, fn) => fn(NOOP_SPAN),
  counter: () => NOOP_COUNTER,
  histogram: () => NOOP_HISTOGRAM,
};
