import { type Columns, invalidInput, timeOrderedId } from '@mlops/core';
import { isRequestId } from '@mlops/core/http';
import { ServeError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import type { ServerPrediction, ServerPredictOptions } from '../model-server.js';
import type { PredictionRunner } from './run-prediction.js';

/**
 * `server.predict`: a prediction in code, exactly as `POST /v1/models/{model}/predict` (counted in flight, refused
 * while shutting down, logged under `requestId`) (internal).
 */
export function serverPredict(
  lifecycle: Lifecycle,
  runner: PredictionRunner,
): (model: string, inputs: Columns, options?: ServerPredictOptions) => Promise<ServerPrediction> {
  return async (model, inputs, options = {}) => {
    const requestId = options.requestId ?? timeOrderedId();
    if (!isRequestId(requestId)) {
      throw invalidInput('invalid prediction', [
        { path: 'requestId', message: 'Letters, digits, ".", "_", ":", "-" (1 to 128)' },
      ]);
    }
    if (lifecycle.closing) throw new ServeError('SHUTTING_DOWN', { message: 'The server is shutting down' });
    lifecycle.enter();
    try {
      // A prediction in code has no client to lose: it can only time out.
      const call = { requestId, start: performance.now(), signal: new AbortController().signal };
      return { ...(await runner.columns(model, inputs, options.version, call)), requestId };
    } finally {
      lifecycle.leave();
    }
  };
}
