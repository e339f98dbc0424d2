import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { historyFromJson } from '../helpers/history-json';

const CORPUS = join(__dirname, 'histories');

/** Every recorded history, with the workflow id it ran under (the file names it). */
export function corpus(filter: (file: string) => boolean = () => true) {
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith('.json') && filter(f))
    .sort()
    .map((file) => ({
      file,
      workflowId: file.replace(/\.json$/, ''),
      history: withoutPendingTask(historyFromJson(JSON.parse(readFileSync(join(CORPUS, file), 'utf8')))),
    }));
}

/**
 * A history recorded while the workflow was waiting may end with events no completed workflow task has
 * answered yet (an activity's result, a signal, a task scheduled or started). The replayer runs the task
 * that answers them as new work, not as replay: nothing recorded checks its commands, and it may schedule
 * local activities, which a replay worker, having no activities, refuses. Those events are left out, so the
 * replay checks what the history holds and no more: up to the last completed task and the commands it made.
 */
function withoutPendingTask(history: temporal.api.history.v1.IHistory): temporal.api.history.v1.IHistory {
  const E = temporal.api.enums.v1.EventType;
  const events = history.events ?? [];
  let lastCompleted = events.length - 1;
  while (lastCompleted >= 0 && events[lastCompleted]?.eventType !== E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    lastCompleted--;
  if (lastCompleted < 0) return history;
  const commands = new Set<number>([
    E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
    E.EVENT_TYPE_TIMER_STARTED,
    E.EVENT_TYPE_TIMER_CANCELED,
    E.EVENT_TYPE_MARKER_RECORDED,
    E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
    E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    // Ended by the server: no task answers these.
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  ]);
  let end = lastCompleted + 1;
  while (end < events.length && commands.has(Number(events[end]?.eventType))) end++;
  return end === events.length ? history : { ...history, events: events.slice(0, end) };
}
