/**
 * Agent text is untrusted: it may try to notify people, close or link issues on merge (`Fixes #1`), inject HTML, fake the hidden markers the action finds its
 * own comments by, leave a code fence open that swallows everything rendered after it, embed an image that reports
 * each view to its server, draw a diagram of its own (a fake timeline), or reorder what a reader sees with bidi
 * controls. These helpers make it inert while keeping ordinary Markdown (headings, lists, links, code) readable.
 *
 * The approach: code (fenced blocks and inline spans) is re-emitted in a form GitHub must read exactly as we did,
 * and everything outside code has every `<` escaped. Where the two parsers could disagree, the text is escaped
 * rather than trusted, so a disagreement costs looks, never safety.
 */

const ZERO_WIDTH_SPACE = '\u200b';

/** Placed after `@` so GitHub's mention filter no longer sees a username. Invisible when rendered. */
export const MENTION_BREAK = ZERO_WIDTH_SPACE;

/**
 * Placed after the first letter of a closing or linking word before a reference (`Fixes #1`), so that neither GitHub
 * nor Linear reads the word as one: merging the pull request then closes and links nothing. Invisible when rendered.
 */
export const KEYWORD_BREAK = ZERO_WIDTH_SPACE;

/**
 * The words that close or link an issue when a reference follows: GitHub's nine (close, fix, resolve in three forms),
 * and Linear's (those in every tense, complete and implement, and its linking words), in any case.
 */
const KEYWORD =
  /(?<![A-Za-z0-9])(?:clos(?:e[sd]?|ing)|fix(?:e[sd]|ing)?|resolv(?:e[sd]?|ing)|complet(?:e[sd]?|ing)|implement(?:s|ed|ing)?|refs?|references|part[ \t]+of|relate[sd][ \t]+to|contributes[ \t]+to|towards|linear[ \t]+issue)(?![A-Za-z0-9])/gi;
/**
 * What may follow such a word for it to act: after a colon, spaces or emphasis, an issue (`#1`, `owner/repo#1`,
 * `GH-1`, `BAC-1`), a URL or a link, or the end of the line (the reference may be on the next).
 */
const REFERENCE_AHEAD =
  /^[\s:*_~`"'(\\]*(?:$|[#[<&]|https?:|www\.|[\w.-]+\/[\w.-]+#|[A-Za-z][A-Za-z0-9]*-\d)/i;

/** `… (truncated, 12,345 characters omitted)` */
function truncationMarker(omitted: number): string {
  return `… (truncated, ${formatCount(omitted)} characters omitted)`;
}

/**
 * Untrusted Markdown made safe to embed in ours: HTML comments removed, every other `<` shown as text (an `<img>`
 * included), `@mentions` that notify nobody, images shown as links, diagram blocks (`mermaid` and the like) shown
 * as code, code fences closed where they end, bidi controls dropped, and at most `maxChars` characters (UTF-16 code
 * units), cut with a visible {@link truncationMarker}. `#123` references are left alone: they link, they do not
 * notify.
 */
export function sanitizeMarkdown(text: string, maxChars = Number.POSITIVE_INFINITY): string {
  return fitWithin(normalize(text), maxChars, renderMarkdown, (omitted, kept) =>
    kept ? `\n\n${truncationMarker(omitted)}` : truncationMarker(omitted),
  );
}

/**
 * One line of untrusted text for a Markdown table cell: newlines folded to spaces, pipes escaped (inside code spans
 * too, which GitHub tables allow), otherwise the same rules as {@link sanitizeMarkdown}; cut with `…`.
 */
export function escapeTableCell(text: string, maxChars = 200): string {
  return fitWithin(
    toOneLine(normalize(text)),
    maxChars,
    (line) => renderInline(line, true),
    truncatedWithEllipsis,
  );
}

/**
 * One line of untrusted text for the inside of a raw HTML element such as `<summary>`, where GitHub does not read
 * Markdown: entities escaped, mentions and closing words broken, cut with `…`.
 */
export function escapeHtml(text: string, maxChars = 200): string {
  return fitWithin(
    toOneLine(normalize(text)),
    maxChars,
    (line) =>
      breakMentions(withBreaks(line, keywordBreaks(line)))
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;'),
    truncatedWithEllipsis,
  );
}

/**
 * Untrusted text shown verbatim in a fenced code block (an error message, a log excerpt). The fence is longer than
 * any run of backticks inside, so the text cannot close it.
 */
export function codeBlock(text: string, maxChars = Number.POSITIVE_INFINITY, lang = 'text'): string {
  const source = text
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL_CHARS, '')
    .replace(/^(?:[ \t]*\n)+/, '')
    .trimEnd();
  const info = lang.replace(/[^\w+#.-]/g, '');
  return fitWithin(
    source,
    maxChars,
    (body) => {
      const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
      return `${fence}${info}\n${breakCommentOpeners(body)}\n${fence}`;
    },
    (omitted) => `\n${truncationMarker(omitted)}`,
  );
}

/** Code span for a value such as a branch name: the backtick fence is longer than any run inside it. */
export function codeSpan(text: string): string {
  const value = toOneLine(normalize(text));
  if (!value) return '';
  const fence = '`'.repeat(longestRun(value, '`') + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${breakCommentOpeners(value)}${pad}${fence}`;
}

/**
 * C0 controls other than tab and newline, and DEL: terminal escapes and the like have no business in a report. And
 * the bidi controls (embeddings, overrides, isolates, marks), which make text read in another order than it is
 * written: a report could show a reviewer one command and hold another.
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Fence languages GitHub draws instead of showing (diagrams, maps, 3D models); shown as plain code instead. */
const DRAWN_LANGUAGES = new Set(['mermaid', 'geojson', 'topojson', 'stl']);

/** `<!-- … -->`, plus the two degenerate forms CommonMark also reads as complete comments. */
const HTML_COMMENT = /<!--(?:-?>|[\s\S]*?-->)/g;

/**
 * Line endings unified, control characters and HTML comments removed (everywhere, code included, so that no
 * marker such as `<!-- parallel-agents -->` survives anywhere in the source of what we post), outer blank lines
 * trimmed.
 */
function normalize(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL_CHARS, '')
    .replace(HTML_COMMENT, '')
    .replace(/^(?:[ \t]*\n)+/, '')
    .trimEnd();
}

function toOneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function truncatedWithEllipsis(): string {
  return '…';
}

/**
 * The longest rendering of a prefix of `source` that, with its marker, fits in `maxChars`. The cut is made in the
 * source and the prefix rendered on its own, so a cut can never leave a fence open or split an escape.
 */
function fitWithin(
  source: string,
  maxChars: number,
  render: (source: string) => string,
  marker: (omitted: number, kept: boolean) => string,
): string {
  const whole = render(source);
  if (whole.length <= maxChars) return whole;
  let keep = Math.min(source.length - 1, Math.max(0, Math.floor(maxChars)));
  for (;;) {
    keep = cutPoint(source, keep);
    const rendered = keep > 0 ? render(source.slice(0, keep).trimEnd()) : '';
    const tail = marker(source.length - keep, rendered.length > 0);
    if (rendered.length + tail.length <= maxChars) return rendered + tail;
    if (keep === 0) return tail.length <= maxChars ? tail : '';
    const room = Math.max(0, maxChars - tail.length);
    keep = Math.max(0, Math.min(keep - 1, Math.floor((keep * room) / rendered.length)));
  }
}

/** At or before `keep`: at a line end or a space when one is close, and never between two halves of a surrogate pair. */
function cutPoint(source: string, keep: number): number {
  if (keep >= source.length) return source.length;
  let cut = keep;
  const newline = source.lastIndexOf('\n', keep);
  const space = source.lastIndexOf(' ', keep);
  if (newline > 0 && keep - newline <= 200) cut = newline;
  else if (space > 0 && keep - space <= 40) cut = space;
  const code = source.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return cut;
}

interface Fence {
  /** Columns of indentation the opening fence had; content lines lose up to this many spaces, as CommonMark says. */
  indent: number;
  char: '`' | '~';
  length: number;
}

/** An opening fence at any indentation; a backtick fence's info string may not contain a backtick. */
const FENCE_OPEN = /^( *)(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;

/**
 * Code fences are re-emitted at column 0 with a plain language tag, and closed where we judged them to end (or at
 * the end of the text), so GitHub cannot read them differently: a fence inside a list item that a container would
 * have ended is closed when a line is less indented than it. Prose lines go through {@link renderInline}.
 */
function renderMarkdown(source: string): string {
  if (!source) return '';
  const out: string[] = [];
  let fence: Fence | null = null;
  for (const line of source.split('\n')) {
    if (fence) {
      const spaces = leadingSpaces(line);
      const blank = line.trim() === '';
      if (fence.indent > 0 && !blank && spaces < fence.indent) {
        out.push(fence.char.repeat(fence.length));
        fence = null;
      } else {
        const content = line.slice(Math.min(spaces, fence.indent));
        const close = FENCE_CLOSE.exec(content);
        if (close?.[1] && close[1][0] === fence.char && close[1].length >= fence.length) {
          out.push(fence.char.repeat(fence.length));
          fence = null;
        } else {
          out.push(breakCommentOpeners(content));
        }
        continue;
      }
    }
    const open = FENCE_OPEN.exec(line);
    const marker = open?.[2];
    const info = open?.[3] ?? '';
    if (open && marker && !(marker[0] === '`' && info.includes('`'))) {
      fence = { indent: open[1]?.length ?? 0, char: marker[0] === '`' ? '`' : '~', length: marker.length };
      const lang = /^\s*([\w+#.-]*)/.exec(info)?.[1] ?? '';
      out.push(marker + (DRAWN_LANGUAGES.has(lang.toLowerCase()) ? 'text' : lang));
      continue;
    }
    out.push(renderInline(line, false));
  }
  if (fence) out.push(fence.char.repeat(fence.length));
  return out.join('\n');
}

const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;
const INLINE_SPECIAL = /[\\`<@|~!&]/g;
/** A character reference, numeric or named, as CommonMark reads one. */
const CHARACTER_REFERENCE = /^&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}));/;
/**
 * Named references for the ASCII characters a name, a URL or a reference is made of (`&commat;` is `@`): shown as
 * text, GitHub would read `&commat;octocat` as a mention. `&lt;` and the like stay, as they form nothing.
 */
const ASCII_NAMED_REFERENCES = new Set(['commat', 'num', 'sol', 'colon', 'period', 'lowbar', 'UnderBar']);

/**
 * One line of prose. Every backtick either belongs to a code span that opens and closes on this line or is
 * escaped, so GitHub pairs backticks exactly as we did; every `<` outside those spans is escaped, and so is any
 * run of three tildes, so no prose line can open a fence, and the `!` of every `![`, so no image can form. Closing
 * words before a reference are broken outside code, and so is every character reference that spells ASCII.
 */
function renderInline(line: string, cell: boolean): string {
  const breaks = keywordBreaks(line);
  let out = '';
  let i = 0;
  INLINE_SPECIAL.lastIndex = 0;
  for (let match = INLINE_SPECIAL.exec(line); match; match = INLINE_SPECIAL.exec(line)) {
    const at = match.index;
    if (at < i) continue;
    out += withBreaks(line, breaks, i, at);
    const c = line[at];
    const next = line[at + 1];
    i = at + 1;
    if (c === '\\' && next !== undefined && ASCII_PUNCTUATION.test(next)) {
      // An escaped `<` is already text; writing it as an entity keeps raw `<` out of the output altogether. `\@` is
      // an `@` all the same once rendered, so a name after it is broken too.
      out += next === '<' ? '&lt;' : `\\${next}`;
      if (next === '@' && /[A-Za-z0-9]/.test(line[at + 2] ?? '')) out += MENTION_BREAK;
      i = at + 2;
    } else if (c === '&') {
      out += spellsAscii(line.slice(at, at + 40)) ? '&amp;' : '&';
    } else if (c === '`') {
      const run = runLength(line, at, '`');
      const close = closingRun(line, at + run, run);
      if (close < 0) {
        out += '\\`'.repeat(run);
        i = at + run;
      } else {
        const ticks = '`'.repeat(run);
        out += ticks + spanContent(line.slice(at + run, close), cell) + ticks;
        i = close + run;
      }
    } else if (c === '<') {
      out += '&lt;';
    } else if (c === '@') {
      out += isMention(line, at) ? `@${MENTION_BREAK}` : '@';
    } else if (c === '|') {
      out += cell ? '\\|' : '|';
    } else if (c === '!' && next === '[') {
      // An image is fetched whenever the text is viewed, which tells its server who read it and when; a link
      // fetches nothing until clicked. An escaped `!` leaves `[alt](url)`, a link. An empty alt gets a word, so the
      // link can be seen.
      const empty = line[at + 2] === ']';
      out += empty ? '\\![image]' : '\\!';
      i = empty ? at + 3 : at + 1;
    } else if (c === '~') {
      // Three tildes after a list or quote marker would open a fence we did not see; escaped, they stay text.
      const run = runLength(line, at, '~');
      out += run >= 3 ? '\\~'.repeat(run) : '~'.repeat(run);
      i = at + run;
    } else {
      out += c;
    }
    INLINE_SPECIAL.lastIndex = i;
  }
  return out + withBreaks(line, breaks, i, line.length);
}

/**
 * Whether `text` starts with a character reference that GitHub would show as an ASCII character that a mention or a
 * reference could be made of: any numeric one under 128, and {@link ASCII_NAMED_REFERENCES}.
 */
function spellsAscii(text: string): boolean {
  const match = CHARACTER_REFERENCE.exec(text);
  if (!match) return false;
  const [, decimal, hex, name] = match;
  if (name !== undefined) return ASCII_NAMED_REFERENCES.has(name);
  return Number.parseInt(decimal ?? hex!, decimal === undefined ? 16 : 10) < 0x80;
}

/** Where a {@link KEYWORD_BREAK} goes in `text`: after the first letter of each closing word before a reference. */
function keywordBreaks(text: string): Set<number> {
  const breaks = new Set<number>();
  KEYWORD.lastIndex = 0;
  for (let match = KEYWORD.exec(text); match; match = KEYWORD.exec(text)) {
    if (REFERENCE_AHEAD.test(text.slice(match.index + match[0].length, match.index + match[0].length + 200)))
      breaks.add(match.index + 1);
  }
  return breaks;
}

/** `text` from `from` to `to`, with a {@link KEYWORD_BREAK} at each of `breaks` in that range. */
function withBreaks(text: string, breaks: ReadonlySet<number>, from = 0, to = text.length): string {
  if (breaks.size === 0) return text.slice(from, to);
  let out = '';
  let last = from;
  for (let at = from + 1; at < to; at++) {
    if (!breaks.has(at)) continue;
    out += text.slice(last, at) + KEYWORD_BREAK;
    last = at;
  }
  return out + text.slice(last, to);
}

/**
 * Inside a code span GitHub renders neither HTML nor mentions, so both stay as written. A table row is split at
 * pipes before code spans are found, though: in a cell the pipes are escaped; elsewhere a span holding a pipe might
 * be a table cell's fragment, so its `<` are escaped too.
 */
function spanContent(content: string, cell: boolean): string {
  const text = breakCommentOpeners(content);
  if (cell) return text.replace(/\|/g, '\\|');
  return text.includes('|') ? text.replace(/</g, '&lt;') : text;
}

/**
 * `@name` as GitHub might notify it: anywhere but after a letter or digit (an e-mail address) or inside a bare URL.
 * Emphasis (`_@name_`), a code span's end or a link's end before it leave the name at the start of a text GitHub
 * scans, so those are broken too; a break where none was needed is invisible.
 */
function isMention(line: string, at: number): boolean {
  const before = line[at - 1];
  const after = line[at + 1];
  if (after === undefined || !/[A-Za-z0-9]/.test(after)) return false;
  if (before !== undefined && /[A-Za-z0-9]/.test(before)) return false;
  return !inBareUrl(line, at);
}

/**
 * Whether `at` is inside a URL GitHub links as it stands (`https://medium.com/@author`): the word before it holds
 * `://` or `www.`, and the URL has not ended on the way, at a `)` it did not open (a link's end) or a `<`.
 */
function inBareUrl(line: string, at: number): boolean {
  const tokenStart = Math.max(line.lastIndexOf(' ', at), line.lastIndexOf('\t', at)) + 1;
  const token = line.slice(tokenStart, at);
  const start = Math.max(token.lastIndexOf('://'), token.toLowerCase().lastIndexOf('www.'));
  if (start < 0) return false;
  const url = token.slice(start);
  const opened = url.split('(').length - 1;
  const closed = url.split(')').length - 1;
  return closed <= opened && !url.includes('<');
}

function breakMentions(text: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    if (!isMention(text, at)) continue;
    out += `${text.slice(from, at + 1)}${MENTION_BREAK}`;
    from = at + 1;
  }
  return out + text.slice(from);
}

/** A `<!--` that survived (an unclosed one) is split, so no comment opener appears in what we post. */
function breakCommentOpeners(text: string): string {
  return text.replace(/<!--/g, `<!-${ZERO_WIDTH_SPACE}-`);
}

function leadingSpaces(line: string): number {
  return runLength(line, 0, ' ');
}

function runLength(text: string, from: number, char: string): number {
  let end = from;
  while (text[end] === char) end += 1;
  return end - from;
}

/** Where the next run of exactly `length` backticks starts, or -1. */
function closingRun(line: string, from: number, length: number): number {
  for (let at = line.indexOf('`', from); at >= 0; at = line.indexOf('`', at)) {
    const run = runLength(line, at, '`');
    if (run === length) return at;
    at += run;
  }
  return -1;
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  for (let at = text.indexOf(char); at >= 0; at = text.indexOf(char, at)) {
    const run = runLength(text, at, char);
    longest = Math.max(longest, run);
    at += run;
  }
  return longest;
}

/**
 * A whole number with thousands separated by commas, whatever the runner's locale: `12,345`. Not through `Intl`, whose
 * first use costs some 20 ms of the action's start, before its first request (the plan shown first counts tasks).
 */
/** `text` on one line, runs of whitespace made one space, cut to 300 characters: a message quoted in a sentence. */
export function singleLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/**
 * Untrusted plain text (a title, a commit message, a line for Linear), where nothing is Markdown: every closing or
 * linking word before a reference and every `@name` broken, so it closes, links and notifies nothing.
 */
export function breakReferences(text: string): string {
  return withBreaks(text, keywordBreaks(text)).replace(/@(?=[A-Za-z0-9])/g, `@${MENTION_BREAK}`);
}

export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
