// How the task and scheduler commands print tasks, runs and events, and the option parsers they
// share.
import { InvalidArgumentError } from 'commander';
import {
  OWNER_KINDS,
  type OwnerKind,
  type OwnerRef,
  TASK_PRIORITIES,
  type Task,
  type TaskEvent,
  type TaskListItem,
  type TaskPriority,
  type TaskRun,
  type TaskRunSummary,
  type TaskTimelineEntry,
  type TaskTree,
  type TaskTreeNode,
} from '../client/tasks.ts';
import { isOpenRun, PRIORITY_WEIGHT, TERMINAL_TASK_STATUSES } from '../contract/vocabulary.ts';
import { printFields, printTable } from './output.ts';

export const TERMINAL_STATUSES: ReadonlySet<string> = TERMINAL_TASK_STATUSES;

// ---------------------------------------------------------------------------------------------
// Option parsers (commander turns an InvalidArgumentError into a usage error: exit 2)
// ---------------------------------------------------------------------------------------------

export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number (0 or more)');
  return Number(value);
}

export function positiveNumber(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) === 0)
    throw new InvalidArgumentError('expected a whole number above 0');
  return Number(value);
}

/** `kind:ref`, e.g. `pool:reviewer` or `human:alice`; with `kindOnly`, a bare kind is fine too. */
export function ownerRef(value: string, kindOnly = false): { kind: OwnerKind; ref?: string } {
  const colon = value.indexOf(':');
  const kind = (colon === -1 ? value : value.slice(0, colon)) as OwnerKind;
  const ref = colon === -1 ? undefined : value.slice(colon + 1);
  if (!OWNER_KINDS.includes(kind)) {
    throw new InvalidArgumentError(`expected kind:ref with a kind among ${OWNER_KINDS.join(', ')}`);
  }
  if ((ref === undefined && !kindOnly) || ref === '') {
    throw new InvalidArgumentError(`expected kind:ref, e.g. pool:<agent name>`);
  }
  return { kind, ...(ref !== undefined && { ref }) };
}

export function jsonValue(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new InvalidArgumentError('expected JSON, e.g. \'{"key":"value"}\'');
  }
}

/** A priority name (low 10, medium 20, high 30, urgent 40) or its weight. */
export function priorityWeight(value: string): number {
  if (TASK_PRIORITIES.includes(value as TaskPriority)) return PRIORITY_WEIGHT[value as TaskPriority];
  if (/^\d+$/.test(value)) return Number(value);
  throw new InvalidArgumentError(`expected ${TASK_PRIORITIES.join(', ')} or a weight (10 to 40)`);
}

// ---------------------------------------------------------------------------------------------
// Tasks and runs
// ---------------------------------------------------------------------------------------------

export function isTerminal(task: { status: string }, runs: readonly { status: string }[] = []): boolean {
  return TERMINAL_STATUSES.has(task.status) && !runs.some((r) => isOpenRun(r.status));
}

export function formatOwner(owner: OwnerRef | null | undefined): string | undefined {
  return owner ? `${owner.kind}:${owner.ref}` : undefined;
}

export function statusWithPause(t: { status: string; paused?: boolean; effective_paused?: boolean }): string {
  if (t.paused) return `${t.status} (paused)`;
  return t.effective_paused ? `${t.status} (held by a paused ancestor)` : t.status;
}

/** The one-line report of a write: "created task task-… "title" (ready)". */
export function taskLine(
  verb: string,
  t: Pick<Task, 'id' | 'title' | 'status' | 'paused' | 'effective_paused'>,
): string {
  return `${verb} task ${t.id} ${JSON.stringify(t.title)} (${statusWithPause(t)})\n`;
}

export function runLine(run: Pick<TaskRun, 'id' | 'attempt' | 'status'>): string {
  return `run ${run.id} (attempt ${run.attempt}, ${run.status})\n`;
}

export function printTaskFields(t: Task): void {
  const fields: [string, string | number | undefined][] = [
    ['id', t.id],
    ['identifier', t.identifier],
    ['title', t.title],
    ['status', statusWithPause(t)],
    ['priority', t.priority],
    ['scope', t.scope === 'workspace' ? `workspace ${t.workspace_id ?? '?'}` : t.scope],
    ['owner', formatOwner(t.owner)],
  ];
  if (t.approval_policy === 'manual') fields.push(['approval', `manual (${t.approval_state ?? '?'})`]);
  if (t.paused)
    fields.push(['paused', [t.paused_reason, t.paused_by && `by ${t.paused_by}`].filter(Boolean).join(' ')]);
  fields.push(['max attempts', t.max_attempts]);
  if (t.parent_task_id) fields.push(['parent', t.parent_task_id]);
  if (t.network_channel) fields.push(['channel', t.network_channel]);
  if (t.auto_enqueue_on_ready) fields.push(['auto enqueue', 'yes']);
  if (t.current_run_id) fields.push(['current run', t.current_run_id]);
  fields.push(['created', localDateTime(t.created_at)], ['updated', localDateTime(t.updated_at)]);
  if (t.closed_at) fields.push(['closed', localDateTime(t.closed_at)]);
  if (t.metadata !== undefined && t.metadata !== null) fields.push(['metadata', JSON.stringify(t.metadata)]);
  printFields(fields);
  if (t.description) process.stdout.write(`\n${t.description.replace(/\n?$/, '\n')}`);
}

export function printTaskTable(tasks: readonly TaskListItem[]): void {
  printTable(
    ['ID', 'TITLE', 'STATUS', 'PRIORITY', 'RUN', 'ATTEMPT/MAX', 'UPDATED'],
    tasks.map((t) => [
      t.id,
      t.title,
      statusWithPause(t),
      t.priority,
      t.active_run?.status,
      `${t.active_run?.attempt ?? '-'}/${t.max_attempts ?? '-'}`,
      localDateTime(t.updated_at),
    ]),
  );
}

/** Newest first: the highest attempt, then the latest queued. */
export function newestFirst<R extends { attempt: number; queued_at: string }>(runs: readonly R[]): R[] {
  return [...runs].sort(
    (a, b) => b.attempt - a.attempt || (a.queued_at < b.queued_at ? 1 : a.queued_at > b.queued_at ? -1 : 0),
  );
}

export function printRunTable(runs: readonly TaskRun[]): void {
  printTable(
    ['RUN', 'STATUS', 'ATTEMPT', 'SESSION', 'QUEUED', 'ENDED', 'ERROR'],
    newestFirst(runs).map((r) => [
      r.id,
      r.status,
      r.attempt,
      r.session_id,
      localDateTime(r.queued_at),
      r.ended_at ? localDateTime(r.ended_at) : undefined,
      r.error,
    ]),
  );
}

/** The tree, one task a line, children indented under their parent. */
export function printTree(tree: TaskTree): void {
  const children = new Map<string, TaskTreeNode[]>();
  for (const node of tree.descendants ?? []) {
    const parent = node.parent_task_id ?? '';
    children.set(parent, [...(children.get(parent) ?? []), node]);
  }
  const visit = (node: TaskTreeNode, indent: string) => {
    const run = node.active_run ? `, run ${describeRun(node.active_run)}` : '';
    const status = statusWithPause(node.task);
    process.stdout.write(`${indent}${node.task.id}  [${status}${run}]  ${node.task.title}\n`);
    for (const child of children.get(node.task.id) ?? []) visit(child, `${indent}  `);
  };
  visit(tree.root, '');
}

function describeRun(run: TaskRunSummary): string {
  return `${run.status} ${run.attempt}/${run.max_attempts}`;
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/**
 * One timeline line: sequence, time, type, run and a summary of the payload. Events of another
 * task (the stream also carries the subtree) name that task first.
 */
export function timelineLine(entry: TaskTimelineEntry, taskId?: string): string {
  const other = taskId !== undefined && entry.task.id !== taskId ? `${entry.task.id}: ` : '';
  return [
    String(entry.sequence).padStart(6),
    localDateTime(entry.timestamp),
    entry.event_type.padEnd(24),
    (entry.run?.id ?? '-').padEnd(20),
    `${other}${summarizePayload(entry.event_type, entry.payload)}`,
  ]
    .join('  ')
    .trimEnd();
}

/** The line of a stored event of `agh task show` (those carry no sequence). */
export function eventLine(event: TaskEvent): string {
  return [
    localDateTime(event.timestamp),
    event.event_type.padEnd(24),
    (event.run_id ?? '-').padEnd(20),
    summarizePayload(event.event_type, event.payload),
  ]
    .join('  ')
    .trimEnd();
}

/**
 * The task's status right after the event, when the event says: run events carry it as
 * `task_status`, task events as `status`.
 */
export function taskStatusAfter(
  entry: Pick<TaskTimelineEntry, 'event_type' | 'payload'>,
): string | undefined {
  const p = asRecord(entry.payload);
  if (typeof p.task_status === 'string') return p.task_status;
  if (!entry.event_type.startsWith('task.run_') && typeof p.status === 'string') return p.status;
  return undefined;
}

export function summarizePayload(type: string, payload: unknown): string {
  const p = asRecord(payload);
  const parts: string[] = [];
  const transition = (prev: unknown, now: unknown) =>
    typeof prev === 'string' && prev !== now ? `${prev} → ${str(now)}` : str(now);
  if (type.startsWith('task.run_')) {
    if (p.status !== undefined) parts.push(`run ${transition(p.previous_status, p.status)}`);
    if (p.task_status !== undefined) parts.push(`task ${str(p.task_status)}`);
  } else if (p.status !== undefined) {
    parts.push(`task ${transition(p.previous_status, p.status)}`);
  }
  if (p.approval_state !== undefined) parts.push(`approval ${str(p.approval_state)}`);
  if (p.owner) parts.push(`owner ${formatOwner(p.owner as OwnerRef)}`);
  if (p.child_task_id !== undefined) parts.push(`child ${str(p.child_task_id)}`);
  if (p.depends_on_task_id !== undefined) parts.push(`on ${str(p.depends_on_task_id)}`);
  if (Array.isArray(p.changed_fields)) parts.push(`changed ${p.changed_fields.join(', ')}`);
  if (p.propagated_from_task_id) parts.push(`from ${str(p.propagated_from_task_id)}`);
  if (p.lease_until) parts.push(`lease until ${localDateTime(String(p.lease_until))}`);
  if (p.reason !== undefined && p.reason !== null) parts.push(`reason ${short(p.reason)}`);
  if (p.error !== undefined && p.error !== null) parts.push(`error ${short(p.error)}`);
  if (p.result !== undefined && p.result !== null) parts.push(`result ${short(p.result)}`);
  return parts.join(', ');
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A value as JSON, cut to a readable length. */
function short(value: unknown, max = 80): string {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function localDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
