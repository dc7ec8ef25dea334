/**
 * Providers the gateway knows, in the order they are tried.
 *
 * A provider serves a model when the model name starts with one of its
 * `modelPrefixes`. Keys are read from the environment variable named by
 * `apiKeyEnv` when a request is prepared, never stored here.
 */
export const config = {
  providers: {
    openai: {
      baseUrl: 'https://api.openai.com/v1',
      apiKeyEnv: 'OPENAI_API_KEY',
      modelPrefixes: ['gpt-', 'o1', 'o3'],
    },
    anthropic: {
      baseUrl: 'https://api.anthropic.com/v1',
      apiKeyEnv: 'ANTHROPIC_API_KEY',
      modelPrefixes: ['claude-'],
      version: '2023-06-01',
    },
  },
  defaults: {
    maxTokens: 1024,
  },
};
