import { noUsage, notStarted, type AgentResult } from '../../src/result.js';
import { linearComment, writeBackToLinear } from '../../src/deliver/linear-writeback.js';
import { startLinearServer, type LinearServer } from '../../support/linear-server.js';

const KEY = 'lin_api_writeBackKey0123456789abcdefghij';
const RUN_URL = 'https://github.com/octo-org/gateway/actions/runs/42';

let linear: LinearServer | undefined;
afterEach(async () => {
  await linear?.close();
  linear = undefined;
});

async function serve(): Promise<LinearServer> {
  linear = await startLinearServer({
    apiKey: KEY,
    issues: [
      { identifier: 'BAC-1', title: 'Add a changelog' },
      { identifier: 'BAC-2', title: 'Name the licence' },
      { identifier: 'BAC-3', title: 'Check the README' },
    ],
  });
  return linear;
}

function result(id: string, pull?: number, overrides: Partial<AgentResult> = {}): AgentResult {
  return {
    id,
    title: `Task ${id}`,
    status: 'succeeded',
    model: 'claude-sonnet-4-6',
    startedAt: 1_000,
    endedAt: 63_000,
    seconds: 62,
    turns: 8,
    toolCalls: 12,
    usage: noUsage(),
    costUsd: 0.42,
    report: 'Done. @someone should look.',
    branch: `parallel-agents/${id.toLowerCase()}`,
    commit: pull ? 'a'.repeat(40) : undefined,
    pushed: Boolean(pull),
    filesChanged: pull ? ['CHANGELOG.md', 'README.md'] : [],
    insertions: 3,
    deletions: 1,
    ...(pull
      ? { pullRequest: { number: pull, url: `https://github.com/octo-org/gateway/pull/${pull}` } }
      : {}),
    ...overrides,
  };
}

const options = () => ({ apiKey: KEY, apiUrl: linear!.url, runUrl: RUN_URL, retries: 0 });

describe('writeBackToLinear', () => {
  it('comments on each task once and attaches its pull request; a re-run adds no second attachment', async () => {
    await serve();
    const results = [result('BAC-1', 8), result('BAC-2', 9), result('BAC-3')];

    const first = await writeBackToLinear(results, options());
    expect(first.map((o) => [o.task, Boolean(o.comment), Boolean(o.attachment), o.error])).toEqual([
      ['BAC-1', true, true, undefined],
      ['BAC-2', true, true, undefined],
      ['BAC-3', true, false, undefined],
    ]);
    expect(linear!.comments.map((c) => c.issue)).toEqual(['BAC-1', 'BAC-2', 'BAC-3']);
    expect(linear!.attachments.map((a) => [a.issue, a.url, a.title, a.updates])).toEqual([
      ['BAC-1', 'https://github.com/octo-org/gateway/pull/8', 'Pull request #8', 0],
      ['BAC-2', 'https://github.com/octo-org/gateway/pull/9', 'Pull request #9', 0],
    ]);
    const [comment] = linear!.comments;
    expect(comment!.body).toContain('✅ succeeded · 1 m 02 s · 8 turns · $0.42 · 2 files changed');
    expect(comment!.body).toContain('Pull request: [#8](https://github.com/octo-org/gateway/pull/8)');
    expect(comment!.body).toContain(`[Workflow run](${RUN_URL})`);
    // Only what the action measured goes to Linear, never the agent's own words.
    expect(comment!.body).not.toContain('someone');

    // The same pull requests, a run later: a comment for the new run, the attachment updated in place.
    const again = await writeBackToLinear(
      [result('BAC-1', 8, { status: 'timeout' }), result('BAC-2', 9), result('BAC-3')],
      options(),
    );
    expect(again.every((o) => !o.error)).toBe(true);
    expect(linear!.comments).toHaveLength(6);
    expect(linear!.attachments.map((a) => [a.issue, a.updates, a.subtitle])).toEqual([
      ['BAC-1', 1, '⏱️ timed out · parallel-agents'],
      ['BAC-2', 1, '✅ succeeded · parallel-agents'],
    ]);
    expect(new Set(linear!.attachments.map((a) => a.id)).size).toBe(2);
  });

  it('says in one line which task could not be written, and writes the others', async () => {
    await serve();
    const outcomes = await writeBackToLinear([result('BAC-404', 3), result('BAC-1', 8)], options());
    expect(outcomes[0]!.error).toBe(
      'Linear write-back for BAC-404 failed: Linear answered commentCreate with Could not find referenced Issue.',
    );
    expect(outcomes[1]!.error).toBeUndefined();
    expect(linear!.comments.map((c) => c.issue)).toEqual(['BAC-1']);
    expect(linear!.attachments.map((a) => a.issue)).toEqual(['BAC-1']);
  });

  it('names the key when Linear refuses it', async () => {
    await serve();
    const [outcome] = await writeBackToLinear([result('BAC-1', 8)], {
      ...options(),
      apiKey: 'lin_api_wrong',
    });
    expect(outcome!.error).toMatch(
      /^Linear write-back for BAC-1 failed: input `linear-api-key`: Linear refused the API key\./,
    );
    expect(outcome!.error).not.toContain('lin_api_wrong');
    expect(linear!.comments).toHaveLength(0);
  });
});

describe('linearComment', () => {
  it('says a task that never started was skipped, and why it was left out of the combined branch', () => {
    const skipped = notStarted({ id: 'BAC-2', title: 'Later' }, 'skipped', 'BAC-1 failed', 'm');
    expect(linearComment(skipped)).toBe(
      '**parallel-agents**: ⏭️ skipped · 0 turns · $0.00 · 0 files changed',
    );
    const left = result('BAC-3', undefined, {
      commit: 'b'.repeat(40),
      pushed: true,
      leftOut: 'conflicts with BAC-2 in README.md, @someone',
    });
    expect(linearComment(left)).toContain('Branch: `parallel-agents/bac-3`');
    expect(linearComment(left)).toContain(
      'Left out of the combined branch: conflicts with BAC-2 in README.md',
    );
    expect(linearComment(left)).not.toMatch(/@someone/);
  });
});

describe('the Linear stand-in', () => {
  it("checks a mutation's input against Linear's schema, as Linear's GraphQL layer does", async () => {
    await serve();
    const send = (input: Record<string, unknown>) =>
      fetch(linear!.url, {
        method: 'POST',
        headers: { Authorization: KEY, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          query:
            'mutation A($input: AttachmentCreateInput!) { attachmentCreate(input: $input) { success attachment { id } } }',
          variables: { input },
        }),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { errors?: { message: string }[] },
      }));
    const unknown = await send({ issueId: 'BAC-1', url: 'https://x.example', title: 't', colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors?.[0]?.message).toBe(
      'Field "colour" is not defined by type "AttachmentCreateInput".',
    );
    const missing = await send({ issueId: 'BAC-1', title: 't' });
    expect(missing.body.errors?.[0]?.message).toBe(
      'Field "AttachmentCreateInput.url" of required type "String!" was not provided.',
    );
    expect(linear!.attachments).toHaveLength(0);
  });
});
