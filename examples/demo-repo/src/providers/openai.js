/**
 * OpenAI Chat Completions adapter. Pure: shapes requests and reads responses,
 * never touches the network.
 */
export const name = 'openai';

export function buildRequest(request, provider, env = process.env) {
  const body = {
    model: request.model,
    messages: request.messages.map(({ role, content }) => ({ role, content })),
    max_tokens: request.maxTokens,
  };
  if (request.temperature !== undefined) body.temperature = request.temperature;

  return {
    url: `${provider.baseUrl}/chat/completions`,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${env[provider.apiKeyEnv] ?? ''}`,
    },
    body,
  };
}

export function parseResponse(json) {
  const choice = json.choices?.[0];
  return {
    text: choice?.message?.content ?? '',
    stopReason: choice?.finish_reason ?? null,
    usage: {
      inputTokens: json.usage?.prompt_tokens ?? 0,
      outputTokens: json.usage?.completion_tokens ?? 0,
    },
  };
}
