// Inspection reports: what a task or run is doing, what looks wrong with it,
// and what to do next. Read only; every finding names its evidence.
import type { SessionRecord } from '../sessions/types.ts';
import { AppError } from '../lib/errors.ts';
import type { TaskKernel } from './kernel.ts';
import type { TaskReader } from './reader.ts';
import type { RunRecord, TaskRecord } from './records.ts';
import { truncatedHash } from './run-ops.ts';
import { isActiveRun, TERMINAL_TASK_STATUSES } from './types.ts';
import { bestOpenRun } from './views.ts';

const STUCK_AFTER_MS = 120_000;
const STRANDED_AFTER_MS = 5 * 60_000;

export interface InspectSessions {
  get(id: string): Promise<SessionRecord | undefined>;
  /** Active sessions that could take work of this workspace (any, for a global task). */
  countActive(workspaceId: string | null): Promise<number>;
}

interface Finding {
  code: string;
  title: string;
  message: string;
  suggested_command?: string;
}

export class Inspector {
  readonly #kernel: TaskKernel;
  readonly #reader: TaskReader;
  readonly #sessions: InspectSessions;

  constructor(kernel: TaskKernel, reader: TaskReader, sessions: InspectSessions) {
    this.#kernel = kernel;
    this.#reader = reader;
    this.#sessions = sessions;
  }

  async task(id: string) {
    const task = await this.#reader.task(id);
    const runs = await this.#kernel.read.runs.ofTask(id);
    const current =
      (task.current_run_id ? runs.find((r) => r.id === task.current_run_id) : undefined) ??
      bestOpenRun(runs) ??
      [...runs].sort((a, b) => b.attempt - a.attempt)[0];
    return this.#report('task', task, runs, current);
  }

  async run(id: string) {
    const run = await this.#kernel.read.runs.get(id);
    if (!run) throw new AppError('run_not_found', `task run "${id}" not found`);
    const task = await this.#reader.task(run.task_id);
    return this.#report('run', task, await this.#kernel.read.runs.ofTask(task.id), run);
  }

  async #report(target: 'task' | 'run', task: TaskRecord, runs: RunRecord[], current: RunRecord | undefined) {
    const now = this.#kernel.clock.now();
    const asOf = now.toISOString();
    const scheduler = await this.#kernel.read.scheduler.get();
    const session = current?.session_id ? await this.#sessions.get(current.session_id) : undefined;
    const findings: Finding[] = [];
    if (current) {
      const heartbeat = current.heartbeat_at ?? current.claimed_at;
      if (
        current.status === 'claimed' &&
        heartbeat &&
        now.getTime() - Date.parse(heartbeat) > STUCK_AFTER_MS
      ) {
        findings.push({
          code: 'task_run_stuck',
          title: 'Run looks stuck',
          message: `no heartbeat for ${Math.round((now.getTime() - Date.parse(heartbeat)) / 1000)}s`,
          suggested_command: `agh run release ${current.id}`,
        });
      }
      if (current.status === 'claimed' && current.lease_until && current.lease_until < asOf) {
        findings.push({
          code: 'task_run_stale_lease',
          title: 'Lease expired',
          message: `the lease ended at ${current.lease_until}; the sweeper will requeue the run`,
        });
      }
      if (
        current.claim_token_hash &&
        isActiveRun(current.status) &&
        (!session || session.state === 'stopped' || session.failure !== undefined)
      ) {
        findings.push({
          code: 'task_run_orphan',
          title: 'Run has no live session',
          message: `session ${current.session_id ?? '(none)'} is ${session?.state ?? 'missing'}`,
          suggested_command: `agh run release ${current.id}`,
        });
      }
      if (
        current.status === 'failed' &&
        !runs.some((r) => r.attempt > current.attempt && r.status !== 'canceled')
      ) {
        findings.push({
          code: 'task_run_crashed',
          title: 'Run failed',
          message: current.error ?? 'the run failed',
          suggested_command: `agh run retry ${current.id}`,
        });
      }
      if (
        current.status === 'queued' &&
        !scheduler.paused &&
        now.getTime() - Date.parse(current.queued_at) >= STRANDED_AFTER_MS &&
        (await this.#sessions.countActive(task.workspace_id)) === 0
      ) {
        findings.push({
          code: 'task_run_stranded',
          title: 'No session can take the run',
          message: 'queued for 5 minutes or more with no active session in its scope',
          suggested_command: 'agh session new',
        });
      }
    }
    const [item] = await this.#reader.listItems([task]);
    const events = await this.#kernel.read.events.newestOfTask(task.id, 10);
    return {
      target,
      as_of: asOf,
      task: item!,
      ...(current && { current_run: inspectionRun(current, now) }),
      recent_runs: [...runs]
        .sort((a, b) => b.attempt - a.attempt)
        .slice(0, 5)
        .map((r) => inspectionRun(r, now)),
      recent_events: events.map((e) => ({
        id: e.id,
        type: e.type,
        timestamp: e.timestamp,
        task_id: e.task_id,
        ...(e.run_id && { run_id: e.run_id }),
        ...(typeof e.payload.session_id === 'string' && { session_id: e.payload.session_id }),
        ...(typeof e.payload.status === 'string' && { outcome: e.payload.status }),
      })),
      ...(session && {
        bound_session: {
          session_id: session.id,
          agent_name: session.agent_name,
          provider_name: session.provider,
          workspace_id: session.workspace_id,
          state: session.state,
          ...(session.stop_reason && { stop_reason: session.stop_reason }),
          ...(session.failure && { failure_kind: session.failure.kind }),
          started_at: session.created_at,
          ...(session.last_activity_at && { last_activity_at: session.last_activity_at }),
        },
      }),
      scheduler: {
        paused: scheduler.paused,
        ...(scheduler.paused_at && { paused_at: scheduler.paused_at }),
        ...(scheduler.paused_by && { paused_by: scheduler.paused_by }),
        ...(scheduler.paused_reason && { reason: scheduler.paused_reason }),
        ...(scheduler.updated_at && { updated_at: scheduler.updated_at }),
      },
      diagnostics: findings.map((f, i) => ({
        id: `${target}-${current?.id ?? task.id}-${i + 1}`,
        code: f.code,
        severity: f.code === 'task_run_crashed' ? 'error' : 'warning',
        category: 'task',
        title: f.title,
        message: f.message,
        data_freshness: 'live',
        ...(f.suggested_command && { suggested_command: f.suggested_command }),
      })),
      next_action: nextAction(task, current, findings, scheduler.paused),
    };
  }
}

function nextAction(
  task: TaskRecord,
  current: RunRecord | undefined,
  findings: Finding[],
  paused: boolean,
): string {
  const codes = new Set(findings.map((f) => f.code));
  if (
    ['task_run_stuck', 'task_run_stale_lease', 'task_run_orphan', 'task_run_crashed'].some((c) =>
      codes.has(c),
    )
  ) {
    return 'recovery_required';
  }
  if (!current) return TERMINAL_TASK_STATUSES.has(task.status) ? 'terminal' : 'enqueue_run';
  if (current.status === 'queued') {
    if (codes.has('task_run_stranded')) return 'stranded';
    return paused ? 'waiting_for_session' : 'claim_available';
  }
  if (current.status === 'needs_attention') return 'recovery_required';
  if (isActiveRun(current.status)) return 'running';
  return 'terminal';
}

function inspectionRun(r: RunRecord, now: Date) {
  const heartbeatAge = r.heartbeat_at
    ? Math.max(0, Math.floor((now.getTime() - Date.parse(r.heartbeat_at)) / 1000))
    : null;
  const failureKind = r.failure_kind ?? (r.status === 'failed' ? 'error' : undefined);
  return {
    run_id: r.id,
    task_id: r.task_id,
    status: r.status,
    attempt: r.attempt,
    retries: r.attempt - 1,
    ...(r.previous_run_id && { previous_run_id: r.previous_run_id }),
    ...(r.session_id && { bound_session_id: r.session_id }),
    ...(r.claim_token_hash && { claim_token_hash_truncated: truncatedHash(r.claim_token_hash) }),
    queued_at: r.queued_at,
    ...(r.started_at && { started_at: r.started_at }),
    ...(r.heartbeat_at && { heartbeat_at: r.heartbeat_at, heartbeat_age_seconds: heartbeatAge }),
    ...(r.lease_until && { lease_until: r.lease_until }),
    ...(r.ended_at && { ended_at: r.ended_at }),
    ...(failureKind && { failure_kind: failureKind }),
    ...(r.error && { last_error_summary: r.error.length > 160 ? `${r.error.slice(0, 157)}...` : r.error }),
  };
}
