import { APIError, APIUserAbortError } from '@anthropic-ai/sdk';

/** One line for a user: the error's class, its HTTP status when there is one, and the API's own message. */
export function describeError(error: unknown): string {
  if (error instanceof APIUserAbortError) return 'request aborted';
  if (error instanceof APIError) {
    const body = error.error as { error?: { message?: unknown } } | undefined;
    const apiMessage = typeof body?.error?.message === 'string' ? body.error.message : undefined;
    const status = error.status ? ` (HTTP ${error.status})` : '';
    return `${error.constructor.name}${status}: ${firstLine(apiMessage ?? error.message)}`;
  }
  if (error instanceof Error) return `${error.name}: ${firstLine(error.message)}`;
  return firstLine(String(error));
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
