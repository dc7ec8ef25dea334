/**
 * The action end to end on the bundled example: a copy of examples/demo-repo as a git repository, the three tasks of
 * examples/demo-tasks.md, and the built dist/index.js run the way the runner runs it, with `verify: npm test` checking
 * each agent's work (one of them breaks a test and fixes it in its fix-up turn) and the merge of all three. Against the
 * loopback model server and its scripted sessions, or against the Anthropic API when ANTHROPIC_API_KEY is set.
 */
import fs from 'node:fs';
import path from 'node:path';
import { marked } from 'marked';
import type { AgentResult } from '../src/result.js';
import { outcomeCell, verifyCell } from '../src/report/verification.js';
import { demoInputs, demoRepo, demoSessions } from '../support/demo.js';
import { startMessagesServer } from '../support/messages-server.js';
import { ROOT, runAction } from '../support/run-action.js';

const out = path.join(ROOT, '.demo');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

const repo = demoRepo(path.join(out, 'repo'));

const apiKey = process.env.ANTHROPIC_API_KEY;
const server = apiKey ? undefined : await startMessagesServer({ scripts: demoSessions() });
console.log(
  apiKey
    ? 'Running against the Anthropic API (ANTHROPIC_API_KEY is set).'
    : `Running against the loopback model server at ${server!.url} with scripted sessions.`,
);

const run = await runAction({
  workspace: repo,
  inputs: demoInputs({ apiKey: apiKey ?? 'demo-key', baseUrl: server?.url }),
  env: { RUNNER_TEMP: path.join(out, 'runner-temp') },
  // The runner hides masked values; here the mask command is simply not shown.
  onLine: (line) => {
    if (!line.startsWith('::add-mask::')) console.log(line);
  },
});
await server?.close();

const summaryMd = path.join(out, 'summary.md');
const summaryHtml = path.join(out, 'summary.html');
fs.writeFileSync(summaryMd, run.summary);
fs.writeFileSync(summaryHtml, renderHtml(run.summary));

console.log('');
console.log(
  `Outputs: succeeded=${run.outputs.succeeded} failed=${run.outputs.failed} speedup=${run.outputs.speedup}×`,
);
for (const result of JSON.parse(run.outputs.results ?? '[]') as AgentResult[]) {
  console.log(
    `${result.id}: ${result.status} · ${verifyCell(result)} · the agent says ${outcomeCell(result)}`,
  );
}
console.log(
  `Branches: ${repo} (git -C ${path.relative(process.cwd(), repo)} branch --list 'parallel-agents/*')`,
);
console.log(`Job summary (Markdown): ${summaryMd}`);
console.log(`Job summary (open in a browser): ${summaryHtml}`);
process.exitCode = run.code ?? 1;

/** The summary as GitHub would show it, near enough: Markdown to HTML, with Mermaid diagrams drawn when online. */
function renderHtml(markdown: string): string {
  const body = marked
    .parse(markdown, { async: false })
    .replace(
      /<pre><code class="language-mermaid">([\s\S]*?)<\/code><\/pre>/g,
      '<pre class="mermaid">$1</pre>',
    );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>parallel-agents job summary</title>
<style>
body{font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1f2328}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #d1d9e0;padding:4px 10px}th{background:#f6f8fa}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;border-radius:4px}pre{padding:12px;overflow:auto}
details{margin:.5rem 0;border:1px solid #d1d9e0;border-radius:6px;padding:.5rem 1rem}summary{cursor:pointer;font-weight:600}
</style></head><body>
${body}
<script type="module">import mermaid from 'https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs'; mermaid.initialize({ startOnLoad: true });</script>
</body></html>
`;
}
