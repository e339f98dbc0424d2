import type * as workflows from '../../workflows';

type Workflows = typeof workflows;

/**
 * A workflow for the Temporal client by its type name (its export name, which is what the worker registers),
 * so use cases start and signal workflows without loading workflow code. The client takes the name wherever
 * it takes the function and types the call by the function's signature; this hands it the name with that
 * type, and the name is checked against the workflows' exports.
 */
export function workflowType<K extends keyof Workflows>(name: K): Workflows[K] {
  return name as unknown as Workflows[K];
}
