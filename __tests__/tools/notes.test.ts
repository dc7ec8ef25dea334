import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { EventStream, type RunEvent } from '../../src/events.js';
import { redactor } from '../../src/report/redact.js';
import { AgentNotes, NOTE_LIMITS, teamNotesTool, withNewNotes } from '../../src/tools/notes.js';
import { startMessagesServer } from '../../support/messages-server.js';
import { runAgentsAgainst, taskOf } from '../../support/run-agents.js';
import type { Scripts } from '../../support/script.js';

const SECRET = 'sk-ant-api03-notesSecret0123456789';

function board() {
  const events = new EventStream();
  const seen: RunEvent[] = [];
  events.on((e) => seen.push(e));
  const agent = (task: string) => new AgentNotes(task, events, redactor([SECRET]));
  return { events, seen, agent };
}

describe('team notes', () => {
  it('posts a note as a `note` event, redacted, on one topic line and within its length', () => {
    const { seen, agent } = board();
    const one = agent('BAC-1');
    const answer = one.post('router\nconfig', `The key is ${SECRET}\u0007 and ${'x'.repeat(2_000)}`);

    expect(answer).toMatch(/^Posted; .* 9 more notes allowed\.$/);
    const note = seen.find((e) => e.type === 'note');
    expect(note).toMatchObject({ type: 'note', task: 'BAC-1', topic: 'router config' });
    const text = (note as { text: string }).text;
    expect(text).toMatch(/^The key is \*\*\* and x+…$/);
    expect(text).toHaveLength(NOTE_LIMITS.textChars);
    expect(JSON.stringify(seen)).not.toContain(SECRET);
  });

  it('refuses a note past the most an agent may post, and one without a topic or text', () => {
    const { agent } = board();
    const one = agent('BAC-1');
    expect(() => one.post('', 'text')).toThrow(/needs a topic and a text/);
    for (let i = 0; i < NOTE_LIMITS.perAgent; i++) one.post(`topic ${i}`, 'text');
    expect(() => one.post('one more', 'text')).toThrow(/posted 10 notes, the most an agent may/);
  });

  it('shows an agent the others’ new notes once each, never its own, and all of them on read', async () => {
    const { agent } = board();
    const [one, two] = [agent('BAC-1'), agent('BAC-2')];
    const read = withNewNotes({ ...teamNotesTool(two), name: 'read' } as BetaRunnableTool, two);
    one.post('router', 'The routes live in config/routes.json.');
    two.post('tests', 'npm test needs no network.');

    const first = await read.run({ action: 'post', topic: 'x', text: 'y' });
    expect(first).toContain('<team-notes>');
    expect(first).toContain('[BAC-1] router: The routes live in config/routes.json.');
    expect(first).not.toContain('[BAC-2]');
    expect(await read.run({ action: 'post', topic: 'z', text: 'w' })).not.toContain('<team-notes>');
    expect(one.unseen()).toContain('[BAC-2] tests: npm test needs no network.');
    expect(one.unseen()).toBe('');
    expect(two.read()).toBe('[BAC-1] router: The routes live in config/routes.json.');
  });

  it('appends new notes to a tool error too', async () => {
    const { agent } = board();
    const [one, two] = [agent('BAC-1'), agent('BAC-2')];
    const failing = withNewNotes(
      { ...teamNotesTool(two), run: () => Promise.reject(new Error('no such file')) },
      two,
    );
    one.post('router', 'The routes live in config/routes.json.');
    await expect(failing.run({})).rejects.toMatchObject({
      content: expect.stringMatching(/^Error: no such file\n\n<team-notes>[^]*\[BAC-1\] router/),
    });
  });
});

describe('team notes between agents, over the real SDK', () => {
  it('reach the second agent in its next request after the first posted one', async () => {
    const note = {
      topic: 'router config',
      text: 'The routes live in config/routes.json, not src/router.js.',
    };
    const scripts: Scripts = {
      'BAC-1': [
        { tools: [{ name: 'team_notes', input: { action: 'post', ...note } }] },
        { text: 'Posted what I found.', latencyMs: 600 },
      ],
      'BAC-2': [
        // Its tool call comes well after the first agent's note.
        { tools: [{ name: 'read', input: { file_path: 'README.md' } }], latencyMs: 600 },
        { text: 'Read the README.' },
      ],
    };
    const server = await startMessagesServer({ scripts, recordBodies: true });
    const events = new EventStream();
    const notes: RunEvent[] = [];
    events.on((e) => e.type === 'note' && notes.push(e));
    try {
      const results = await runAgentsAgainst(server.url, [taskOf('BAC-1'), taskOf('BAC-2')], { events });
      expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);

      const body = (task: string, turn: number) =>
        JSON.stringify(
          server.requests.find((r) => r.task === task && r.turn === turn && r.status === 200)?.body,
        );
      expect(body('BAC-2', 1)).toContain('[BAC-1] router config: The routes live in config/routes.json');
      // Its own note never comes back to the agent that posted it.
      expect(body('BAC-1', 1)).not.toContain('<team-notes>');
      expect(notes).toEqual([expect.objectContaining({ type: 'note', task: 'BAC-1', ...note })]);
    } finally {
      await server.close();
    }
  });
});
