/**
 * Agent text is untrusted: it may try to ping people, inject active HTML, fake the markers the action's own
 * comments are found by, or leave a code fence open that swallows what follows it. These helpers make it inert.
 */

/** Text after `maxChars` characters is cut, with a marker saying how much went. */
export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let cut = Math.max(0, maxChars);
  // Never split a surrogate pair.
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)}\n\n… (truncated, ${text.length - cut} characters omitted)`;
}

// Fenced blocks (closed or running to the end) and inline code spans: GitHub renders neither HTML nor mentions there.
const CODE = /(^|\n)(`{3,}|~{3,})[^\n]*\n[\s\S]*?(\n\2[^\S\n]*(?=\n|$)|$)|`[^`\n]+`/g;

/**
 * Untrusted Markdown made safe to embed: no HTML comments, tags shown as text rather than rendered, `@mentions`
 * that notify nobody, every code fence closed, and at most `maxChars` characters.
 */
export function sanitizeMarkdown(text: string, maxChars = 60_000): string {
  const short = truncate(text, maxChars);
  let out = '';
  let last = 0;
  for (const match of short.matchAll(CODE)) {
    out += inert(short.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
    // A fence the text left open is closed, so it cannot swallow the markup after it.
    if (match[2] && !match[3]) out += `\n${match[2]}`;
  }
  return out + inert(short.slice(last));
}

function inert(prose: string): string {
  return prose
    .replace(/<!--[\s\S]*?(-->|$)/g, '')
    .replace(/<(?=[A-Za-z/!?])/g, '&lt;')
    .replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, '$1@\u200b');
}

/** One line of untrusted text, safe inside a Markdown table cell. */
export function escapeTableCell(text: string, maxChars = 200): string {
  const line = text.replace(/\s*\r?\n\s*/g, ' ').trim();
  const short = line.length > maxChars ? `${line.slice(0, maxChars - 1)}…` : line;
  return inert(short).replace(/\|/g, '\\|');
}
