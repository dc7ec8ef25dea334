/**
 * Untrusted text (agent replies, tool inputs, task titles) made inert for the run page. Every string reaches the page
 * through {@link text}, which escapes all five HTML-significant characters, so one helper serves element content
 * and quoted attribute values alike.
 */

/** C0 controls but tab and newline, DEL, and the bidi controls that can make text read in another order. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `value` as HTML text, cut to `maxChars` characters with a visible marker. Safe in element content and inside a
 * double- or single-quoted attribute.
 */
export function text(value: unknown, maxChars = 200): string {
  return bounded(stringOf(value), maxChars, (s) => s.replace(/\r\n?/g, '\n').replace(CONTROL_CHARS, ''));
}

/** One line of `value`: runs of whitespace made one space, then as {@link text}. */
export function line(value: unknown, maxChars = 200): string {
  return bounded(stringOf(value).trimStart(), maxChars, (s) =>
    s.replace(CONTROL_CHARS, '').replace(/\s+/g, ' ').trim(),
  );
}

/** An http(s) URL fit for an `href`, escaped; null for anything else (`javascript:`, `data:`, relative paths). */
export function safeHref(url: unknown): string | null {
  if (typeof url !== 'string' || url.length > 2_000) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  return escape(parsed.href);
}

/**
 * A fragment id for an agent's section. Ids come from tasks (untrusted), so only a fixed alphabet survives; the
 * index keeps two ids that differ only in dropped characters apart.
 */
export function anchorOf(id: unknown, index: number): string {
  return `agent-${index}-${stringOf(id)
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, 60)}`;
}

/** A tool call's input on one line: the usual single argument as itself, anything else as compact JSON. */
export function oneLineInput(input: unknown): string {
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const values = Object.values(input);
    if (values.length === 1 && typeof values[0] === 'string') return values[0];
  }
  try {
    return JSON.stringify(input) ?? '';
  } catch {
    return '';
  }
}

/** A whole number with commas: `12,345`; anything not a finite number reads as 0. */
export function count(value: unknown): string {
  const n = typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : 0;
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A finite number or `fallback`: figures read back from a log may be missing or of another type. */
export function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function stringOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? '' : String(value);
}

/** The five HTML-significant characters as entities, in one pass: four times faster than chained replaces. */
function escape(source: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < source.length; i++) {
    const entity = ENTITIES[source.charCodeAt(i)];
    if (entity === undefined) continue;
    out += source.slice(from, i) + entity;
    from = i + 1;
  }
  return from === 0 ? source : out + source.slice(from);
}

const ENTITIES: Record<number, string> = { 38: '&amp;', 60: '&lt;', 62: '&gt;', 34: '&quot;', 39: '&#39;' };

/**
 * The first `maxChars` characters of `raw`, tidied and escaped, with `…` when cut. Only what is shown is tidied: a
 * megabyte report costs no more than the part of it that fits. Never half of a surrogate pair.
 */
function bounded(raw: string, maxChars: number, tidy: (s: string) => string): string {
  let keep = raw.length <= maxChars ? raw.length : Math.max(0, maxChars - 1);
  const code = raw.charCodeAt(keep - 1);
  if (keep < raw.length && code >= 0xd800 && code <= 0xdbff) keep -= 1;
  const omitted = raw.length - keep;
  const marker = omitted === 0 ? '' : omitted > 200 ? `… (${count(omitted)} characters omitted)` : '…';
  return escape(tidy(raw.slice(0, keep))) + marker;
}
