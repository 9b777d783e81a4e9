import { describe, expect, it } from 'vitest';
import { MISTRAL_BASE_URL, OPENAI_BASE_URL, resolveLlmConfig } from './config.js';

describe('resolveLlmConfig', () => {
  it('is not configured with an empty environment', () => {
    expect(resolveLlmConfig({ env: {} })).toMatchObject({ configured: false, reason: 'no-credentials' });
    expect(resolveLlmConfig({ env: { OPENAI_API_KEY: '  ' } })).toMatchObject({ configured: false });
  });

  it('uses OPENAI_API_KEY with OpenAI’s base URL and default model', () => {
    expect(resolveLlmConfig({ env: { OPENAI_API_KEY: 'sk-o' } })).toEqual({
      configured: true,
      provider: 'openai',
      baseUrl: OPENAI_BASE_URL,
      model: 'gpt-4o-mini',
      apiKey: 'sk-o',
      sources: { baseUrl: 'OPENAI_API_KEY', model: 'default', apiKey: 'OPENAI_API_KEY' },
    });
  });

  it('uses MISTRAL_API_KEY with Mistral’s base URL; OpenAI’s key wins when both are set', () => {
    expect(resolveLlmConfig({ env: { MISTRAL_API_KEY: 'm' } })).toMatchObject({
      provider: 'mistral',
      baseUrl: MISTRAL_BASE_URL,
      model: 'mistral-small-latest',
      apiKey: 'm',
    });
    expect(resolveLlmConfig({ env: { MISTRAL_API_KEY: 'm', OPENAI_API_KEY: 'o' } })).toMatchObject({
      provider: 'openai',
      apiKey: 'o',
    });
  });

  it('MLOPS_LLM_* win over provider keys', () => {
    const env = {
      MLOPS_LLM_BASE_URL: 'http://127.0.0.1:11434/v1/',
      MLOPS_LLM_MODEL: 'llama3.2',
      OPENAI_API_KEY: 'o',
    };
    expect(resolveLlmConfig({ env })).toEqual({
      configured: true,
      provider: 'custom',
      baseUrl: 'http://127.0.0.1:11434/v1',
      model: 'llama3.2',
      apiKey: undefined,
      sources: { baseUrl: 'MLOPS_LLM_BASE_URL', model: 'MLOPS_LLM_MODEL', apiKey: undefined },
    });
    expect(resolveLlmConfig({ env: { ...env, MLOPS_LLM_API_KEY: 'k' } })).toMatchObject({ apiKey: 'k' });
  });

  it('explicit options win over everything', () => {
    const env = { MLOPS_LLM_BASE_URL: 'http://a/v1', MLOPS_LLM_MODEL: 'x', MLOPS_LLM_API_KEY: 'env' };
    expect(resolveLlmConfig({ env, baseUrl: 'http://b/v1', model: 'y', apiKey: 'opt' })).toMatchObject({
      baseUrl: 'http://b/v1',
      model: 'y',
      apiKey: 'opt',
      sources: { baseUrl: 'options', model: 'options', apiKey: 'options' },
    });
  });

  it('an MLOPS key without base URL targets OpenAI; a provider base URL picks up its provider key', () => {
    expect(resolveLlmConfig({ env: { MLOPS_LLM_API_KEY: 'k' } })).toMatchObject({
      provider: 'openai',
      apiKey: 'k',
      sources: { baseUrl: 'default', apiKey: 'MLOPS_LLM_API_KEY' },
    });
    expect(
      resolveLlmConfig({ env: { MLOPS_LLM_BASE_URL: MISTRAL_BASE_URL, MISTRAL_API_KEY: 'm', OPENAI_API_KEY: 'o' } }),
    ).toMatchObject({ provider: 'mistral', apiKey: 'm', model: 'mistral-small-latest' });
  });

  it('a custom base URL without a model is not configured (no-model)', () => {
    expect(resolveLlmConfig({ env: { MLOPS_LLM_BASE_URL: 'http://127.0.0.1:8080/v1' } })).toMatchObject({
      configured: false,
      reason: 'no-model',
    });
  });
});
