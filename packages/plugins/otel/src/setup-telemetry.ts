import { MlopsError, type Telemetry } from '@mlops/core';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { NodeSDK, type NodeSDKConfiguration, resources } from '@opentelemetry/sdk-node';
import { z } from 'zod';
import { otelTelemetry } from './otel-telemetry.js';

/** Options of {@link setupTelemetry}. Everything else comes from the standard `OTEL_*` environment variables. */
export interface SetupTelemetryOptions {
  /**
   * `service.name` of the resource.
   * @default process.env.OTEL_SERVICE_NAME ?? 'mlops-serve'
   */
  serviceName?: string;
  /**
   * `service.version` of the resource.
   * @default undefined (or `OTEL_RESOURCE_ATTRIBUTES`)
   */
  serviceVersion?: string;
  /**
   * Export metrics too (through `OTEL_METRICS_EXPORTER`, OTLP by default); `false` registers no meter provider.
   * @default true
   */
  metrics?: boolean;
  /**
   * Extra `NodeSDK` configuration (instrumentations, sampler, span processors, …), applied last.
   * @default {}
   */
  sdk?: Partial<NodeSDKConfiguration>;
}

/** What {@link setupTelemetry} returns: core's `Telemetry` on OpenTelemetry, plus shutdown. */
export interface TelemetryHandle extends Telemetry {
  /**
   * Flushes pending spans and metrics to the exporters, shuts the SDK down and unregisters the global
   * OpenTelemetry providers (so `setupTelemetry` may be called again). Idempotent.
   */
  shutdown(): Promise<void>;
}

const optionsSchema = z.object({
  serviceName: z.string().min(1).optional(),
  serviceVersion: z.string().min(1).optional(),
  metrics: z.boolean().optional(),
  sdk: z.record(z.string(), z.unknown()).optional(),
});

const DEFAULT_SERVICE_NAME = 'mlops-serve';

let active = false;

/**
 * Starts the OpenTelemetry Node SDK for traces and metrics, configured from the standard `OTEL_*` variables
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf` by default, or `http/json`),
 * `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER`, `OTEL_TRACES_SAMPLER`, `OTEL_SDK_DISABLED`, …). Spans that
 * `@mlops/serve` emits through `@opentelemetry/api` then reach the exporter. Call it once, before serving.
 *
 * @example
 * const telemetry = setupTelemetry(); // OTLP/HTTP to http://localhost:4318 unless OTEL_* say otherwise
 * process.on('SIGTERM', () => void telemetry.shutdown());
 */
export function setupTelemetry(options: SetupTelemetryOptions = {}): TelemetryHandle {
  const o = optionsSchema.parse(options);
  if (active) {
    throw new MlopsError('CONFLICT', 'OpenTelemetry is already set up: call shutdown() on the first handle first');
  }
  const serviceName = o.serviceName ?? (process.env.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME);
  const sdk = new NodeSDK({
    serviceName,
    ...(o.serviceVersion === undefined ? {} : { resource: serviceVersionResource(o.serviceVersion) }),
    ...(o.metrics === false ? { metricReaders: [] } : {}),
    ...options.sdk,
  });
  sdk.start();
  active = true;
  let stopped: Promise<void> | undefined;
  return {
    ...otelTelemetry({ name: '@mlops/plugin-otel' }),
    shutdown() {
      stopped ??= (async () => {
        try {
          await sdk.shutdown();
        } finally {
          trace.disable();
          metrics.disable();
          logs.disable();
          propagation.disable();
          context.disable();
          active = false;
        }
      })();
      return stopped;
    },
  };
}

function serviceVersionResource(version: string): NodeSDKConfiguration['resource'] {
  // `resources` is sdk-node's re-export: the same copy of @opentelemetry/resources the SDK uses.
  return resources.defaultResource().merge(resources.resourceFromAttributes({ 'service.version': version }));
}
