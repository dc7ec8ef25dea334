/** Rewrites the README's inputs and outputs tables from action.yml, so the two never drift apart. */
import fs from 'node:fs';
import { parse } from 'yaml';

interface Metadata {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}
const action = parse(fs.readFileSync('action.yml', 'utf8')) as Metadata;
const cell = (text: string) => text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');

const inputs = Object.entries(action.inputs).map(
  ([name, input]) =>
    `| \`${name}\` | ${input.required ? '(required)' : input.default ? `\`${input.default}\`` : ''} | ${cell(input.description)} |`,
);
const outputs = Object.entries(action.outputs).map(
  ([name, output]) => `| \`${name}\` | ${cell(output.description)} |`,
);
const table = (head: string, rows: string[]) => `\n\n${head}\n${rows.join('\n')}\n\n`;

let readme = fs.readFileSync('README.md', 'utf8');
readme = readme.replace(
  /(<!-- inputs:start -->)[\s\S]*?(<!-- inputs:end -->)/,
  `$1${table('| input | default | description |\n| --- | --- | --- |', inputs)}$2`,
);
readme = readme.replace(
  /(<!-- outputs:start -->)[\s\S]*?(<!-- outputs:end -->)/,
  `$1${table('| output | description |\n| --- | --- |', outputs)}$2`,
);
fs.writeFileSync('README.md', readme);
