/** Rewrites the inputs and outputs tables of docs/inputs.md from action.yml, so the two never drift apart. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = path.join(ROOT, 'docs/inputs.md');

interface Metadata {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}
const action = parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as Metadata;
const cell = (text: string) => text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');

const inputs = Object.entries(action.inputs).map(
  ([name, input]) =>
    `| \`${name}\` | ${input.required ? '(required)' : input.default ? `\`${input.default}\`` : ''} | ${cell(input.description)} |`,
);
const outputs = Object.entries(action.outputs).map(
  ([name, output]) => `| \`${name}\` | ${cell(output.description)} |`,
);
const table = (head: string, rows: string[]) => `\n\n${head}\n${rows.join('\n')}\n\n`;

let doc = fs.readFileSync(TARGET, 'utf8');
for (const name of ['inputs', 'outputs']) {
  if (!doc.includes(`<!-- ${name}:start -->`) || !doc.includes(`<!-- ${name}:end -->`)) {
    throw new Error(
      `docs/inputs.md has no <!-- ${name}:start --> … <!-- ${name}:end --> block: put one back.`,
    );
  }
}
doc = doc.replace(
  /(<!-- inputs:start -->)[\s\S]*?(<!-- inputs:end -->)/,
  `$1${table('| input | default | description |\n| --- | --- | --- |', inputs)}$2`,
);
doc = doc.replace(
  /(<!-- outputs:start -->)[\s\S]*?(<!-- outputs:end -->)/,
  `$1${table('| output | description |\n| --- | --- |', outputs)}$2`,
);
// Formatted here, as `prettier --write` would, so the tables are the same whoever runs this.
const options = await resolveConfig(TARGET);
fs.writeFileSync(TARGET, await format(doc, { ...options, filepath: TARGET }));
