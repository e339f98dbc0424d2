import { setFlagsFromString } from 'node:v8';

/**
 * The frames the SDK's promise hook puts on top of each trace it records (the hook and Node's caller of
 * it), which it strips before the trace is shown.
 */
const HOOK_FRAMES = 2;

/**
 * Caps the frames of the stack traces recorded in the contexts made after this call: the workflow threads
 * and the V8 contexts the SDK runs workflow code in. The SDK (1.24) captures and formats a stack trace for
 * every promise a workflow's code makes, for its stack-trace query, with no setting to turn that off; at
 * Node's default of 10 frames this was the largest part of a workflow task's own CPU
 * (bench/workflow-activation.ts). Each promise's trace then shows `frames` frames; the query still names
 * every function the workflow waits in, as the traces of the promises they await chain up. 0 records
 * none. A V8 flag applies to contexts made after it is set: the process's own context keeps Node's limit,
 * so activities' and the worker's errors keep their full stacks (the test checks it).
 */
export function limitWorkflowStackFrames(frames: number): void {
  if (!Number.isSafeInteger(frames) || frames < 0) throw new RangeError(`frames: ${frames}`);
  setFlagsFromString(`--stack-trace-limit=${frames === 0 ? 0 : frames + HOOK_FRAMES}`);
}
