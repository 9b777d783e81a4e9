export type {
  ChatDelta,
  ChatMessage,
  ChatRequest,
  ChatResult,
  ChatUsage,
  LlmClient,
  LlmClientConfig,
  LlmClientOptions,
  LlmRetryInfo,
  TryChatResult,
} from './client.js';
export { chatMessageSchema, createLlmClient } from './client.js';
export type {
  LlmConfig,
  LlmConfigSource,
  LlmConnectionOptions,
  LlmNotConfigured,
  LlmProvider,
} from './config.js';
export {
  MISTRAL_BASE_URL,
  MISTRAL_DEFAULT_MODEL,
  OPENAI_BASE_URL,
  OPENAI_DEFAULT_MODEL,
  resolveLlmConfig,
} from './config.js';
export type { LlmErrorOptions } from './errors.js';
export { LlmError, LlmNotConfiguredError } from './errors.js';
