import {
  KEYWORD_BREAK,
  MENTION_BREAK,
  breakReferences,
  codeBlock,
  codeSpan,
  escapeHtml,
  escapeTableCell,
  sanitizeMarkdown,
} from '../../src/report/sanitize.js';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Lines that open or close a fence at the top level of the output. */
const fenceLines = (markdown: string) => markdown.split('\n').filter((line) => /^(`{3,}|~{3,})/.test(line));

describe('sanitizeMarkdown: mentions', () => {
  it('stops @octocat from notifying anyone while still showing the name', () => {
    const out = sanitizeMarkdown('Thanks @octocat, and (@hubot) too.');
    expect(out).not.toMatch(/@octocat|@hubot/);
    expect(out.replaceAll(MENTION_BREAK, '')).toBe('Thanks @octocat, and (@hubot) too.');
  });

  it('breaks team mentions and mentions at the start of a line', () => {
    expect(sanitizeMarkdown('@acme/reviewers please look')).not.toContain('@acme');
  });

  it('leaves e-mail addresses, URLs and code alone', () => {
    const text = 'Mail ops@example.com, see https://medium.com/@author/post and `@octocat`.';
    expect(sanitizeMarkdown(text)).toBe(text);
    expect(sanitizeMarkdown('```\nnpm i @types/node\n```')).toBe('```\nnpm i @types/node\n```');
  });

  it('leaves issue references without a closing word alone', () => {
    expect(sanitizeMarkdown('See #123 and BAC-124.')).toBe('See #123 and BAC-124.');
  });
});

/** Every way of writing a mention that GitHub may read as one once rendered. */
const MENTIONS = [
  '@octocat',
  '_@octocat_',
  '__@octocat__',
  '*@octocat*',
  '**@octocat**',
  '~~@octocat~~',
  '\\@octocat',
  '@octo-org/reviewers',
  '[@octocat](https://example.com)',
  '(@octocat)',
  '"@octocat"',
  'hi,@octocat',
  '`code`@octocat',
  '[a link](https://example.com)@octocat',
  'https://example.com<@octocat',
  '- @octocat',
  '> @octocat',
];
/** Mentions spelt with character references, which GitHub decodes before it looks for names. */
const SPELT_MENTIONS = ['&#64;octocat', '&#064;octocat', '&#x40;octocat', '&commat;octocat'];

/** Every way of writing a closing or linking word before a reference, as GitHub and Linear document them. */
const CLOSING = [
  'Fixes #1',
  'closes #2',
  'Resolves owner/repo#3',
  'fixed: #4',
  'Closed https://github.com/octo-org/gateway/issues/5',
  'FIX #6',
  'close #7',
  'Resolve: #8',
  'resolved #9',
  'fix: octo-org/gateway#10',
  '**Fixes** #11',
  '_closes_ #12',
  'Fixes [#13](https://github.com/octo-org/gateway/issues/13)',
  'Fixes GH-14',
  'Fixes ENG-15',
  'Completes ENG-16',
  'closing ENG-17',
  'Part of ENG-18',
  'Related to ENG-19',
  'refs #20',
  'Fixes &#35;21',
  'Fixes <https://github.com/octo-org/gateway/issues/22>',
  'This fixes',
];
/** Each closing or linking word as it would be read: a whole word, without a break in it. */
const UNBROKEN_KEYWORD =
  /(?<![A-Za-z0-9])(?:clos(?:e[sd]?|ing)|fix(?:e[sd]|ing)?|resolve[sd]?|complete[sd]?|part of|related to|refs?)(?![A-Za-z0-9])/i;

describe('mentions in every form', () => {
  it.each(MENTIONS)('breaks %s in prose, in a table cell and inside HTML', (text) => {
    for (const out of [sanitizeMarkdown(text), escapeTableCell(text), escapeHtml(text)]) {
      expect(out).not.toMatch(/@[A-Za-z0-9]/);
      expect(out).toContain(`@${MENTION_BREAK}`);
    }
  });

  it.each(SPELT_MENTIONS)('shows %s as written instead of as a mention', (text) => {
    for (const out of [sanitizeMarkdown(text), escapeTableCell(text), escapeHtml(text)]) {
      expect(out).toBe(`&amp;${text.slice(1)}`);
    }
  });

  it('leaves other character references to render', () => {
    expect(sanitizeMarkdown('a&nbsp;b &copy; &#8212; &lt;')).toBe('a&nbsp;b &copy; &#8212; &lt;');
  });

  it('keeps a link whose address holds an @ whole', () => {
    const text =
      'See [the post](https://medium.com/@author/post) and https://en.wikipedia.org/wiki/A_(b)/@c.';
    expect(sanitizeMarkdown(text)).toBe(text);
  });
});

describe('closing and linking words', () => {
  it.each(CLOSING)('breaks the word in %s, in prose, in a table cell and inside HTML', (text) => {
    for (const out of [
      sanitizeMarkdown(text),
      escapeTableCell(text),
      escapeHtml(text),
      breakReferences(text),
    ]) {
      expect(out).not.toMatch(UNBROKEN_KEYWORD);
      expect(out).toContain(KEYWORD_BREAK);
    }
    expect(sanitizeMarkdown(text).replaceAll(KEYWORD_BREAK, '')).toBe(
      text.replace('&#35;', '&amp;#35;').replace('<', '&lt;'),
    );
  });

  it('breaks a word whose reference is on the next line', () => {
    expect(sanitizeMarkdown('This fixes\n#12')).toBe(`This f${KEYWORD_BREAK}ixes\n#12`);
  });

  it('leaves the words alone where nothing they could act on follows', () => {
    const text = 'Fixed the router, closed the socket and resolved the conflict; part of the work.';
    expect(sanitizeMarkdown(text)).toBe(text);
    expect(escapeTableCell(text)).toBe(text);
  });

  it('leaves code alone, which GitHub does not read for closing words', () => {
    expect(sanitizeMarkdown('Run `git commit -m "Fixes #1"`')).toBe('Run `git commit -m "Fixes #1"`');
    expect(sanitizeMarkdown('```\nFixes #1\n```')).toBe('```\nFixes #1\n```');
  });
});

describe('breakReferences', () => {
  it('breaks every mention and closing word in plain text, across lines too', () => {
    const out = breakReferences('Fixes\n#1 for @octocat, mail a@b.io');
    expect(out).toBe(`F${KEYWORD_BREAK}ixes\n#1 for @${MENTION_BREAK}octocat, mail a@${MENTION_BREAK}b.io`);
  });
});

describe('sanitizeMarkdown: HTML', () => {
  it('shows a <script> tag as text instead of running it', () => {
    const out = sanitizeMarkdown('Hello <script>alert(1)</script>');
    expect(out).toBe('Hello &lt;script>alert(1)&lt;/script>');
  });

  it('escapes images with handlers, iframes and any other tag', () => {
    const out = sanitizeMarkdown(
      '<img src=x onerror=alert(1)>\n<iframe src="https://x"></iframe>\n<b>bold</b>',
    );
    expect(out).not.toMatch(/<[a-z/]/i);
  });

  it('keeps a report from closing or opening our own <details> fold', () => {
    const out = sanitizeMarkdown('</details>\n\n<details><summary>fake</summary>');
    expect(out).not.toContain('<details');
    expect(out).not.toContain('</details');
    expect(out).not.toContain('<summary');
  });

  it('keeps angle brackets inside code as written', () => {
    expect(sanitizeMarkdown('Use `Array<string>` here.')).toBe('Use `Array<string>` here.');
    expect(sanitizeMarkdown('```html\n<div class="x"></div>\n```')).toBe(
      '```html\n<div class="x"></div>\n```',
    );
  });

  it('removes comments that could fake the sticky-comment marker, in prose and in code', () => {
    const out = sanitizeMarkdown(
      'a <!-- parallel-agents --> b\n<!--\nparallel-agents\n-->\n```\n<!-- parallel-agents -->\n```\n`<!-- x`',
    );
    expect(out).not.toContain('<!--');
    expect(out).not.toContain('parallel-agents -->');
    expect(out).toContain('a  b');
  });

  it('does not let an escaped backtick open a code span that hides a tag', () => {
    expect(sanitizeMarkdown('\\`not code <img src=x onerror=alert(1)>`')).not.toContain('<img');
  });

  it('escapes a backtick left unpaired on its line, so GitHub pairs backticks as we did', () => {
    // Unescaped, GitHub would pair the first two backticks across the line break and leave the tag outside a span.
    expect(sanitizeMarkdown('a ` b\nc ` <img src=x onerror=alert(1)> ` d')).toBe(
      'a \\` b\nc ` <img src=x onerror=alert(1)> ` d',
    );
  });

  it('does not let a table row split a code span to expose a tag', () => {
    expect(sanitizeMarkdown('| a | b |\n| - | - |\n| `x | <img src=y onerror=alert(1)>` |')).not.toContain(
      '<img',
    );
  });
});

describe('sanitizeMarkdown: images', () => {
  it('shows a Markdown image as a link, so viewing the report fetches nothing', () => {
    expect(sanitizeMarkdown('Done. ![chart](https://tracker.example/p.gif?u=1 "t")')).toBe(
      'Done. \\![chart](https://tracker.example/p.gif?u=1 "t")',
    );
  });

  it('gives an image with no alt text a word, so its link can be seen', () => {
    expect(sanitizeMarkdown('![](https://tracker.example/p.gif)')).toBe(
      '\\![image](https://tracker.example/p.gif)',
    );
  });

  it('turns reference images and images inside links into links too', () => {
    const out = sanitizeMarkdown(
      '![pixel][p] and [![badge](https://x.example/b.svg)](https://x.example)\n\n[p]: https://x.example/p.gif',
    );
    expect(out).toBe(
      '\\![pixel][p] and [\\![badge](https://x.example/b.svg)](https://x.example)\n\n[p]: https://x.example/p.gif',
    );
    // Every `![` left is escaped: GitHub can form no image from it.
    expect(out).not.toMatch(/(^|[^\\])!\[/);
  });

  it('shows an <img> tag as text', () => {
    expect(sanitizeMarkdown('<img src="https://tracker.example/p.gif">')).toBe(
      '&lt;img src="https://tracker.example/p.gif">',
    );
  });

  it('does the same in a table cell, and leaves code alone', () => {
    expect(escapeTableCell('![x](https://t.example/p.gif)')).toBe('\\![x](https://t.example/p.gif)');
    expect(sanitizeMarkdown('`![x](y)`\n```\n![x](y)\n```')).toBe('`![x](y)`\n```\n![x](y)\n```');
    expect(sanitizeMarkdown('Wow! [link](https://x.example) \\![not an image](y)')).toBe(
      'Wow! [link](https://x.example) \\![not an image](y)',
    );
  });
});

describe('sanitizeMarkdown: diagrams', () => {
  it("shows an agent's own mermaid block as code instead of drawing it", () => {
    const gantt = '```mermaid\ngantt\n  title Fake timeline\n  BAC-1 :done, 0, 1s\n```';
    expect(sanitizeMarkdown(gantt)).toBe('```text\ngantt\n  title Fake timeline\n  BAC-1 :done, 0, 1s\n```');
    expect(sanitizeMarkdown('~~~ Mermaid {x}\ngraph TD\n~~~')).toBe('~~~text\ngraph TD\n~~~');
  });

  it('shows the other blocks GitHub draws (maps, 3D models) as code too', () => {
    for (const lang of ['geojson', 'topojson', 'stl']) {
      expect(sanitizeMarkdown(`\`\`\`${lang}\n{}\n\`\`\``)).toBe('```text\n{}\n```');
    }
    expect(sanitizeMarkdown('```ts\nlet a;\n```')).toBe('```ts\nlet a;\n```');
  });
});

describe('bidi controls', () => {
  const bidi = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
  const text = `rm${bidi.join('')} -rf\u200e /\u200f tmp\u061c`;

  it('are dropped from prose, code, cells, spans and HTML', () => {
    expect(sanitizeMarkdown(text)).toBe('rm -rf / tmp');
    expect(sanitizeMarkdown(`\`\`\`sh\n${text}\n\`\`\``)).toBe('```sh\nrm -rf / tmp\n```');
    expect(sanitizeMarkdown(`\`${text}\``)).toBe('`rm -rf / tmp`');
    expect(codeBlock(text)).toBe('```text\nrm -rf / tmp\n```');
    expect(codeSpan(text)).toBe('`rm -rf / tmp`');
    expect(escapeTableCell(text)).toBe('rm -rf / tmp');
    expect(escapeHtml(text)).toBe('rm -rf / tmp');
  });

  it('leave right-to-left text itself alone', () => {
    expect(sanitizeMarkdown('שלום عربي')).toBe('שלום عربي');
  });
});

describe('sanitizeMarkdown: code fences', () => {
  it('closes a fence the text left open, so it cannot swallow what follows', () => {
    const out = sanitizeMarkdown('Here:\n```ts\nconst a = 1;');
    expect(out).toBe('Here:\n```ts\nconst a = 1;\n```');
  });

  it('reads a fence inside a list item as ending with the item', () => {
    const out = sanitizeMarkdown('- step\n  ```\n  code <x>\n<script>alert(1)</script>');
    expect(out).toBe('- step\n```\ncode <x>\n```\n&lt;script>alert(1)&lt;/script>');
  });

  it('does not take an indented fence line inside code as the end of the block', () => {
    const out = sanitizeMarkdown('```\n        ```\n```\n<script>\n```\nfine');
    expect(out).toContain('&lt;script>');
    expect(out).not.toContain('<script>');
  });

  it('does not let a quoted fence hide a tag', () => {
    expect(sanitizeMarkdown('> ```\n<img src=x onerror=alert(1)>')).not.toContain('<img');
    expect(sanitizeMarkdown('- ~~~\n<img src=x onerror=alert(1)>')).not.toContain('<img');
  });

  it('keeps only the language of a fence info string', () => {
    expect(sanitizeMarkdown('~~~ts {title="<b>x</b>"}\nlet a;\n~~~')).toBe('~~~ts\nlet a;\n~~~');
  });
});

describe('sanitizeMarkdown: truncation', () => {
  it('cuts long text to the limit with a marker saying how much went', () => {
    const out = sanitizeMarkdown('a'.repeat(10_000), 1000);
    expect(out.length).toBeLessThanOrEqual(1000);
    const match = /^(a*)\n\n… \(truncated, ([\d,]+) characters omitted\)$/.exec(out);
    expect(match).not.toBeNull();
    expect(match![1]!.length + Number(match![2]!.replaceAll(',', ''))).toBe(10_000);
  });

  it('leaves text within the limit whole', () => {
    expect(sanitizeMarkdown('short', 5)).toBe('short');
  });

  it('closes a fence that the cut left open', () => {
    const out = sanitizeMarkdown(`\`\`\`\n${'line\n'.repeat(1000)}\`\`\``, 500);
    expect(out.length).toBeLessThanOrEqual(500);
    expect(fenceLines(out)).toEqual(['```', '```']);
    expect(out).toMatch(/```\n\n… \(truncated, [\d,]+ characters omitted\)$/);
  });

  it('never cuts between the two halves of a surrogate pair', () => {
    const text = '😀'.repeat(1000);
    for (let max = 50; max < 150; max += 1) {
      const out = sanitizeMarkdown(text, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toMatch(LONE_SURROGATE);
      expect(out).toContain('😀');
    }
  });

  it('drops terminal escapes and other control characters', () => {
    expect(sanitizeMarkdown('\u001b[31mred\u001b[0m\r\nnext')).toBe('[31mred[0m\nnext');
  });
});

describe('escapeTableCell', () => {
  it('escapes pipes and folds newlines so the row stays one row', () => {
    expect(escapeTableCell('a | b\nc\r\n  d')).toBe('a \\| b c d');
  });

  it('escapes pipes inside code spans too', () => {
    expect(escapeTableCell('`a|b`')).toBe('`a\\|b`');
  });

  it('applies the Markdown rules: tags escaped, mentions broken', () => {
    expect(escapeTableCell('<b>@octocat</b>')).toBe(`&lt;b>@${MENTION_BREAK}octocat&lt;/b>`);
  });

  it('cuts a long cell with an ellipsis', () => {
    const out = escapeTableCell('word '.repeat(100), 50);
    expect(out.length).toBeLessThanOrEqual(50);
    expect(out.endsWith('…')).toBe(true);
  });
});

describe('escapeHtml', () => {
  it('escapes markup for the inside of an HTML element and breaks mentions', () => {
    expect(escapeHtml('<b>Tom & "Jerry"</b>\n@octocat')).toBe(
      `&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt; @${MENTION_BREAK}octocat`,
    );
  });
});

describe('codeBlock', () => {
  it('uses a fence longer than any backtick run inside', () => {
    expect(codeBlock('a ``` b\n````')).toBe('`````text\na ``` b\n````\n`````');
  });

  it('cuts long text after the block with a marker', () => {
    const out = codeBlock('x'.repeat(1000), 200);
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out).toMatch(/^```text\nx+\n```\n… \(truncated, [\d,]+ characters omitted\)$/);
  });
});

describe('codeSpan', () => {
  it('wraps a value with backticks in a longer fence', () => {
    expect(codeSpan('main')).toBe('`main`');
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('')).toBe('');
  });
});
