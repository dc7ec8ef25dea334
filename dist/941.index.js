export const id = 941;
export const ids = [941];
export const modules = {

/***/ 7941:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   checkResult: () => (/* binding */ checkResult),
/* harmony export */   checkRunFile: () => (/* binding */ checkRunFile)
/* harmony export */ });
/* harmony import */ var zod__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8816);
/* harmony import */ var _tasks_refs_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(5302);
/* harmony import */ var _records_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9828);
/**
 * The one shape of what a `mode: run` step leaves in `results-dir`, checked before `mode: report` believes a word of
 * it: the files come from artifacts any shard's job (and so any agent with a shell there) could have written. Every
 * string and list is bounded, ids follow the task-id grammar, and fields the schema does not know are dropped.
 * Loaded only by `mode: report`, so zod stays out of the other modes' start.
 */



const STATUSES = [
    'succeeded',
    'failed',
    'failed-verification',
    'turn-limit',
    'timeout',
    'budget',
    'cancelled',
    'skipped',
    'missing',
];
const everyStatusListed = true;
void everyStatusListed;
const text = (max) => zod__WEBPACK_IMPORTED_MODULE_2__/* .string */ .YjP().max(max);
const count = zod__WEBPACK_IMPORTED_MODULE_2__/* .number */ .aig().int().min(0).max(1e12);
const seconds = zod__WEBPACK_IMPORTED_MODULE_2__/* .number */ .aig().min(0).max(1e9);
const epochMs = zod__WEBPACK_IMPORTED_MODULE_2__/* .number */ .aig().min(0).max(1e14);
const taskId = zod__WEBPACK_IMPORTED_MODULE_2__/* .string */ .YjP().max(64).refine(_tasks_refs_js__WEBPACK_IMPORTED_MODULE_0__/* .isRef */ .i9, 'is not a task id (like BAC-124)');
const ids = zod__WEBPACK_IMPORTED_MODULE_2__/* .array */ .YOg(taskId).max(_records_js__WEBPACK_IMPORTED_MODULE_1__/* .MAX_RUN_TASKS */ .Kf);
const lines = zod__WEBPACK_IMPORTED_MODULE_2__/* .array */ .YOg(text(10_000)).max(1_000);
const COMMAND_RUN = zod__WEBPACK_IMPORTED_MODULE_2__/* .object */ .Ikc({
    command: text(10_000),
    exitCode: zod__WEBPACK_IMPORTED_MODULE_2__/* .number */ .aig().int().nullable(),
    seconds,
    outputTail: text(100_000),
    error: text(10_000).optional(),
});
const RESULT = zod__WEBPACK_IMPORTED_MODULE_2__/* .object */ .Ikc({
    id: taskId,
    title: text(10_000),
    status: zod__WEBPACK_IMPORTED_MODULE_2__/* ["enum"] */ .k5n(STATUSES),
    model: text(200),
    startedAt: epochMs,
    endedAt: epochMs,
    seconds,
    modelSeconds: seconds.optional(),
    turns: count,
    toolCalls: count,
    usage: zod__WEBPACK_IMPORTED_MODULE_2__/* .object */ .Ikc({ input: count, output: count, cacheWrite: count, cacheRead: count }),
    costUsd: zod__WEBPACK_IMPORTED_MODULE_2__/* .number */ .aig().min(0).max(1e9).nullable(),
    report: text(1_000_000),
    branch: text(1_000),
    buildsOn: ids.optional(),
    commit: zod__WEBPACK_IMPORTED_MODULE_2__/* .string */ .YjP()
        .regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/)
        .optional(),
    pushed: zod__WEBPACK_IMPORTED_MODULE_2__/* .boolean */ .zMY(),
    notPushed: text(10_000).optional(),
    skipped: zod__WEBPACK_IMPORTED_MODULE_2__/* .array */ .YOg(zod__WEBPACK_IMPORTED_MODULE_2__/* .object */ .Ikc({ path: text(4_096), reason: text(10_000) }))
        .max(10_000)
        .optional(),
    filesChanged: zod__WEBPACK_IMPORTED_MODULE_2__/* .array */ .YOg(text(4_096)).max(100_000),
    insertions: count,
    deletions: count,
    error: text(100_000).optional(),
    setup: COMMAND_RUN.optional(),
    verification: zod__WEBPACK_IMPORTED_MODULE_2__/* .object */ .Ikc({ passed: zod__WEBPACK_IMPORTED_MODULE_2__/* .boolean */ .zMY(), runs: zod__WEBPACK_IMPORTED_MODULE_2__/* .array */ .YOg(COMMAND_RUN).max(20), fixUps: count })
        .optional(),
    agentReport: zod__WEBPACK_IMPORTED_MODULE_2__/* .object */ .Ikc({
        outcome: zod__WEBPACK_IMPORTED_MODULE_2__/* ["enum"] */ .k5n(['done', 'partial', 'blocked']),
        summary: text(1_000_000),
        changes: lines,
        risks: lines,
        followUps: lines,
    })
        .optional(),
    pullRequest: zod__WEBPACK_IMPORTED_MODULE_2__/* .object */ .Ikc({ number: count, url: text(2_000) }).optional(),
    pullRequestNotOpened: zod__WEBPACK_IMPORTED_MODULE_2__/* .object */ .Ikc({ reason: text(10_000), compareUrl: text(2_000).optional() }).optional(),
    conflictsWith: ids.optional(),
    mergeOrder: count.optional(),
    leftOut: text(10_000).optional(),
});
const RUN_FILE = zod__WEBPACK_IMPORTED_MODULE_2__/* .object */ .Ikc({
    version: zod__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .euz(1),
    run: zod__WEBPACK_IMPORTED_MODULE_2__/* .object */ .Ikc({
        id: zod__WEBPACK_IMPORTED_MODULE_2__/* .string */ .YjP().regex(/^[\w.-]{1,64}$/, 'is not a workflow run id'),
        attempt: zod__WEBPACK_IMPORTED_MODULE_2__/* .number */ .aig().int().min(1).max(1_000),
        shard: zod__WEBPACK_IMPORTED_MODULE_2__/* .string */ .YjP()
            .regex(/^[1-9]\d{0,2}$/, 'is not a shard number')
            .nullable(),
        tasks: zod__WEBPACK_IMPORTED_MODULE_2__/* .array */ .YOg(taskId).max(_records_js__WEBPACK_IMPORTED_MODULE_1__/* .MAX_RUN_TASKS */ .Kf, `lists more than ${_records_js__WEBPACK_IMPORTED_MODULE_1__/* .MAX_RUN_TASKS */ .Kf} tasks`),
        startedAt: epochMs,
        endedAt: epochMs,
        concurrency: zod__WEBPACK_IMPORTED_MODULE_2__/* .number */ .aig().int().min(1).max(256),
        plan: text(100_000).optional(),
    }),
});
/** A `run.json` as written by {@link writeRunFile}. */
function checkRunFile(data) {
    const parsed = RUN_FILE.safeParse(data);
    return parsed.success ? { ok: true, value: parsed.data.run } : { ok: false, why: firstIssue(parsed.error) };
}
/** One task's result file, which must be the result of the task it is named after. */
function checkResult(data, id) {
    const parsed = RESULT.safeParse(data);
    if (!parsed.success)
        return { ok: false, why: firstIssue(parsed.error) };
    if (parsed.data.id !== id)
        return { ok: false, why: 'id: names another task' };
    return { ok: true, value: parsed.data };
}
/** `run.tasks[3]: is not a task id`: where the first problem is and what it is. */
function firstIssue(error) {
    const issue = error.issues[0];
    if (!issue)
        return 'not the expected shape';
    const where = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`));
    const message = issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.message;
    return `${where.join('') || 'the file'}: ${message.slice(0, 200)}`;
}


/***/ })

};
