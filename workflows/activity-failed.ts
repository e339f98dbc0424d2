import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';

/**
 * An activity that failed for good, as the workflow sees it. An activity task's failure arrives as an
 * ActivityFailure wrapping its cause; a local activity's arrives unwrapped, as the ApplicationFailure it
 * threw or the TimeoutFailure of its schedule-to-close limit (sdk-core does not wrap them), and would
 * otherwise fail the workflow task over and over.
 */
export function activityFailed(err: unknown): err is ActivityFailure | ApplicationFailure | TimeoutFailure {
  return err instanceof ActivityFailure || err instanceof ApplicationFailure || err instanceof TimeoutFailure;
}

/** What went wrong, for a log line or the run's state. */
export function failureCause(err: ActivityFailure | ApplicationFailure | TimeoutFailure): string {
  return String(err instanceof ActivityFailure ? (err.cause ?? err.message) : err);
}
