// The task context bundle an agent reads from GET /api/agent/context: its task, the current and the
// prior attempts, the latest events, and `handoff_summary` — the brief (title and description),
// which is the only place a session can read it, since task summaries carry no description and
// session tokens do not reach /api/tasks.
import type { z } from 'zod';
import type { TaskBundleEventSchema, TaskBundleRunSchema, TaskBundleView } from '../contract/tasks.ts';

export type { TaskBundleView };
import type { TaskQueries } from './store/index.ts';
import type { EventRecord, RunRecord, TaskRecord } from './records.ts';
import { compact, summaryView } from './views.ts';

/** The Go zero time: what the contract's required bundle run times carry when a run has none. */
const ZERO_TIME = '0001-01-01T00:00:00Z';
const SUMMARY_MAX_BYTES = 8192;
const CONTEXT_BODY_MAX_BYTES = 65_536;
const PRIOR_ATTEMPTS = 5;
const RECENT_EVENTS = 10;

type BundleRun = z.infer<typeof TaskBundleRunSchema>;
type BundleEvent = z.infer<typeof TaskBundleEventSchema>;

export async function taskBundle(
  q: TaskQueries,
  task: TaskRecord,
  current: RunRecord,
): Promise<TaskBundleView> {
  const runs = await q.runs.ofTask(task.id);
  const events = (await q.events.newestOfTask(task.id, RECENT_EVENTS)).reverse();
  const byId = new Map(runs.map((r) => [r.id, r]));
  return {
    task: summaryView(task),
    current_run: bundleRun(current, task.max_attempts),
    prior_attempts: runs
      .filter((r) => r.id !== current.id)
      .slice(0, PRIOR_ATTEMPTS)
      .map((r) => bundleRun(r, task.max_attempts)),
    recent_events: events.map((e) => bundleEvent(e, task, e.run_id ? byId.get(e.run_id) : undefined)),
    review_history: [],
    latest_event_seq: task.latest_event_seq,
    limits: {
      context_body_max_bytes: CONTEXT_BODY_MAX_BYTES,
      max_runtime_seconds: 0,
      summary_max_bytes: SUMMARY_MAX_BYTES,
    },
    handoff_summary: brief(task),
  };
}

function brief(task: TaskRecord): string {
  const text = task.description?.trim() ? `${task.title}\n\n${task.description.trim()}` : task.title;
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= SUMMARY_MAX_BYTES
    ? text
    : `${bytes.subarray(0, SUMMARY_MAX_BYTES - 3).toString('utf8')}...`;
}

function bundleRun(r: RunRecord, maxAttempts: number): BundleRun {
  return compact({
    id: r.id,
    task_id: r.task_id,
    status: r.status,
    attempt: r.attempt,
    max_attempts: maxAttempts,
    previous_run_id: r.previous_run_id,
    session_id: r.session_id,
    claimed_by: r.claimed_by,
    claim_token_hash: r.claim_token_hash,
    coordination_channel_id: r.coordination_channel_id,
    queued_at: r.queued_at,
    claimed_at: r.claimed_at ?? ZERO_TIME,
    started_at: r.started_at ?? ZERO_TIME,
    heartbeat_at: r.heartbeat_at ?? ZERO_TIME,
    lease_until: r.lease_until ?? ZERO_TIME,
    ended_at: r.ended_at ?? ZERO_TIME,
    error: r.error,
    failure_kind: r.failure_kind,
  }) as BundleRun;
}

function bundleEvent(e: EventRecord, task: TaskRecord, run: RunRecord | undefined): BundleEvent {
  return compact({
    sequence: e.seq,
    event_id: e.id,
    event_type: e.type,
    task: summaryView(task),
    run: run ? bundleRun(run, task.max_attempts) : undefined,
    actor: e.actor,
    origin: e.origin,
    payload: e.payload,
    timestamp: e.timestamp,
  }) as BundleEvent;
}
