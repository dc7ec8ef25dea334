import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { abortable } from '../model/model-gate.js';
import type { Worktree } from '../git/workspace.js';

/**
 * The tool, each call first waiting until its worktree is checked out (see `Worktree.ready`): a worktree's files
 * arrive while the agent's first request is out.
 */
export function afterCheckout(
  tool: BetaRunnableTool,
  ready: NonNullable<Worktree['ready']>,
): BetaRunnableTool {
  return {
    ...tool,
    run: async (input, context) => {
      await abortable(ready(), context?.signal);
      return tool.run(input, context);
    },
  };
}
