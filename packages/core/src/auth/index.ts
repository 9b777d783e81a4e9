// API keys: created, listed, revoked and verified in the store; the scopes servers check.

export type {
  ApiKeyInfo,
  ApiKeyPrincipal,
  ApiKeyScope,
  CreateApiKeyOptions,
  CreatedApiKey,
  VerifyApiKeyOptions,
} from './api-keys.js';
export {
  API_KEY_SCOPES,
  apiKeyPrincipal,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  verifyApiKey,
} from './api-keys.js';
