import { bundleWorkflowCode } from '@temporalio/worker';

/** Every workflow type the engine runs, as the worker's bundle imports them. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Modules a worker evaluates once and shares among all the workflows it runs: every module of the
 * workflows, theirs and domain/'s alike. Left out, each new workflow (a sign-up's onboarding and its
 * subscription, each replay after an eviction) evaluated the 65 of them again and kept its own copy:
 * about 0.7 ms and 106 KB of heap a workflow, most of what a cached subscription costs in memory, and the
 * garbage collector walks every copy. Sharing is safe because module scope holds no state: the lint keeps
 * `let`, `var` and mutable collections out of it (eslint.config.mjs), and the SDK freezes what the
 * modules export, so a write to it fails the task instead of leaking into another workflow.
 */
export const PRELOAD_MODULES = [WORKFLOWS_PATH];

/**
 * The workflows bundled as every worker runs them (tests and the cluster build the bundle once). The
 * bundler's progress is left out; its errors are printed, and its warnings where `warn` is given.
 */
export async function bundleWorkflows(warn: (message: string) => void = () => {}): Promise<string> {
  const quiet = () => {};
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    preloadModules: PRELOAD_MODULES,
    logger: { log: quiet, info: quiet, debug: quiet, trace: quiet, warn, error: console.error },
  });
  return code;
}
