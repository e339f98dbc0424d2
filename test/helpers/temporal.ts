import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the suite through \`npm test\` or jest's global setup`);
  return value;
}

export const TEST_NAMESPACE = 'billing';

/** A real Temporal dev server (the CLI built from the Go module proxy) on free loopback ports. */
export function startDevServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: required('TEMPORAL_CLI_PATH') },
      ip: '127.0.0.1',
      namespace: TEST_NAMESPACE,
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      ui: false,
      log: { format: 'pretty', level: 'error' },
    },
  });
}

/** Temporal's Java time-skipping test server: days-long timers pass in milliseconds. */
export function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: required('TEMPORAL_TEST_SERVER_PATH') } },
  });
}

/** The workflow bundle global setup built once for the whole run. */
export function workflowBundle(): { codePath: string } {
  return { codePath: required('TEST_WORKFLOW_BUNDLE') };
}
