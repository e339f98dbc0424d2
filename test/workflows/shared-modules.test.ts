import { readFileSync } from 'node:fs';
import { createContext, runInContext } from 'node:vm';
import { workflowBundle } from '../helpers/temporal';

/**
 * Loads the suite's bundle the way the SDK's reusable context does: a module required while no workflow
 * is loaded lands in the shared cache, one required by a workflow in that workflow's own.
 */
function loadBundle() {
  const shared = new Map<string | symbol, unknown>();
  let perWorkflow: Map<string | symbol, unknown> | null = null;
  const context = createContext({});
  Object.defineProperty(context, '__webpack_module_cache__', {
    value: new Proxy(
      {},
      {
        get: (_, id) => shared.get(id) ?? perWorkflow?.get(id),
        set: (_, id, module) => {
          (perWorkflow ?? shared).set(id, module);
          return true;
        },
      },
    ),
  });
  runInContext(readFileSync(workflowBundle().codePath, 'utf8'), context);
  runInContext('__TEMPORAL__.preloadModules?.()', context);
  return {
    shared,
    /** What one more workflow evaluates of its own, and the workflow functions it gets. */
    loadWorkflow() {
      perWorkflow = new Map();
      const exported = runInContext('__TEMPORAL__.importWorkflows()', context) as Record<string, unknown>;
      const own = [...perWorkflow.keys()].map(String);
      perWorkflow = null;
      return { own, exported };
    },
  };
}

describe('the workflow bundle', () => {
  it('evaluates every module of the workflows once, before any workflow, and shares them', () => {
    const bundle = loadBundle();
    expect([...bundle.shared.keys()].map(String)).toEqual(
      expect.arrayContaining([
        './workflows/index.ts',
        './workflows/subscription/index.ts',
        './domain/money.ts',
      ]),
    );
    const first = bundle.loadWorkflow();
    const second = bundle.loadWorkflow();
    expect(first.own).toEqual([]);
    expect(second.own).toEqual([]);
    expect(typeof first.exported.subscriptionWorkflow).toBe('function');
    expect(second.exported.subscriptionWorkflow).toBe(first.exported.subscriptionWorkflow);
  });
});
