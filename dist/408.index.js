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
/* harmony import */ var zod__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(8816);
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
const SHAPE = 'List the tasks under a "tasks" key, e.g. {"tasks": [{"id": "BAC-124", "title": "Fix model routing"}]}';
// A task file is four levels deep (tasks, a task, a field, a list); the YAML composer recurses once per level and
// a stack overflow inside it can take the process down, so deeper text is refused before it is composed.
const MAX_DEPTH = 64;
const TOO_DEEP = `the data is nested more than ${MAX_DEPTH} levels deep`;
// The most aliases (`*name`) in a task file, and the most copies yaml's `maxAliasCount` lets each expand to: its own
// default. Resolving an alias walks the anchors and aliases before it, so many of them take minutes.
const MAX_ALIASES = 100;
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
    const places = new Places(name, lines);
    const doc = compose(text, format, places);
    places.doc = doc;
    const value = plainValue(doc, places);
    if (value === null || value === undefined)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d('the file is empty', name, SHAPE);
    const { context, entries } = readTop(value, places);
    const tasks = [];
    const seen = new Map();
    entries.forEach((entry, index) => tasks.push(readTask(entry, index, places, seen)));
    return { context, tasks, source: name };
}
/** The shape of a task file, checked before any field is read. */
const TOP_SCHEMA = zod__WEBPACK_IMPORTED_MODULE_6__/* .strictObject */ .rej({
    context: zod__WEBPACK_IMPORTED_MODULE_6__/* .string */ .YjP().optional(),
    tasks: zod__WEBPACK_IMPORTED_MODULE_6__/* .array */ .YOg(zod__WEBPACK_IMPORTED_MODULE_6__/* .unknown */ .L5J()).nullable(),
});
const TASK_SCHEMA = zod__WEBPACK_IMPORTED_MODULE_6__/* .strictObject */ .rej({
    id: zod__WEBPACK_IMPORTED_MODULE_6__/* .string */ .YjP(),
    title: zod__WEBPACK_IMPORTED_MODULE_6__/* .string */ .YjP().optional(),
    prompt: zod__WEBPACK_IMPORTED_MODULE_6__/* .string */ .YjP().optional(),
    depends_on: zod__WEBPACK_IMPORTED_MODULE_6__/* .array */ .YOg(zod__WEBPACK_IMPORTED_MODULE_6__/* .string */ .YjP()).nullable().optional(),
    paths: zod__WEBPACK_IMPORTED_MODULE_6__/* .array */ .YOg(zod__WEBPACK_IMPORTED_MODULE_6__/* .string */ .YjP()).nullable().optional(),
    model: zod__WEBPACK_IMPORTED_MODULE_6__/* .string */ .YjP().optional(),
    estimate: zod__WEBPACK_IMPORTED_MODULE_6__/* .union */ .KCZ([zod__WEBPACK_IMPORTED_MODULE_6__/* .number */ .aig(), zod__WEBPACK_IMPORTED_MODULE_6__/* .string */ .YjP()]).optional(),
});
const TOP_FIELDS = Object.keys(TOP_SCHEMA.shape);
const TASK_FIELDS = Object.keys(TASK_SCHEMA.shape);
/** The first problem in the text, as an error. */
function firstOf(problems, places) {
    const first = problems.reduce((a, b) => (b.offset < a.offset ? b : a));
    return new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(first.what, places.at(first.offset), first.fix);
}
/** The context and the task entries; problems of the tasks list come after those of the other fields, as written. */
function readTop(value, places) {
    const parsed = TOP_SCHEMA.safeParse(value);
    if (parsed.success) {
        const entries = parsed.data.tasks ?? [];
        if (!entries.length)
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d('the task list is empty', places.at(places.of(['tasks'])), SHAPE);
        return { context: (parsed.data.context ?? '').trim(), entries };
    }
    const issues = parsed.error.issues;
    const root = places.of([]);
    if (issues.some((issue) => issue.path.length === 0 && issue.code === 'invalid_type')) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`the file holds ${describe(value)}, not a mapping with a "tasks" list`, places.at(root), SHAPE);
    }
    const fields = issues
        .filter((issue) => issue.path[0] !== 'tasks')
        .flatMap((issue) => {
        if (issue.code === 'unrecognized_keys')
            return unknownFields(issue.keys, [], '', TOP_FIELDS, places);
        const where = places.of(['context']);
        return [
            {
                offset: where,
                what: `the context is ${describe(at(value, ['context']))}, not text`,
                fix: writeAsText('context'),
            },
        ];
    });
    if (fields.length)
        throw firstOf(fields, places);
    const tasks = at(value, ['tasks']);
    if (tasks === undefined)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d('there is no "tasks" list', places.at(root), SHAPE);
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`tasks is ${describe(tasks)}, not a list`, places.at(places.of(['tasks'])), 'Write it as a list: {"tasks": [{"id": "BAC-124"}]}');
}
/** One task: its id first (a task is named by it in every later message), then its fields in the order written. */
function readTask(entry, index, places, seen) {
    const path = ['tasks', index];
    const start = places.of(path);
    const parsed = TASK_SCHEMA.safeParse(entry);
    const issues = parsed.error?.issues ?? [];
    const n = index + 1;
    if (issues.some((issue) => issue.path.length === 0 && issue.code === 'invalid_type')) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`task ${n} is ${describe(entry)}, not a mapping`, places.at(start), 'Write each task as a mapping with at least an id, e.g. {"id": "BAC-124"}');
    }
    const rawId = at(entry, ['id']);
    if (rawId === undefined)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`task ${n} has no id`, places.at(start), 'Give it one, e.g. id: BAC-124');
    const idAt = places.at(places.of([...path, 'id']));
    if (typeof rawId !== 'string') {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`task ${n}'s id is ${describe(rawId)}, not a task id`, idAt, _fields_js__WEBPACK_IMPORTED_MODULE_4__/* .ID_RULE */ .Rb);
    }
    const id = (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .readTaskId */ .P3)(rawId, idAt);
    const first = seen.get(id);
    if (first !== undefined) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`${id} is listed twice (${bothPlaces(places.lines.linePos(first), places.lines.linePos(start))})`, places.name, 'Keep one task per id, or give the second task its own id');
    }
    seen.set(id, start);
    if (!parsed.success) {
        throw firstOf(issues.flatMap((issue) => fieldProblems(issue, entry, path, id, places)), places);
    }
    return readFields(parsed.data, id, path, places);
}
/** What one schema issue of task `id` (at `path`) says to the user. */
function fieldProblems(issue, entry, path, id, places) {
    if (issue.code === 'unrecognized_keys')
        return unknownFields(issue.keys, path, ` in ${id}`, TASK_FIELDS, places);
    const [key, item] = issue.path;
    const offset = places.of([...path, ...issue.path.map((part) => part)]);
    const found = describe(at(entry, issue.path));
    if (key === 'estimate')
        return [{ offset, what: `${id}'s estimate is ${found}, not a duration`, fix: _fields_js__WEBPACK_IMPORTED_MODULE_4__/* .ESTIMATE_RULE */ .q7 }];
    if (key === 'depends_on' || key === 'paths') {
        if (item === undefined) {
            const example = key === 'paths' ? '["src/gateway/**"]' : '["BAC-117"]';
            return [
                { offset, what: `${id}'s ${key} is ${found}, not a list`, fix: `Write it as a list: ${example}` },
            ];
        }
        const what = key === 'paths' ? `a path of ${id}` : `a dependency of ${id}`;
        return [{ offset, what: `${what} is ${found}, not text`, fix: writeAsText(key) }];
    }
    return [{ offset, what: `${id}'s ${key} is ${found}, not text`, fix: writeAsText(key) }];
}
function unknownFields(keys, path, within, known, places) {
    return keys.map((key) => ({
        offset: places.keyOf(path, key),
        what: `unknown field ${JSON.stringify(key)}${within}`,
        fix: `Known fields: ${known.join(', ')}`,
    }));
}
function writeAsText(key) {
    return `Write ${key} as a string, in quotes if need be`;
}
/** The task from fields of the right types, each value read by the rules every task source shares. */
function readFields(fields, id, path, places) {
    const where = (...more) => places.at(places.of([...path, ...more]));
    const task = {
        id,
        title: '',
        prompt: '',
        dependsOn: [],
        paths: [],
        where: `${places.name} line ${places.lines.linePos(places.of(path)).line}`,
    };
    for (const key of Object.keys(fields)) {
        switch (key) {
            case 'title':
                task.title = (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .readTitle */ .tS)(fields.title.trim(), id, where(key));
                break;
            case 'prompt':
                task.prompt = fields.prompt.trim();
                break;
            case 'model':
                task.model = (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .readModel */ .ko)(fields.model, id, where(key));
                break;
            case 'estimate':
                task.estimate = (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .readEstimate */ .Dm)(fields.estimate, id, where(key));
                break;
            case 'depends_on':
                task.dependsOn = [
                    ...new Set((fields.depends_on ?? []).map((dep, i) => (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .readDependency */ .QJ)(dep, id, where(key, i)))),
                ];
                break;
            case 'paths':
                if (!fields.paths?.length)
                    throw (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .emptyPaths */ .g4)(id, where(key));
                task.paths = fields.paths.map((glob, i) => (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .readPath */ .G7)(glob, id, where(key, i)));
                break;
        }
    }
    return task;
}
/** The value at `path` inside `value`, or undefined. */
function at(value, path) {
    let here = value;
    for (const key of path) {
        if (typeof here !== 'object' || here === null || !Object.hasOwn(here, key))
            return undefined;
        here = here[key];
    }
    return here;
}
/**
 * Where values are written in one task file. A value read through an alias is placed at the alias; an entry of an
 * aliased list, at the entry where the list is written.
 */
class Places {
    name;
    lines;
    doc;
    anchored;
    constructor(name, lines) {
        this.name = name;
        this.lines = lines;
    }
    /** `docs/tasks.yml line 4, column 7`. */
    at(offset) {
        const { line, col } = this.lines.linePos(offset);
        return `${this.name} line ${line}, column ${col}`;
    }
    /** Where the value at `path` is written; for a key with no value, where the key is; for no key, its mapping. */
    of(path) {
        return this.walk(path).offset;
    }
    /** Where the key `key` of the mapping at `path` is written. */
    keyOf(path, key) {
        const { node, offset } = this.walk(path);
        const pair = (0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isMap */ .jh)(node) ? node.items.find((p) => keyText(p.key) === key) : undefined;
        return startOf(pair?.key) ?? offset;
    }
    walk(path) {
        let node = this.doc?.contents;
        let offset = startOf(node) ?? 0;
        for (const part of path) {
            if ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isAlias */ .Vj)(node))
                node = this.resolve(node);
            if ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isMap */ .jh)(node)) {
                const pair = node.items.find((p) => keyText(p.key) === String(part));
                if (!pair)
                    break;
                offset = startOf(pair.value) ?? startOf(pair.key) ?? offset;
                node = pair.value;
            }
            else if ((0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isSeq */ .oP)(node) && typeof part === 'number' && part < node.items.length) {
                node = node.items[part];
                offset = startOf(node) ?? offset;
            }
            else {
                break;
            }
        }
        return { node, offset };
    }
    resolve(alias) {
        this.anchored ??= anchoredValues(this.doc);
        return this.anchored.get(alias);
    }
}
function startOf(node) {
    return (0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isNode */ .Ll)(node) ? node.range?.[0] : undefined;
}
function keyText(key) {
    return (0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .isScalar */ .jn)(key) ? String(key.value) : String(key);
}
/** The one YAML document in `text` (JSON first checked as strict JSON), or the first syntax error in it. */
function compose(text, format, places) {
    const { lines } = places;
    if (format === 'json') {
        const problem = jsonProblem(text);
        if (problem) {
            countLines(text, lines);
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(problem.what, places.at(problem.offset), problem.fix);
        }
    }
    const tokens = [...new yaml__WEBPACK_IMPORTED_MODULE_2__/* .Parser */ .iX(lines.addNewLine).parse(text)];
    const deep = tooDeep(tokens);
    if (deep !== undefined)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(TOO_DEEP, places.at(deep), SHAPE);
    // Warnings (a list as a key, turned into text) would go to the log; the schema names such a key anyway.
    const [doc, second] = [...new yaml__WEBPACK_IMPORTED_MODULE_2__/* .Composer */ .Dk({ logLevel: 'error' }).compose(tokens, true, text.length)];
    if (second) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d('the file holds more than one YAML document', places.at(second.range[0]), 'Keep one: remove the `---` line, or merge the documents');
    }
    const error = doc.errors[0];
    if (error) {
        const { what, fix } = describeYamlError(error.code, error.message, text, error.pos[0]);
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(what, places.at(error.pos[0]), fix);
    }
    return doc;
}
function countLines(text, lines) {
    lines.addNewLine(0);
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1))
        lines.addNewLine(i + 1);
}
/**
 * The document as plain data. Aliases (`*name`) let a few bytes stand for a large value, and aliases to lists of
 * aliases for a huge one (the "billion laughs"): the aliases are counted, yaml's `maxAliasCount` bounds what each
 * expands to, and all they expand to counts toward the size limit of a task file.
 */
function plainValue(doc, places) {
    const aliases = [];
    (0,yaml__WEBPACK_IMPORTED_MODULE_2__/* .visit */ .YR)(doc, { Alias: (_key, alias) => void aliases.push(alias) });
    if (!aliases.length)
        return doc.toJS();
    const at = (alias) => places.at(startOf(alias) ?? 0);
    const over = aliases[MAX_ALIASES];
    if (over)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`the file has more than ${MAX_ALIASES} aliases`, at(over), ALIAS_FIX);
    const anchored = anchoredValues(doc);
    const unresolved = aliases.find((alias) => !anchored.has(alias));
    if (unresolved) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(`the alias *${unresolved.source} has no anchor &${unresolved.source} before it`, at(unresolved), 'Anchor the value where it is first written, e.g. paths: &gateway [src/gateway/**], or write it out');
    }
    let value;
    try {
        value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    }
    catch (error) {
        if (!(error instanceof ReferenceError))
            throw error;
        const what = `the aliases expand to more than ${MAX_ALIASES} copies of a value`;
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(what, places.name, ALIAS_FIX);
    }
    if (expandsPast(value, _fields_js__WEBPACK_IMPORTED_MODULE_4__/* .MAX_TASK_BYTES */ .n_)) {
        const what = `the aliases expand the tasks to more than ${(0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .formatBytes */ .z3)(_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .MAX_TASK_BYTES */ .n_)}`;
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .d(what, places.name, ALIAS_FIX);
    }
    return value;
}
const ALIAS_FIX = 'Write the values out instead of repeating them through anchors (`&name`) and aliases (`*name`)';
/** Whether `value`, with every shared value counted each time it appears, holds more than `limit` characters. */
function expandsPast(value, limit) {
    let left = limit;
    const stack = [value];
    while (stack.length) {
        const next = stack.pop();
        left -= typeof next === 'string' ? next.length + 1 : 1;
        if (left < 0)
            return true;
        if (typeof next === 'object' && next !== null)
            stack.push(...Object.values(next));
    }
    return false;
}
/** Where and why `text` is not JSON, from `JSON.parse`, or undefined when it is; nesting is bounded as in YAML. */
function jsonProblem(text) {
    try {
        JSON.parse(text);
    }
    catch (error) {
        const message = error.message;
        const offset = jsonErrorOffset(message, text) ?? 0;
        const found = offset >= text.length ? 'the end of the file' : describeChar(text[offset]);
        const before = text.slice(0, offset).trimEnd();
        if (before.endsWith(',') && (text[offset] === '}' || text[offset] === ']')) {
            return {
                offset,
                what: `found ${found} after a comma, and JSON allows no trailing comma`,
                fix: JSON_FIX,
            };
        }
        if (message.startsWith('Bad control character') && found === 'a line break') {
            return {
                offset,
                what: 'a string runs past the end of its line (write a line break as \\n)',
                fix: JSON_FIX,
            };
        }
        // V8's sentence without where it is: `Expected ',' or ']' after array element in JSON at position 41 (…)`.
        if (message.startsWith('Unexpected end'))
            return { offset, what: 'the data ends too soon', fix: JSON_FIX };
        if (message.startsWith('Unexpected token'))
            return { offset, what: `unexpected ${found}`, fix: JSON_FIX };
        const sentence = message.replace(/ (?:in JSON )?at position.*$| of JSON input$/, '');
        return {
            offset,
            what: `${sentence[0].toLowerCase()}${sentence.slice(1)}, found ${found}`,
            fix: JSON_FIX,
        };
    }
    const deep = tooDeepJson(text);
    return deep === undefined ? undefined : { offset: deep, what: TOO_DEEP, fix: SHAPE };
}
const JSON_FIX = 'Fix the JSON syntax there';
/**
 * Where `JSON.parse` stopped, from its message. V8 gives the position, or, for an unexpected token, the text up to 10
 * characters either side of it (all of a text under 21 characters).
 */
function jsonErrorOffset(message, text) {
    const position = / at position (\d+)/.exec(message);
    if (position)
        return Number(position[1]);
    if (message.startsWith('Unexpected end of JSON input'))
        return text.length;
    const quoted = /^Unexpected token '([\s\S]+?)', (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/.exec(message);
    if (!quoted)
        return undefined;
    const [, token, before, around, after] = quoted;
    if (before && after)
        return text.indexOf(around) + CONTEXT;
    if (before)
        return text.length - around.length + CONTEXT;
    if (after)
        return around.length - CONTEXT;
    return text.indexOf(token);
}
/** V8's `kMaxContextCharacters`. */
const CONTEXT = 10;
function describeChar(char) {
    if (char === '\n' || char === '\r')
        return 'a line break';
    return (0,_fields_js__WEBPACK_IMPORTED_MODULE_4__/* .controlIn */ .X7)(char) ?? `'${char}'`;
}
/** The offset of the first bracket nested deeper than MAX_DEPTH in JSON text, if any, without recursion. */
function tooDeepJson(text) {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
            if (c === '\\')
                i++;
            else if (c === '"')
                inString = false;
        }
        else if (c === '"') {
            inString = true;
        }
        else if (c === '[' || c === '{') {
            if (depth > MAX_DEPTH)
                return i;
            depth++;
        }
        else if (c === ']' || c === '}') {
            depth--;
        }
    }
    return undefined;
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
/** What a value holds, for messages: `the number 42`, `the text "BAC-1"`, `a list`, `empty`. */
function describe(value) {
    if (Array.isArray(value))
        return 'a list';
    if (value === null || value === undefined)
        return 'empty';
    if (typeof value === 'object')
        return 'a mapping';
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


/***/ })

};
