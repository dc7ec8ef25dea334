/** One unit of work: a Linear-style id and what the agent is asked to do. */
export interface Task {
  /** Linear-style identifier, e.g. `BAC-124`. */
  id: string;
  /** Short title; empty when the source gave none. */
  title: string;
  /** The task's own instructions. */
  prompt: string;
  /** Ids of tasks that must succeed before this one starts. */
  dependsOn: string[];
  /** Globs of the files the task touches; two tasks whose globs overlap never run at once. */
  paths: string[];
  /** Model for this task's agent, overriding the `model` input. */
  model?: string;
  /** Expected effort in hours (`2h`, `30m`, or Linear's points read as hours); used to balance and to bound. */
  estimate?: number;
  /** Where the task was defined, for messages: `input \`tasks\` line 4`, `tasks.yml line 12`, `issue #7`. */
  where?: string;
  /**
   * What a predicted plan (`plan: predict`) filled in, each field with the model's one-line reason. A field the user
   * wrote is never predicted, so it never appears here.
   */
  predicted?: { paths?: string; dependsOn?: string };
}

/** Tasks plus the text every agent shares (everything outside the task items). */
export interface TaskSet {
  context: string;
  tasks: Task[];
  /** What the tasks were read from, said in the log and the summary: "input `tasks`", "tasks.yml", "issue #7". */
  source: string;
}

/** A task set as one source gave it, with what was noticed while reading it. */
export interface TaskReading {
  set: TaskSet;
  /** For the log: what was left out and why (`BAC-101 is checked as done; skipped`). */
  notes: string[];
  /** Input that was probably meant otherwise (`"**BAC-5**" looks like a task but is not one: …`). */
  warnings: string[];
}
