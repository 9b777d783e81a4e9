export type {
  AlertDeliveryContext,
  JsonAlertPayload,
  SlackAlertPayload,
  SlackBlock,
  SlackText,
} from './payload.js';
export { escapeSlack, toJsonPayload, toSlackPayload } from './payload.js';
export type { SuppressionDecision, Suppressor, SuppressorOptions } from './suppression.js';
export { createSuppressor } from './suppression.js';
export type {
  DeliveryResult,
  WebhookAlertSink,
  WebhookAlertSinkOptions,
  WebhookAlertSinkStats,
} from './webhook.js';
export { webhookAlertSink } from './webhook.js';
