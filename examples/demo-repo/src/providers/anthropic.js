/**
 * Anthropic Messages adapter. Pure: shapes requests and reads responses,
 * never touches the network.
 *
 * The Messages API takes the system prompt as a top-level field, so system
 * messages are lifted out of the conversation.
 */
export const name = 'anthropic';

export function buildRequest(request, provider, env = process.env) {
  const system = request.messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n\n');

  const body = {
    model: request.model,
    max_tokens: request.maxTokens,
    messages: request.messages
      .filter((m) => m.role !== 'system')
      .map(({ role, content }) => ({ role, content })),
  };
  if (system) body.system = system;
  if (request.temperature !== undefined) body.temperature = request.temperature;

  return {
    url: `${provider.baseUrl}/messages`,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': env[provider.apiKeyEnv] ?? '',
      'anthropic-version': provider.version,
    },
    body,
  };
}

export function parseResponse(json) {
  const text = (json.content ?? [])
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');
  return {
    text,
    stopReason: json.stop_reason ?? null,
    usage: {
      inputTokens: json.usage?.input_tokens ?? 0,
      outputTokens: json.usage?.output_tokens ?? 0,
    },
  };
}
