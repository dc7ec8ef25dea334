import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { toolErrorContent } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import type { EventStream } from '../events.js';
import { oneLine } from './progress.js';

/** The name the model calls the notes tool by. */
export const NOTES_TOOL = 'team_notes';

/** How much one agent may post, and how much of the others' notes one tool result carries. */
export const NOTE_LIMITS = {
  /** Notes per agent. */
  perAgent: 10,
  topicChars: 60,
  textChars: 800,
  /** Characters of notes a `read` returns: the newest that fit. */
  readChars: 8_000,
  /** Characters of new notes appended to one tool result; the rest wait for `read`. */
  deliverChars: 4_000,
};

/** A note as the run keeps it. */
export interface TeamNote {
  task: string;
  at: number;
  topic: string;
  text: string;
}

/** The notes posted so far in a run, in order, as its event stream carries them. */
class NoteBoard {
  readonly notes: TeamNote[] = [];

  constructor(events: EventStream) {
    events.on((event) => {
      if (event.type === 'note')
        this.notes.push({ task: event.task, at: event.at, topic: event.topic, text: event.text });
    });
  }
}

// The notes of a run live with its event stream, which every agent of the run shares; nothing else need carry them.
const boards = new WeakMap<EventStream, NoteBoard>();

function boardOf(events: EventStream): NoteBoard {
  let board = boards.get(events);
  if (!board) boards.set(events, (board = new NoteBoard(events)));
  return board;
}

/**
 * One agent's side of the run's notes: what it posts (bounded, redacted, sent out as a `note` event) and which of the
 * others' notes it has not been shown yet.
 */
export class AgentNotes {
  readonly #task: string;
  readonly #events: EventStream;
  readonly #board: NoteBoard;
  readonly #redact: (text: string) => string;
  #posted = 0;
  /** How far into the board this agent has been shown. */
  #seen = 0;

  constructor(task: string, events: EventStream, redact: (text: string) => string = (text) => text) {
    this.#task = task;
    this.#events = events;
    this.#board = boardOf(events);
    this.#redact = redact;
  }

  post(topic: string, text: string): string {
    if (this.#posted >= NOTE_LIMITS.perAgent)
      throw new ToolError(
        `${NOTES_TOOL}: you have posted ${NOTE_LIMITS.perAgent} notes, the most an agent may; add to your report instead`,
      );
    const note = {
      topic: oneLine(this.#redact(topic), NOTE_LIMITS.topicChars),
      text: cut(plainText(this.#redact(text)), NOTE_LIMITS.textChars),
    };
    if (!note.topic || !note.text)
      throw new ToolError(`${NOTES_TOOL}: a note needs a topic and a text; pass both with action "post"`);
    this.#posted += 1;
    this.#events.emit({ type: 'note', task: this.#task, at: Date.now(), ...note });
    const left = NOTE_LIMITS.perAgent - this.#posted;
    return `Posted; the other agents get it with their next tool result. ${left} more ${left === 1 ? 'note' : 'notes'} allowed.`;
  }

  /** Every note of the others, the newest that fit in `readChars`; all of them count as shown. */
  read(): string {
    const others = this.#others(0);
    this.#seen = this.#board.notes.length;
    if (others.length === 0) return 'No notes from the other agents yet.';
    return newestWithin(others, NOTE_LIMITS.readChars, 'older');
  }

  /** The others' notes posted since this agent was last shown any, once each; empty when there are none. */
  unseen(): string {
    const fresh = this.#others(this.#seen);
    this.#seen = this.#board.notes.length;
    if (fresh.length === 0) return '';
    const body = newestWithin(fresh, NOTE_LIMITS.deliverChars, 'more new');
    return `<team-notes>\nNew notes from the other agents (${NOTES_TOOL} read shows them all):\n${body}\n</team-notes>`;
  }

  #others(from: number): TeamNote[] {
    return this.#board.notes.slice(from).filter((note) => note.task !== this.#task);
  }
}

/** `[BAC-1] topic: text` per note, the newest that fit in `maxChars`, with a line saying how many did not. */
function newestWithin(notes: readonly TeamNote[], maxChars: number, which: string): string {
  const lines: string[] = [];
  let used = 0;
  for (const note of [...notes].reverse()) {
    const line = `[${note.task}] ${note.topic}: ${note.text}`;
    if (used + line.length + 1 > maxChars) break;
    lines.unshift(line);
    used += line.length + 1;
  }
  const left = notes.length - lines.length;
  if (left > 0) lines.unshift(`(${left} ${which} ${left === 1 ? 'note' : 'notes'} not shown)`);
  return lines.join('\n');
}

/** The tool an agent posts and reads notes with. Its definition is the same bytes for every agent. */
export function teamNotesTool(notes: AgentNotes): BetaRunnableTool {
  return betaTool({
    name: NOTES_TOOL,
    description: `Share what you found with the other agents working on this repository at the same time, and read what they found. action "post" with a topic and a short text (${NOTE_LIMITS.textChars} characters at most, ${NOTE_LIMITS.perAgent} notes at most) posts a note: post what would save another agent time, such as where something lives, a convention, a trap, or a change others depend on. action "read" returns the notes of the others. New notes from the others also arrive with your next tool result.`,
    inputSchema: {
      type: 'object',
      properties: {
        action: { type: 'string', enum: ['post', 'read'] },
        topic: { type: 'string', description: 'With "post": what the note is about, in a few words.' },
        text: { type: 'string', description: 'With "post": the note itself, a few lines.' },
      },
      required: ['action'],
      additionalProperties: false,
    },
    run: (input) => {
      const { action, topic, text } = (input ?? {}) as Record<string, unknown>;
      if (action === 'read') return notes.read();
      if (action === 'post')
        return notes.post(typeof topic === 'string' ? topic : '', typeof text === 'string' ? text : '');
      throw new ToolError(`${NOTES_TOOL}: action must be "post" or "read"`);
    },
  });
}

/** The tool with the others' new notes appended to whatever it returns next, error or not. */
export function withNewNotes(tool: BetaRunnableTool, notes: AgentNotes): BetaRunnableTool {
  return {
    ...tool,
    run: async (input, context) => {
      let output: Awaited<ReturnType<BetaRunnableTool['run']>>;
      try {
        output = await tool.run(input, context);
      } catch (caught) {
        const fresh = notes.unseen();
        if (!fresh) throw caught;
        throw new ToolError(appended(toolErrorContent(caught), fresh));
      }
      const fresh = notes.unseen();
      return fresh ? appended(output, fresh) : output;
    },
  };
}

function appended<T extends Awaited<ReturnType<BetaRunnableTool['run']>>>(output: T, text: string): T {
  if (typeof output === 'string') return `${output}\n\n${text}` as T;
  return [...output, { type: 'text', text }] as T;
}

/** Text without control characters other than line breaks and tabs, its lines trimmed at the end. */
function plainText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .trim()
  );
}

function cut(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = maxChars - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end).trimEnd()}…`;
}
