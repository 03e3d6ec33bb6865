// Records → the contract's task, run, event and lease shapes. Absent values are left out rather than
// sent as null or "", as the contract's optional fields expect.
import type {
  TaskView,
  TaskSummaryView,
  TaskListItemView,
  RunView,
  RunSummaryView,
  EventView,
  TimelineView,
  LeaseView,
  DependencyView,
  DependencyReferenceView,
  CoordinationChannelView,
} from '../contract/tasks.ts';
import type { EventRecord, RunRecord, TaskRecord } from './records.ts';
import type { DependencyRow } from './store/index.ts';

export type {
  TaskView,
  TaskSummaryView,
  TaskListItemView,
  RunView,
  RunSummaryView,
  EventView,
  TimelineView,
  LeaseView,
  DependencyView,
  DependencyReferenceView,
  CoordinationChannelView,
} from '../contract/tasks.ts';

/** Drops undefined, null and "" members: optional fields are omitted, not sent empty. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  ) as T;
}

export function taskView(t: TaskRecord): TaskView {
  return compact({
    id: t.id,
    identifier: t.identifier,
    scope: t.scope,
    workspace_id: t.workspace_id,
    parent_task_id: t.parent_task_id,
    network_channel: t.network_channel,
    title: t.title,
    description: t.description,
    priority: t.priority,
    max_attempts: t.max_attempts,
    auto_enqueue_on_ready: t.auto_enqueue_on_ready,
    status: t.status,
    approval_policy: t.approval_policy,
    approval_state: t.approval_state,
    owner: t.owner,
    current_run_id: t.current_run_id,
    latest_event_seq: t.latest_event_seq,
    paused: t.paused,
    paused_by: t.paused_by,
    paused_at: t.paused_at,
    paused_reason: t.paused_reason,
    effective_paused: t.paused_by_task_id !== null,
    paused_by_task_id: t.paused_by_task_id,
    ...(t.status === 'draft' && { draft: true }),
    created_by: t.created_by,
    origin: t.origin,
    created_at: t.created_at,
    updated_at: t.updated_at,
    closed_at: t.closed_at,
    metadata: t.metadata,
  }) as TaskView;
}

export function summaryView(t: TaskRecord): TaskSummaryView {
  return compact({
    id: t.id,
    identifier: t.identifier,
    title: t.title,
    scope: t.scope,
    workspace_id: t.workspace_id,
    status: t.status,
    priority: t.priority,
    owner: t.owner,
    paused: t.paused,
    effective_paused: t.paused_by_task_id !== null,
    paused_by_task_id: t.paused_by_task_id,
    latest_event_seq: t.latest_event_seq,
  }) as TaskSummaryView;
}

function runShape(r: RunRecord) {
  return {
    id: r.id,
    task_id: r.task_id,
    status: r.status,
    attempt: r.attempt,
    previous_run_id: r.previous_run_id,
    failure_kind: r.failure_kind,
    claimed_by: r.claimed_by,
    session_id: r.session_id,
    claim_token_hash: r.claim_token_hash,
    lease_until: r.lease_until,
    heartbeat_at: r.heartbeat_at,
    coordination_channel_id: r.coordination_channel_id,
    queued_at: r.queued_at,
    claimed_at: r.claimed_at,
    started_at: r.started_at,
    ended_at: r.ended_at,
    error: r.error,
  };
}

export function runView(r: RunRecord): RunView {
  return compact({
    ...runShape(r),
    origin: r.origin,
    idempotency_key: r.idempotency_key,
    network_channel: r.network_channel,
    metadata: r.metadata,
    result: r.result,
  }) as RunView;
}

export function runSummaryView(r: RunRecord, maxAttempts: number): RunSummaryView {
  return compact({ ...runShape(r), max_attempts: maxAttempts }) as RunSummaryView;
}

export function leaseView(r: RunRecord, channel?: CoordinationChannelView): LeaseView {
  return compact({
    run_id: r.id,
    task_id: r.task_id,
    status: r.status,
    session_id: r.session_id,
    claimed_by: r.claimed_by,
    claim_token_hash: r.claim_token_hash,
    heartbeat_at: r.heartbeat_at,
    lease_until: r.lease_until,
    coordination_channel_id: r.coordination_channel_id,
    coordination_channel: channel,
  }) as LeaseView;
}

export function eventView(e: EventRecord): EventView {
  return compact({
    id: e.id,
    task_id: e.task_id,
    run_id: e.run_id,
    event_type: e.type,
    actor: e.actor,
    origin: e.origin,
    payload: e.payload,
    timestamp: e.timestamp,
  }) as EventView;
}

export function timelineView(e: EventRecord, task: TaskRecord, run: RunRecord | undefined): TimelineView {
  return compact({
    sequence: e.seq,
    event_id: e.id,
    event_type: e.type,
    task: summaryView(task),
    run: run ? runSummaryView(run, task.max_attempts) : undefined,
    actor: e.actor,
    origin: e.origin,
    payload: e.payload,
    timestamp: e.timestamp,
  }) as TimelineView;
}

export function dependencyView(d: DependencyRow): DependencyView {
  return {
    task_id: d.task_id,
    depends_on_task_id: d.depends_on_task_id,
    kind: 'blocks',
    created_at: d.created_at,
  };
}

export function dependencyReferenceView(d: DependencyRow, dependsOn: TaskRecord): DependencyReferenceView {
  return { ...dependencyView(d), depends_on: summaryView(dependsOn) };
}

const RUN_RANK: Record<string, number> = { running: 4, starting: 3, claimed: 2, queued: 1 };

/** The open run that best describes the task now: running > starting > claimed > queued. */
export function bestOpenRun(runs: readonly RunRecord[]): RunRecord | undefined {
  let best: RunRecord | undefined;
  for (const run of runs) {
    const rank = RUN_RANK[run.status];
    if (rank === undefined) continue;
    if (
      !best ||
      rank > RUN_RANK[best.status]! ||
      (rank === RUN_RANK[best.status] && runActivity(run) > runActivity(best))
    )
      best = run;
  }
  return best;
}

export function runActivity(r: RunRecord): string {
  return [r.queued_at, r.claimed_at, r.started_at, r.ended_at, r.heartbeat_at].reduce<string>(
    (max, t) => (t && t > max ? t : max),
    '',
  );
}

export function listItemView(
  t: TaskRecord,
  rollup: {
    runs: readonly RunRecord[];
    dependencies: readonly DependencyRow[];
    dependsOn: ReadonlyMap<string, TaskRecord>;
    childCount: number;
  },
): TaskListItemView {
  const { description: _d, metadata: _m, ...base } = taskView(t);
  const active = bestOpenRun(rollup.runs);
  const activity = rollup.runs.reduce(
    (max, r) => {
      const at = runActivity(r);
      return at > max ? at : max;
    },
    t.last_activity_at > t.updated_at ? t.last_activity_at : t.updated_at,
  );
  return compact({
    ...base,
    child_count: rollup.childCount,
    dependency_count: rollup.dependencies.length,
    dependencies: rollup.dependencies.flatMap((d) => {
      const target = rollup.dependsOn.get(d.depends_on_task_id);
      return target ? [dependencyReferenceView(d, target)] : [];
    }),
    active_run: active ? runSummaryView(active, t.max_attempts) : undefined,
    last_activity_at: activity,
  }) as TaskListItemView;
}
