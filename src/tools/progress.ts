import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';

/** The name the model calls the progress tool by. */
export const PROGRESS_TOOL = 'report_progress';

/** Longest "doing" line kept: a few words for a table cell and a log line. */
const DOING_CHARS = 80;

/**
 * The tool an agent tells the run how far it is with: a percent and a few words. It touches nothing; each call is
 * handed to `report`, already bounded. Its definition is the same bytes for every agent (the prompt cache serves it).
 */
export function progressTool(report: (percent: number, doing: string) => void): BetaRunnableTool {
  return betaTool({
    name: PROGRESS_TOOL,
    description:
      'Tell the people watching this run how far you are with your task: a percent (0-100) of the whole task and, in a few words, what you are doing now. Call it when you start a new step (every few turns); it changes nothing and costs nothing else.',
    inputSchema: {
      type: 'object',
      properties: {
        percent: { type: 'integer', minimum: 0, maximum: 100, description: 'How much of the task is done.' },
        doing: {
          type: 'string',
          description: 'What you are doing now, in a few words (e.g. "Writing the fix").',
        },
      },
      required: ['percent', 'doing'],
      additionalProperties: false,
    },
    run: (input) => {
      const { percent, doing } = (input ?? {}) as { percent?: unknown; doing?: unknown };
      if (typeof percent !== 'number' || !Number.isFinite(percent))
        throw new ToolError(`${PROGRESS_TOOL}: percent must be a number from 0 to 100`);
      const words = typeof doing === 'string' ? oneLine(doing, DOING_CHARS) : '';
      if (!words) throw new ToolError(`${PROGRESS_TOOL}: say in a few words what you are doing (doing)`);
      report(Math.round(Math.min(100, Math.max(0, percent))), words);
      return 'Noted.';
    },
  });
}

/**
 * What a tool call says the agent is doing, for the times it has not said so itself: `editing src/router.js`,
 * `reading docs/`, `running npm test`. Undefined for a tool it knows nothing of.
 */
export function standInFor(tool: string, input: Record<string, unknown>): string | undefined {
  const field = (key: string) => {
    const value = input[key];
    return typeof value === 'string' ? value : '';
  };
  const where = field('path') ? ` in ${field('path')}` : '';
  const phrase = (() => {
    switch (tool) {
      case 'read':
        return `reading ${field('file_path') || field('path')}`;
      case 'write':
        return `writing ${field('file_path') || field('path')}`;
      case 'edit':
        return `editing ${field('file_path') || field('path')}`;
      case 'glob':
        return `looking for ${field('pattern')}${where}`;
      case 'grep':
        return `searching for ${field('pattern')}${where}`;
      case 'bash':
        return `running ${field('command').trim().split('\n', 1)[0] ?? ''}`;
      default:
        return undefined;
    }
  })();
  return phrase === undefined ? undefined : oneLine(phrase, DOING_CHARS);
}

/**
 * Untrusted text on one line: whitespace folded, control characters dropped (a raw newline in the live log could start
 * a line the runner reads as a workflow command such as `::add-mask::`), cut with `…` at `maxChars`.
 */
export function oneLine(text: string, maxChars: number): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  if (line.length <= maxChars) return line;
  let cut = Math.max(0, maxChars - 1);
  const code = line.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${line.slice(0, cut).trimEnd()}…`;
}
