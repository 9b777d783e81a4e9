import { type Columns, invalidInput, isMlopsError, MlopsError, timeOrderedId } from '@mlops/core';
import { HttpError } from '@mlops/core/http';
import type { PredictionLogger } from '@mlops/core/predictions';
import { context, isSpanContextValid, SpanStatusCode, trace } from '@opentelemetry/api';
import { rowCount, toPlainInputs } from '../_internal/columns.js';
import { ServeError } from '../errors.js';
import { waitForSlot } from '../middleware/admission.js';
import type { PredictCall } from './call.js';

export type { PredictCall };

import type { ModelSlots } from '../model-slots.js';
import type { ModelSlot } from '../model-source.js';
import type { RoutePrediction } from '../routes/route-definition.js';
import type { Limiter } from '../scheduler/limiter.js';
import type { ServedModel } from '../served-model.js';
import { raceDeadline, remainingMs } from './race-signal.js';
import { mirrorToShadow, type ShadowDeps } from './shadow.js';

const tracer = trace.getTracer('@mlops/serve', '0.0.0');

/**
 * The predictor's call in a `predict <model>` span (model, version and rows as attributes; an error sets its status).
 * Without a tracing SDK the span is a no-op with an invalid context: then the call runs as is, without entering a
 * context, the request path's saving when tracing is off.
 */
function traced(m: ServedModel, inputs: Columns, rows: number): Promise<Columns> {
  const span = tracer.startSpan(`predict ${m.name}`);
  if (!isSpanContextValid(span.spanContext())) {
    span.end();
    try {
      return m.predict(inputs);
    } catch (err) {
      return Promise.reject(err);
    }
  }
  span.setAttributes({ 'mlops.model': m.name, 'mlops.version': m.version, 'mlops.rows': rows });
  return context.with(trace.setSpan(context.active(), span), async () => {
    try {
      return await m.predict(inputs);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Codes a predictor (or a service behind it) may throw that would name the client's request, not the service's. */
const UPSTREAM_CODES: ReadonlySet<string> = new Set(['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND']);

/**
 * What a request answers when its predictor failed (internal). The predictor is the server's dependency, so anything
 * but a typed error is a server fault (500 `INTERNAL`, reported to `onError`, the message hidden), even an error
 * carrying an HTTP `status` (an SDK's or http-errors' error would otherwise read as a client error, message and all).
 * Typed errors keep their code (a model refusing its input is `INVALID_INPUT`; the server's own `TIMEOUT` and
 * cancellation pass), except the codes that would blame the client's key or route for a service behind the model
 * (an LLM provider's 401): those are `UPSTREAM_ERROR` (502).
 */
export function predictorError(m: { name: string; version: string }, err: unknown): unknown {
  if (err instanceof HttpError || isMlopsError(err)) {
    if (!UPSTREAM_CODES.has(err.code)) return err;
    return new MlopsError('UPSTREAM_ERROR', {
      message: `Model "${m.name}" (version ${m.version}) failed: ${err.message}`,
      cause: err,
    });
  }
  return new MlopsError('INTERNAL', {
    message: `Model "${m.name}" (version ${m.version}) failed: ${(err as Error | null)?.message ?? String(err)}`,
    cause: err,
  });
}

/** One prediction request's result (internal). */
export interface PredictionResult {
  model: ServedModel;
  inputs: Columns;
  outputs: Columns;
  ids: string[];
}

/** What {@link createPredictionRunner} needs (internal). */
export interface PredictionRunnerOptions extends ShadowDeps {
  slots: ModelSlots;
  limiter: Limiter;
  logger: PredictionLogger | undefined;
  maxRows: number;
  requestTimeoutMs: number;
  retryAfterSeconds: number;
}

/** Runs prediction requests (internal). */
export interface PredictionRunner {
  /**
   * One prediction request: picks the version (canary split, or `pinned`), decodes the inputs with it, then slot →
   * limiter → timeout → span → predictor → prediction log → shadow mirror.
   */
  run(
    slot: ModelSlot,
    pinned: string | undefined,
    decode: (model: ServedModel) => Columns,
    call: PredictCall,
  ): Promise<PredictionResult>;
  /** `ctx.predict` / `server.predict`: the v1 path with columns given in code (validated under `inputs`). */
  columns(model: string, inputs: Columns, version: string | undefined, call: PredictCall): Promise<RoutePrediction>;
}

/** Creates the server's {@link PredictionRunner} (internal). */
export function createPredictionRunner(options: PredictionRunnerOptions): PredictionRunner {
  const { slots, limiter, logger, maxRows, requestTimeoutMs, retryAfterSeconds } = options;
  const acquireOptions = { requestTimeoutMs, retryAfterSeconds };

  async function runOn(
    slot: ModelSlot,
    m: ServedModel,
    rel: () => void,
    decode: (model: ServedModel) => Columns,
    call: PredictCall,
  ): Promise<PredictionResult> {
    call.onVersion?.(m.version);
    let inputs: Columns;
    try {
      inputs = decode(m);
    } catch (err) {
      rel();
      throw err;
    }
    let slotRelease: () => void;
    if (call.admission && !call.admission.handedOver) {
      call.admission.handedOver = true;
      slotRelease = call.admission.release;
    } else {
      const free = limiter.tryAcquire();
      if (free) slotRelease = free;
      else {
        try {
          slotRelease = await waitForSlot(limiter, call, acquireOptions);
        } catch (err) {
          rel();
          throw err;
        }
      }
    }
    const rows = rowCount(inputs);
    const work = traced(m, inputs, rows);
    // The slot and the version stay taken until the predictor finishes, even when the client has gone.
    const releaseBoth = () => {
      slotRelease();
      rel();
    };
    void work.then(releaseBoth, releaseBoth);
    let outputs: Columns;
    try {
      outputs = await raceDeadline(work, call, remainingMs(call, requestTimeoutMs), requestTimeoutMs);
    } catch (err) {
      throw predictorError(m, err);
    }
    if (rowCount(outputs) !== rows) throw new Error(`predictor returned ${rowCount(outputs)} rows for ${rows}`);
    options.onPredicted(m.name, m.version, rows);
    const ids = Array.from({ length: rows }, () => timeOrderedId());
    const latencyMs = performance.now() - call.start;
    if (logger) {
      let committed: Promise<void> | undefined;
      try {
        committed = logger.logBatch({
          requestId: call.requestId,
          model: m.name,
          version: m.version,
          alias: m.alias ?? null,
          latencyMs,
          inputs,
          outputs,
          ids,
        }).committed;
      } catch (err) {
        options.onError(err, { requestId: call.requestId, where: 'prediction log' });
      }
      // durability 'acknowledged': answer only once the rows are committed in the store (or 503).
      await committed?.catch((cause: unknown) => {
        throw new ServeError('NOT_READY', {
          message: 'The prediction could not be written to the prediction log; retry later',
          retryAfter: retryAfterSeconds,
          cause,
        });
      });
    }
    mirrorToShadow(slot, inputs, call.requestId, options);
    return { model: m, inputs, outputs, ids };
  }

  const runner: PredictionRunner = {
    async run(slot, pinned, decode, call) {
      const picked = slot.acquire();
      if (!picked) {
        throw new ServeError('NOT_READY', {
          message: `Model "${slot.name}" is still loading`,
          retryAfter: retryAfterSeconds,
        });
      }
      const { model, release } = picked;
      if (pinned !== undefined && pinned !== model.version) {
        // A version-pinned v2 request goes to that version if it is served (primary or canary).
        const other = slot.served.find((s) => s.model.version === pinned && s.role !== 'shadow');
        if (!other) {
          release();
          throw new MlopsError('NOT_FOUND', {
            message: `Version "${pinned.slice(0, 100)}" of model "${slot.name}" is not served (served: ${slot.served
              .filter((s) => s.role !== 'shadow')
              .map((s) => s.model.version)
              .join(', ')})`,
            details: [{ path: 'version', message: 'Unknown version' }],
          });
        }
        const releasePinned = other.model.use();
        release();
        return await runOn(slot, other.model, releasePinned, decode, call);
      }
      return await runOn(slot, model, release, decode, call);
    },
    async columns(model, inputs, version, call) {
      if (version !== undefined && typeof version !== 'string') {
        throw invalidInput('invalid prediction', [{ path: 'version', message: 'Expected a string' }]);
      }
      const slot = slots.find(model, 'model');
      const plain = toPlainInputs(inputs);
      const r = await runner.run(slot, version, (m) => m.validate(plain, { maxRows, path: 'inputs' }), call);
      return { model: slot.name, version: r.model.version, outputs: r.outputs, predictionIds: r.ids };
    },
  };
  return runner;
}
