export const id = 408;
export const ids = [408];
export const modules = {

/***/ 1408:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   readTaskFile: () => (/* binding */ readTaskFile)
/* harmony export */ });
/* unused harmony export parseTaskSource */
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var yaml__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8815);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(3916);
/* harmony import */ var _fields_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(57);
/* harmony import */ var _markdown_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(3786);






const FORMATS = {
    '.md': 'markdown',
    '.yml': 'yaml',
    '.yaml': 'yaml',
    '.json': 'json',
};
const EXTENSIONS = '.md, .yml, .yaml or .json';
const TOP_FIELDS = ['context', 'tasks'];
const TASK_FIELDS = ['id', 'title', 'prompt', 'depends_on', 'paths', 'model', 'estimate'];
const SHAPE = 'List the tasks under a "tasks" key, e.g. {"tasks": [{"id": "BAC-124", "title": "Fix model routing"}]}';
// A task file is four levels deep (tasks, a task, a field, a list); the YAML composer recurses once per level and
// a stack overflow inside it can take the process down, so deeper text is refused before it is composed.
const MAX_DEPTH = 64;
const TOO_DEEP = `the data is nested more than ${MAX_DEPTH} levels deep`;
// Aliases (`*name`) let a few bytes stand for a large value, and aliases to lists of aliases for a huge one (the
// "billion laughs"). Each value read through an alias counts, a list as one plus its entries; a task file that shares
// a few values this way stays far below the cap.
const MAX_ALIAS_VALUES = 10_000;
/**
 * Tasks from a `.md`, `.yml`/`.yaml` or `.json` file inside `workspace`. `relPath` is what the user gave (relative to
 * the repository root); anything outside the workspace, by path or by symbolic link, is refused, as are directories,
 * files over 1 MiB and text that is not UTF-8. `input` names the setting in messages.
 */
async function readTaskFile(workspace, relPath, input = 'tasks-file') {
    const given = relPath.trim();
    const fix = `Point ${input} at a ${EXTENSIONS} file in the repository`;
    if (!given)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d('no path was given', input, fix);
    if (node_path__WEBPACK_IMPORTED_MODULE_1___default().isAbsolute(given) || node_path__WEBPACK_IMPORTED_MODULE_1___default().win32.isAbsolute(given)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`${given} is an absolute path`, input, 'Give the path relative to the repository root, e.g. docs/tasks.yml');
    }
    const root = node_path__WEBPACK_IMPORTED_MODULE_1___default().resolve(workspace);
    const full = node_path__WEBPACK_IMPORTED_MODULE_1___default().resolve(root, given);
    if (!inside(root, full)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`${given} is outside the repository`, input, 'Give a path inside it, relative to the repository root');
    }
    if (!formatOf(given)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`${given} is not a ${EXTENSIONS} file`, input, `Rename it, or ${fix[0].toLowerCase()}${fix.slice(1)}`);
    }
    let real;
    try {
        real = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.realpath)(full);
    }
    catch (error) {
        const code = error.code;
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`${given} was not found in the repository`, input, 'Check the path; it is relative to the repository root');
        }
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`${given} could not be read (${code ?? String(error)})`, input, fix);
    }
    if (!inside(await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.realpath)(root), real)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`${given} is a link to a file outside the repository`, input, fix);
    }
    const stats = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.stat)(real);
    if (stats.isDirectory())
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`${given} is a directory`, input, fix);
    if (!stats.isFile())
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`${given} is not a regular file`, input, fix);
    if (stats.size > _fields_js__WEBPACK_IMPORTED_MODULE_4__/* .MAX_TASK_BYTES */ .n_)
        throw (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .tooBig */ .xu)(`${given} is ${(0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .formatBytes */ .z3)(stats.size)}`, input);
    const bytes = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(real);
    if (bytes.length > _fields_js__WEBPACK_IMPORTED_MODULE_4__/* .MAX_TASK_BYTES */ .n_)
        throw (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .tooBig */ .xu)(`${given} is ${(0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .formatBytes */ .z3)(bytes.length)}`, input);
    const name = node_path__WEBPACK_IMPORTED_MODULE_1___default().relative(root, full).split((node_path__WEBPACK_IMPORTED_MODULE_1___default().sep)).join('/');
    return parseTaskSource(decodeUtf8(bytes, name), name);
}
/**
 * Tasks from the text of a task file, read as Markdown, YAML or JSON by the extension of `name`, which is also how
 * messages and the set's `source` name it (`docs/tasks.yml line 4, column 7: …`).
 */
function parseTaskSource(text, name) {
    const format = formatOf(name);
    if (!format) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`the extension is not one of ${EXTENSIONS}`, name, 'Rename the file, or write the tasks in one of those formats');
    }
    (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .checkSize */ .C1)(text, name);
    const content = text.replace(/^\uFEFF/, '');
    if (format === 'markdown')
        return (0,_markdown_js__WEBPACK_IMPORTED_MODULE_5__/* .parseMarkdownTasks */ .Z)(content, name);
    return { set: parseStructured(content, name, format), notes: [], warnings: [] };
}
function formatOf(name) {
    return FORMATS[node_path__WEBPACK_IMPORTED_MODULE_1___default().extname(name).toLowerCase()];
}
function inside(root, target) {
    const rel = node_path__WEBPACK_IMPORTED_MODULE_1___default().relative(root, target);
    return rel.split((node_path__WEBPACK_IMPORTED_MODULE_1___default().sep))[0] !== '..' && !node_path__WEBPACK_IMPORTED_MODULE_1___default().isAbsolute(rel);
}
function decodeUtf8(bytes, name) {
    try {
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    }
    catch {
        const at = firstBadByte(bytes);
        const line = bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d('the file is not valid UTF-8 text', `${name} line ${line}`, 'Save it as UTF-8');
    }
}
/** Where decoding `bytes` as UTF-8 first fails. */
function firstBadByte(bytes) {
    // A prefix decodes as a stream (a sequence cut off at its end is not yet wrong) exactly when it is before the
    // first bad byte, so the longest such prefix ends there.
    const decodes = (length) => {
        try {
            new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, length), { stream: true });
            return true;
        }
        catch {
            return false;
        }
    };
    let good = 0;
    let bad = bytes.length;
    while (bad - good > 1) {
        const middle = Math.floor((good + bad) / 2);
        if (decodes(middle))
            good = middle;
        else
            bad = middle;
    }
    return bad - 1;
}
/** `{ context?, tasks: [{ id, title?, prompt?, depends_on?, paths?, model?, estimate? }] }` as YAML or JSON. */
function parseStructured(text, name, format) {
    if (!text.trim())
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d('the file is empty', name, SHAPE);
    const lines = new yaml__WEBPACK_IMPORTED_MODULE_2__/* .LineCounter */ .HN();
    const at = (offset) => {
        const { line, col } = lines.linePos(offset);
        return `${name} line ${line}, column ${col}`;
    };
    const doc = compose(text, format, lines, at);
    // Values are read through aliases, but errors point where the value (or the alias to it) is written.
    const anchored = anchoredValues(doc);
    let aliasValues = 0;
    const valueOf = (raw) => {
        if (!(0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isAlias */ .Vj)(raw))
            return (0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isNode */ .Ll)(raw) ? raw : null;
        const node = anchored.get(raw) ?? null;
        aliasValues += 1 + ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isCollection */ .P3)(node) ? node.items.length : 0);
        if (aliasValues > MAX_ALIAS_VALUES) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`the aliases expand to more than ${MAX_ALIAS_VALUES.toLocaleString('en-US')} values`, at(offsetOf(raw, 0)), 'Write the values out instead of repeating them through anchors (`&name`) and aliases (`*name`)');
        }
        return node;
    };
    const offsetOf = (raw, fallback) => ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isNode */ .Ll)(raw) ? raw.range?.[0] : undefined) ?? fallback;
    /** Where the value of `pair` is written, or its key when it has none. */
    const valueAt = (pair) => offsetOf(pair.value, offsetOf(pair.key, 0));
    /** The text in `raw`, or an error naming `what` (`BAC-2's title`) where it is written. */
    const textIn = (raw, fallback, what, key) => {
        const node = valueOf(raw);
        if ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isScalar */ .jn)(node) && typeof node.value === 'string')
            return node.value;
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`${what} is ${describe(node)}, not text`, at(offsetOf(raw, fallback)), `Write ${key} as a string, in quotes if need be`);
    };
    /** The entries of the list in `raw`, or an error naming `what` (`BAC-2's paths`) where it is written. */
    const listIn = (raw, fallback, what, example) => {
        const node = valueOf(raw);
        if ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isSeq */ .oP)(node))
            return node.items;
        if ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isScalar */ .jn)(node) && node.value === null)
            return [];
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`${what} is ${describe(node)}, not a list`, at(offsetOf(raw, fallback)), `Write it as a list: ${example}`);
    };
    const root = valueOf(doc.contents);
    if (!root || ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isScalar */ .jn)(root) && root.value === null))
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d('the file is empty', name, SHAPE);
    if (!(0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isMap */ .jh)(root)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`the file holds ${describe(root)}, not a mapping with a "tasks" list`, at(offsetOf(doc.contents, 0)), SHAPE);
    }
    let context = '';
    let list;
    for (const pair of root.items) {
        const key = keyOf(pair);
        if (key === 'context')
            context = textIn(pair.value, valueAt(pair), 'the context', key).trim();
        else if (key === 'tasks')
            list = pair;
        else {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`unknown field ${JSON.stringify(key)}`, at(offsetOf(pair.key, 0)), `Known fields: ${TOP_FIELDS.join(', ')}`);
        }
    }
    if (!list)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d('there is no "tasks" list', at(offsetOf(doc.contents, 0)), SHAPE);
    const entries = listIn(list.value, valueAt(list), 'tasks', '{"tasks": [{"id": "BAC-124"}]}');
    if (!entries.length)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d('the task list is empty', at(valueAt(list)), SHAPE);
    const tasks = [];
    const seen = new Map();
    entries.forEach((entry, index) => {
        const start = offsetOf(entry, valueAt(list));
        const node = valueOf(entry);
        if (!(0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isMap */ .jh)(node)) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`task ${index + 1} is ${describe(node)}, not a mapping`, at(start), 'Write each task as a mapping with at least an id, e.g. {"id": "BAC-124"}');
        }
        const idPair = node.items.find((pair) => keyOf(pair) === 'id');
        if (!idPair)
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`task ${index + 1} has no id`, at(start), 'Give it one, e.g. id: BAC-124');
        const idNode = valueOf(idPair.value);
        if (!(0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isScalar */ .jn)(idNode) || typeof idNode.value !== 'string') {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`task ${index + 1}'s id is ${describe(idNode)}, not a task id`, at(valueAt(idPair)), _fields_js__WEBPACK_IMPORTED_MODULE_4__/* .ID_RULE */ .Rb);
        }
        const id = (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .readTaskId */ .P3)(idNode.value, at(valueAt(idPair)));
        const first = seen.get(id);
        if (first !== undefined) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`${id} is listed twice (${bothPlaces(lines.linePos(first), lines.linePos(start))})`, name, 'Keep one task per id, or give the second task its own id');
        }
        seen.set(id, start);
        const task = {
            id,
            title: '',
            prompt: '',
            dependsOn: [],
            paths: [],
            where: `${name} line ${lines.linePos(start).line}`,
        };
        for (const pair of node.items) {
            const key = keyOf(pair);
            const offset = valueAt(pair);
            const where = at(offset);
            switch (key) {
                case 'id':
                    break;
                case 'title':
                    task.title = (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .readTitle */ .tS)(textIn(pair.value, offset, `${id}'s title`, key).trim(), id, where);
                    break;
                case 'prompt':
                    task.prompt = textIn(pair.value, offset, `${id}'s prompt`, key).trim();
                    break;
                case 'model':
                    task.model = (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .readModel */ .ko)(textIn(pair.value, offset, `${id}'s model`, key), id, where);
                    break;
                case 'estimate': {
                    const value = valueOf(pair.value);
                    if (!(0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isScalar */ .jn)(value) || (typeof value.value !== 'number' && typeof value.value !== 'string')) {
                        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`${id}'s estimate is ${describe(value)}, not a duration`, where, _fields_js__WEBPACK_IMPORTED_MODULE_4__/* .ESTIMATE_RULE */ .q7);
                    }
                    task.estimate = (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .readEstimate */ .Dm)(value.value, id, where);
                    break;
                }
                case 'depends_on': {
                    const ids = listIn(pair.value, offset, `${id}'s depends_on`, '["BAC-117"]').map((item) => {
                        const itemAt = offsetOf(item, offset);
                        return (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .readDependency */ .QJ)(textIn(item, itemAt, `a dependency of ${id}`, key), id, at(itemAt));
                    });
                    task.dependsOn = [...new Set(ids)];
                    break;
                }
                case 'paths': {
                    const globs = listIn(pair.value, offset, `${id}'s paths`, '["src/gateway/**"]');
                    if (!globs.length)
                        throw (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .emptyPaths */ .g4)(id, where);
                    task.paths = globs.map((item) => {
                        const itemAt = offsetOf(item, offset);
                        return (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .readPath */ .G7)(textIn(item, itemAt, `a path of ${id}`, key), id, at(itemAt));
                    });
                    break;
                }
                default:
                    throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`unknown field ${JSON.stringify(key)} in ${id}`, at(offsetOf(pair.key, start)), `Known fields: ${TASK_FIELDS.join(', ')}`);
            }
        }
        tasks.push(task);
    });
    return { context, tasks, source: name };
}
/** The one YAML document in `text` (JSON first checked as strict JSON), or the first syntax error in it. */
function compose(text, format, lines, at) {
    if (format === 'json') {
        const problem = jsonSyntaxError(text);
        if (problem) {
            lines.addNewLine(0);
            for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1))
                lines.addNewLine(i + 1);
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(problem.what, at(problem.offset), problem.fix ?? 'Fix the JSON syntax there');
        }
    }
    const tokens = [...new yaml__WEBPACK_IMPORTED_MODULE_2__/* .Parser */ .iX(lines.addNewLine).parse(text)];
    const deep = tooDeep(tokens);
    if (deep !== undefined)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(TOO_DEEP, at(deep), SHAPE);
    const [doc, second] = [...new yaml__WEBPACK_IMPORTED_MODULE_2__/* .Composer */ .Dk().compose(tokens, true, text.length)];
    if (second) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d('the file holds more than one YAML document', at(second.range[0]), 'Keep one: remove the `---` line, or merge the documents');
    }
    const error = doc.errors[0];
    if (error) {
        const { what, fix } = describeYamlError(error.code, error.message, text, error.pos[0]);
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(what, at(error.pos[0]), fix);
    }
    return doc;
}
/**
 * What each alias in `doc` stands for: the last node before it with that anchor, as YAML says. One pass over the
 * document; `Alias.resolve` walks the whole document for every alias, which takes minutes for a file of aliases.
 */
function anchoredValues(doc) {
    const anchors = new Map();
    const values = new Map();
    (0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .visit */ .YR)(doc, (_key, node) => {
        if ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isAlias */ .Vj)(node)) {
            const value = anchors.get(node.source);
            if (value)
                values.set(node, value);
        }
        else if ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isNode */ .Ll)(node) && node.anchor) {
            anchors.set(node.anchor, node);
        }
    });
    return values;
}
/** The text of a mapping key, or a short description of a key that is not text. */
function keyOf(pair) {
    const key = pair.key;
    if ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isScalar */ .jn)(key))
        return String(key.value);
    return (0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isNode */ .Ll)(key) ? `${describe(key)} key` : String(key);
}
/** What a YAML node holds, for messages: `the number 42`, `the text "BAC-1"`, `a list`, `empty`. */
function describe(node) {
    if ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isSeq */ .oP)(node))
        return 'a list';
    if ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isMap */ .jh)(node))
        return 'a mapping';
    const value = (0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isScalar */ .jn)(node) ? node.value : null;
    if (value === null || value === undefined)
        return 'empty';
    if (typeof value === 'string')
        return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
    if (typeof value === 'number' || typeof value === 'bigint')
        return `the number ${value}`;
    return `the value ${String(value)}`;
}
function bothPlaces(first, second) {
    return first.line === second.line
        ? `line ${first.line}, columns ${first.col} and ${second.col}`
        : `lines ${first.line} and ${second.line}`;
}
/** The YAML library's message made into a sentence for the user, with a fix for the common mistakes. */
function describeYamlError(code, message, text, offset) {
    switch (code) {
        case 'DUPLICATE_KEY': {
            const key = /^(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s:,{}[\]]+))/.exec(text.slice(offset, offset + 200));
            return {
                what: `the key ${JSON.stringify(key?.[1] ?? key?.[2] ?? key?.[3] ?? '')} is given twice in one mapping`,
                fix: 'Keep one of them',
            };
        }
        case 'BLOCK_AS_IMPLICIT_KEY':
            return {
                what: 'a value holds ": " where YAML expects a new key',
                fix: 'Quote text that contains ": ", e.g. title: "Routing: fix the fallback"',
            };
        case 'TAB_AS_INDENT':
            return { what: 'a tab is used for indentation', fix: 'Indent YAML with spaces' };
        default: {
            const sentence = message.split('\n')[0].replace(/\.$/, '');
            return { what: sentence[0].toLowerCase() + sentence.slice(1), fix: 'Fix the YAML syntax there' };
        }
    }
}
/** The offset of a node nested deeper than MAX_DEPTH, if any, walking the syntax tree without recursion. */
function tooDeep(tokens) {
    const stack = tokens.map((token) => [token, 0]);
    for (let next = stack.pop(); next; next = stack.pop()) {
        const [token, depth] = next;
        if (depth > MAX_DEPTH)
            return token.offset;
        if (token.type === 'document' && token.value)
            stack.push([token.value, depth]);
        if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
            for (const item of token.items) {
                if (item.key)
                    stack.push([item.key, depth + 1]);
                if (item.value)
                    stack.push([item.value, depth + 1]);
            }
        }
    }
    return undefined;
}
const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const JSON_ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;
function jsonSyntaxError(text) {
    const closers = [];
    let expect = 'value';
    let i = 0;
    const problem = (what, offset = i) => ({ offset, what });
    const found = () => i < text.length ? `'${String.fromCodePoint(text.codePointAt(i))}'` : 'the end of the file';
    const skipSpace = () => {
        while (i < text.length && ' \t\n\r'.includes(text[i]))
            i++;
    };
    const string = () => {
        const start = i++;
        for (;;) {
            if (i >= text.length)
                return problem('a string has no closing quote', start);
            const c = text.charCodeAt(i);
            if (c === 0x22) {
                i++;
                return undefined;
            }
            if (c === 0x5c) {
                JSON_ESCAPE.lastIndex = i;
                const escape = JSON_ESCAPE.exec(text);
                if (!escape)
                    return problem('a string has an invalid escape');
                i += escape[0].length;
            }
            else if (c === 0x0a) {
                return problem('a string runs past the end of its line (write a line break as \\n)');
            }
            else if (c < 0x20) {
                return problem('a string holds a control character');
            }
            else {
                i++;
            }
        }
    };
    for (;;) {
        skipSpace();
        if (expect === 'next') {
            const closer = closers.at(-1);
            if (closer === undefined) {
                return i < text.length ? problem(`unexpected ${found()} after the end of the data`) : undefined;
            }
            if (text[i] === closer) {
                closers.pop();
                i++;
                continue;
            }
            if (text[i] !== ',')
                return problem(`expected ',' or '${closer}', found ${found()}`);
            i++;
            skipSpace();
            if (text[i] === '}' || text[i] === ']') {
                return problem(`found ${found()} after a comma, and JSON allows no trailing comma`);
            }
            expect = closer === '}' ? 'key' : 'value';
        }
        else if (expect === 'key') {
            if (text[i] !== '"')
                return problem(`expected a property name in double quotes, found ${found()}`);
            const bad = string();
            if (bad)
                return bad;
            skipSpace();
            if (text[i] !== ':')
                return problem(`expected ':' after the property name, found ${found()}`);
            i++;
            expect = 'value';
        }
        else {
            const c = text[i];
            expect = 'next';
            if (c === '{' || c === '[') {
                const closer = c === '{' ? '}' : ']';
                if (closers.length > MAX_DEPTH)
                    return { offset: i, what: TOO_DEEP, fix: SHAPE };
                i++;
                skipSpace();
                if (text[i] === closer) {
                    i++;
                }
                else {
                    closers.push(closer);
                    expect = c === '{' ? 'key' : 'value';
                }
            }
            else if (c === '"') {
                const bad = string();
                if (bad)
                    return bad;
            }
            else {
                JSON_NUMBER.lastIndex = i;
                const word = JSON_NUMBER.exec(text)?.[0] ?? ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
                if (!word)
                    return problem(`expected a value, found ${found()}`);
                i += word.length;
            }
        }
    }
}


/***/ })

};
