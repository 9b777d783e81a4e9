export type { OtelTelemetryOptions } from './otel-telemetry.js';
export { otelTelemetry } from './otel-telemetry.js';
export type { SetupTelemetryOptions, TelemetryHandle } from './setup-telemetry.js';
export { setupTelemetry } from './setup-telemetry.js';
