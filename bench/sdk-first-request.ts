// The model SDK by itself, bundled and minified as the action is (ncc), making one streamed request: the cold-start
// floor of anything that calls the model with it. The bench times it from process start to the request, beside the
// action's own cold start.
//
// Environment: ANTHROPIC_BASE_URL, the server; BENCH_TASK, a task id the server has a script for.
import Anthropic from '@anthropic-ai/sdk';

const client = new Anthropic({ apiKey: 'bench', baseURL: process.env.ANTHROPIC_BASE_URL });
const stream = client.beta.messages.stream({
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  messages: [{ role: 'user', content: `Task ${process.env.BENCH_TASK}.` }],
});
await stream.finalMessage();
