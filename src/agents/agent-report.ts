import type { AgentOutcome, AgentReport } from '../result.js';

const OUTCOMES: readonly AgentOutcome[] = ['done', 'partial', 'blocked'];

/** Items kept of each list, and characters of each item: a report is read by people, not archived. */
const MAX_ITEMS = 20;
const MAX_ITEM_CHARS = 500;

const lines = (description: string) => ({ type: 'array', items: { type: 'string' }, description });

/**
 * The `output_config.format` of every agent's requests. It is the same for every agent, so it takes nothing from the
 * prompt cache; the model keeps calling tools as before, and only its last reply is this JSON.
 */
export const AGENT_REPORT_FORMAT = {
  type: 'json_schema',
  schema: {
    type: 'object',
    properties: {
      outcome: {
        type: 'string',
        enum: [...OUTCOMES],
        description: 'done: the task is complete; partial: only part of it is; blocked: you could not do it',
      },
      summary: {
        type: 'string',
        description:
          'Markdown for the maintainers, short: what you changed and why, and how you checked it (or why not)',
      },
      changes: lines('Each change, one line, naming the file it is in'),
      risks: lines('What could break, or needs a careful review'),
      follow_ups: lines('What is left for a human or a later task'),
    },
    required: ['outcome', 'summary', 'changes', 'risks', 'follow_ups'],
    additionalProperties: false,
  },
} as const;

/**
 * The report in a reply's text, or undefined when the text is not one (an endpoint that ignored the format, a reply
 * cut off at `max_tokens`). Extra fields are ignored; a missing list is empty.
 */
export function parseAgentReport(text: string): AgentReport | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields = value as Record<string, unknown>;
  const outcome = fields['outcome'];
  const summary = fields['summary'];
  if (!OUTCOMES.includes(outcome as AgentOutcome) || typeof summary !== 'string') return undefined;
  const list = (name: string) => {
    const items = fields[name];
    if (!Array.isArray(items)) return [];
    return items
      .filter((i): i is string => typeof i === 'string')
      .slice(0, MAX_ITEMS)
      .map((i) => (i.length > MAX_ITEM_CHARS ? `${i.slice(0, MAX_ITEM_CHARS - 1)}…` : i));
  };
  return {
    outcome: outcome as AgentOutcome,
    summary,
    changes: list('changes'),
    risks: list('risks'),
    followUps: list('follow_ups'),
  };
}

/** The report as the Markdown the summary, the comment and the pull request show: the summary, then each list. */
export function agentReportMarkdown(report: AgentReport): string {
  const parts = [report.summary.trim()];
  const section = (title: string, items: string[]) => {
    if (items.length)
      parts.push(`**${title}**\n\n${items.map((i) => `- ${i.replace(/\s*\n\s*/g, ' ')}`).join('\n')}`);
  };
  section('Changes', report.changes);
  section('Risks', report.risks);
  section('Follow-ups', report.followUps);
  return parts.filter(Boolean).join('\n\n');
}
