import type { Attributes, Counter, Histogram, InstrumentOptions, Span, Telemetry } from '@mlops/core';
import {
  metrics,
  type Attributes as OtelAttributes,
  type Span as OtelSpan,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { z } from 'zod';

/** Options of {@link otelTelemetry}. */
export interface OtelTelemetryOptions {
  /**
   * Instrumentation scope name of the tracer and the meter.
   * @default '@mlops/plugin-otel'
   */
  name?: string;
  /**
   * Instrumentation scope version.
   * @default undefined
   */
  version?: string;
}

const optionsSchema = z.object({
  name: z.string().min(1).optional(),
  version: z.string().min(1).optional(),
});

const SCOPE = '@mlops/plugin-otel';

function toOtelAttributes(attrs: Attributes | undefined): OtelAttributes {
  const out: OtelAttributes = {};
  for (const [k, v] of Object.entries(attrs ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

function wrapSpan(span: OtelSpan): Span {
  return {
    setAttribute: (key, value) => {
      span.setAttribute(key, value);
    },
    recordException: (err) => {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    },
    addEvent: (name, attrs) => {
      span.addEvent(name, toOtelAttributes(attrs));
    },
  };
}

/**
 * Core's `Telemetry` on the global OpenTelemetry API: spans through the global tracer provider, counters and
 * histograms through the global meter provider (set by `setupTelemetry`, or by any OpenTelemetry SDK).
 * Instruments bind to the meter provider registered when they are created, so create them after setup.
 *
 * @example
 * const telemetry = otelTelemetry();
 * await telemetry.startSpan('train', { model: 'churn' }, async (span) => fit(span));
 */
export function otelTelemetry(options: OtelTelemetryOptions = {}): Telemetry {
  const o = optionsSchema.parse(options);
  const name = o.name ?? SCOPE;
  const tracer = trace.getTracer(name, o.version);
  // The metrics API has no proxy provider: ask the global provider at creation time, not at factory time.
  const meter = () => metrics.getMeter(name, o.version);
  return {
    startSpan(spanName, attrs, fn) {
      return tracer.startActiveSpan(spanName, { attributes: toOtelAttributes(attrs) }, async (span) => {
        const wrapped = wrapSpan(span);
        try {
          return await fn(wrapped);
        } catch (err) {
          wrapped.recordException(err);
          throw err;
        } finally {
          span.end();
        }
      });
    },
    counter(counterName: string, opts?: InstrumentOptions): Counter {
      const c = meter().createCounter(counterName, opts);
      return { add: (value = 1, attrs) => c.add(value, toOtelAttributes(attrs)) };
    },
    histogram(histogramName: string, opts?: InstrumentOptions): Histogram {
      const h = meter().createHistogram(histogramName, opts);
      return { record: (value, attrs) => h.record(value, toOtelAttributes(attrs)) };
    },
  };
}
