/** OpenAI's API base URL, used with `OPENAI_API_KEY`. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** Mistral's API base URL, used with `MISTRAL_API_KEY`. */
export const MISTRAL_BASE_URL = 'https://api.mistral.ai/v1';
/** The model used with OpenAI when none is configured. */
export const OPENAI_DEFAULT_MODEL = 'gpt-4o-mini';
/** The model used with Mistral when none is configured. */
export const MISTRAL_DEFAULT_MODEL = 'mistral-small-latest';

/** Which service a configuration points at: a known provider or any other OpenAI-compatible server. */
export type LlmProvider = 'openai' | 'mistral' | 'custom';

/** Where a configuration value came from (never the value itself, for keys). */
export type LlmConfigSource =
  | 'options'
  | 'MLOPS_LLM_BASE_URL'
  | 'MLOPS_LLM_API_KEY'
  | 'MLOPS_LLM_MODEL'
  | 'OPENAI_API_KEY'
  | 'MISTRAL_API_KEY'
  | 'default';

/** Connection settings given explicitly; each wins over the environment. */
export interface LlmConnectionOptions {
  /**
   * Base URL of an OpenAI-compatible API (the part before `/chat/completions`), e.g. `http://127.0.0.1:11434/v1`.
   * @default MLOPS_LLM_BASE_URL, else the provider of the key found (OpenAI, Mistral)
   */
  baseUrl?: string;
  /**
   * API key, sent as `Authorization: Bearer <key>`. Local servers may need none.
   * @default MLOPS_LLM_API_KEY, else OPENAI_API_KEY or MISTRAL_API_KEY matching the base URL
   */
  apiKey?: string;
  /**
   * Model name.
   * @default MLOPS_LLM_MODEL, else the provider's default (`gpt-4o-mini`, `mistral-small-latest`)
   */
  model?: string;
  /**
   * Environment to read.
   * @default process.env
   */
  env?: Record<string, string | undefined>;
}

/** A usable configuration. `apiKey` is kept out of `toJSON`/inspection by the client; do not log it. */
export interface LlmConfig {
  configured: true;
  provider: LlmProvider;
  baseUrl: string;
  model: string;
  apiKey: string | undefined;
  /** Where each value came from. */
  sources: { baseUrl: LlmConfigSource; model: LlmConfigSource; apiKey: LlmConfigSource | undefined };
}

/** Why no usable configuration was found. */
export interface LlmNotConfigured {
  configured: false;
  /** `no-credentials`: neither a base URL nor a provider key; `no-model`: a custom base URL without a model. */
  reason: 'no-credentials' | 'no-model';
  message: string;
}

const nonEmpty = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

/** The origin of a URL (never its path or credentials), or a placeholder when it does not parse. */
export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '<invalid url>';
  }
}

function providerOf(baseUrl: string): LlmProvider {
  let host: string;
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    return 'custom';
  }
  if (host === 'api.openai.com') return 'openai';
  if (host === 'api.mistral.ai') return 'mistral';
  return 'custom';
}

/**
 * Resolves the LLM configuration: explicit options win, then `MLOPS_LLM_BASE_URL` / `MLOPS_LLM_API_KEY` /
 * `MLOPS_LLM_MODEL`, then `OPENAI_API_KEY` (OpenAI's base URL) and `MISTRAL_API_KEY` (Mistral's), in that order.
 * A base URL without a key is valid (local servers such as Ollama or llama.cpp); nothing at all is "not configured".
 */
export function resolveLlmConfig(opts: LlmConnectionOptions = {}): LlmConfig | LlmNotConfigured {
  const env = opts.env ?? process.env;
  let baseUrl = nonEmpty(opts.baseUrl);
  let baseSource: LlmConfigSource = 'options';
  if (!baseUrl) {
    baseUrl = nonEmpty(env.MLOPS_LLM_BASE_URL);
    baseSource = 'MLOPS_LLM_BASE_URL';
  }
  let apiKey = nonEmpty(opts.apiKey);
  let keySource: LlmConfigSource | undefined = apiKey ? 'options' : undefined;
  if (!apiKey && nonEmpty(env.MLOPS_LLM_API_KEY)) {
    apiKey = nonEmpty(env.MLOPS_LLM_API_KEY);
    keySource = 'MLOPS_LLM_API_KEY';
  }
  const openaiKey = nonEmpty(env.OPENAI_API_KEY);
  const mistralKey = nonEmpty(env.MISTRAL_API_KEY);

  if (!baseUrl) {
    if (apiKey) {
      // A key without a base URL: OpenAI, the protocol's reference.
      baseUrl = OPENAI_BASE_URL;
      baseSource = 'default';
    } else if (openaiKey) {
      baseUrl = OPENAI_BASE_URL;
      baseSource = 'OPENAI_API_KEY';
      apiKey = openaiKey;
      keySource = 'OPENAI_API_KEY';
    } else if (mistralKey) {
      baseUrl = MISTRAL_BASE_URL;
      baseSource = 'MISTRAL_API_KEY';
      apiKey = mistralKey;
      keySource = 'MISTRAL_API_KEY';
    } else {
      return {
        configured: false,
        reason: 'no-credentials',
        message:
          'no LLM configured: set MLOPS_LLM_BASE_URL (and MLOPS_LLM_API_KEY, MLOPS_LLM_MODEL), OPENAI_API_KEY or MISTRAL_API_KEY',
      };
    }
  }
  const provider = providerOf(baseUrl);
  if (!apiKey && provider === 'openai' && openaiKey) {
    apiKey = openaiKey;
    keySource = 'OPENAI_API_KEY';
  } else if (!apiKey && provider === 'mistral' && mistralKey) {
    apiKey = mistralKey;
    keySource = 'MISTRAL_API_KEY';
  }

  let model = nonEmpty(opts.model);
  let modelSource: LlmConfigSource = 'options';
  if (!model && nonEmpty(env.MLOPS_LLM_MODEL)) {
    model = nonEmpty(env.MLOPS_LLM_MODEL);
    modelSource = 'MLOPS_LLM_MODEL';
  }
  if (!model) {
    modelSource = 'default';
    if (provider === 'openai') model = OPENAI_DEFAULT_MODEL;
    else if (provider === 'mistral') model = MISTRAL_DEFAULT_MODEL;
    else {
      return {
        configured: false,
        reason: 'no-model',
        message: `no LLM model configured for ${safeOrigin(baseUrl)}: set MLOPS_LLM_MODEL or pass { model }`,
      };
    }
  }
  return {
    configured: true,
    provider,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    model: model as string,
    apiKey,
    sources: { baseUrl: baseSource, model: modelSource, apiKey: keySource },
  };
}
