/** One unit of work: a Linear-style id and what the agent is asked to do. */
export interface Task {
  /** Linear-style identifier, e.g. `BAC-124`. */
  id: string;
  /** Short title; empty when the source gave none. */
  title: string;
  /** The task's own instructions (the indented lines under its list item). */
  prompt: string;
}

/** Tasks plus the text every agent shares (everything outside the task items). */
export interface TaskSet {
  context: string;
  tasks: Task[];
}
