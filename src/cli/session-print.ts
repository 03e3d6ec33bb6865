// How agh session prints: one line per session event, the notes of a turn, a session's fields.
import { homedir } from 'node:os';
import type { Session, SessionEvent } from '../client/sessions.ts';
import { printFields } from './output.ts';

/** What `session prompt` says on stderr about an event of the turn (undefined: nothing). */
export function turnNote(event: SessionEvent): string | undefined {
  const d = event.data;
  switch (event.type) {
    case 'tool_call':
    case 'tool_call_update':
      return `[tool] ${describeTool(d)}`;
    case 'permission':
      return `[permission] ${describePermission(d)}`;
    case 'file_read':
    case 'file_write':
      return `[${event.type === 'file_read' ? 'read' : 'write'}] ${describeFile(d)}`;
    case 'plan':
      return `[plan] ${describePlan(d)}`;
    default:
      return undefined;
  }
}

/** One line of `session events`: sequence number, local time, type and a short summary. */
export function formatEventLine(event: SessionEvent): string {
  return `${String(event.seq).padStart(4)}  ${localTime(event.created_at)}  ${event.type.padEnd(16)}  ${summarize(event)}`;
}

export function summarize(event: SessionEvent): string {
  const d = event.data;
  switch (event.type) {
    case 'state':
      return describeState(d);
    case 'turn_started':
      return `${str(d.turn_id)} from ${str(d.source) ?? 'user'}: ${JSON.stringify(str(d.text) ?? '')}`;
    case 'agent_message':
    case 'agent_thought':
      return JSON.stringify(str(d.text) ?? '');
    case 'tool_call':
    case 'tool_call_update':
      return describeTool(d);
    case 'permission':
      return describePermission(d);
    case 'file_read':
    case 'file_write':
      return describeFile(d);
    case 'plan':
      return describePlan(d);
    case 'turn_completed':
      return `${str(d.turn_id)}: ${str(d.stop_reason) ?? 'done'}`;
    case 'turn_failed':
      return `${str(d.turn_id)}: ${str(d.error) ?? 'failed'}`;
    case 'acp_update':
      return str(d.kind) ?? '';
    default:
      return JSON.stringify(d);
  }
}

export function describeState(d: Record<string, unknown>): string {
  switch (d.state) {
    case 'starting':
      return [
        'starting',
        d.agent !== undefined && `agent ${str(d.agent)}`,
        d.runner !== undefined && `(${str(d.runner)})`,
      ]
        .filter(Boolean)
        .join(' ');
    case 'active':
      return typeof d.pid === 'number' ? `active, pid ${d.pid}` : 'active';
    case 'stopped':
      return `stopped: ${describeStop(d)}`;
    default:
      return d.reason !== undefined
        ? `${str(d.state)}: ${str(d.reason)}`
        : (str(d.state) ?? JSON.stringify(d));
  }
}

export function describeStop(d: Record<string, unknown>): string {
  const reason = [str(d.reason), str(d.failure_kind)].filter((x) => x !== undefined).join(', ');
  const detail = str(d.detail);
  return [reason || 'no reason given', detail].filter((x) => x !== undefined).join(' — ');
}

export function describeTool(d: Record<string, unknown>): string {
  const what = str(d.title) ?? str(d.tool_call_id) ?? 'tool call';
  const kind = str(d.kind);
  const status = str(d.status);
  return `${what}${kind !== undefined ? ` (${kind})` : ''}${status !== undefined ? `: ${status}` : ''}`;
}

export function describePermission(d: Record<string, unknown>): string {
  const what = str(d.title) ?? 'a tool call';
  const kind = str(d.tool_kind);
  const mode = str(d.mode);
  return `${what}${kind !== undefined ? ` (${kind})` : ''}: ${str(d.decision) ?? 'decided'}${mode !== undefined ? ` by mode ${mode}` : ''}`;
}

export function describeFile(d: Record<string, unknown>): string {
  const path = str(d.path) ?? '?';
  if (d.refused !== undefined) return `${path} refused: ${str(d.refused)}`;
  return typeof d.bytes === 'number' ? `${path} (${d.bytes} bytes)` : path;
}

export function describePlan(d: Record<string, unknown>): string {
  const entries = Array.isArray(d.entries) ? (d.entries as Array<Record<string, unknown>>) : [];
  const items = entries.map((e) => `[${str(e.status) ?? '?'}] ${str(e.content) ?? ''}`);
  return `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}${items.length > 0 ? `: ${items.join('; ')}` : ''}`;
}

export function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function printSessionFields(s: Session): void {
  const fields: [string, string | number | undefined][] = [
    ['id', s.id],
    ['name', s.name],
    ['agent', s.agent_name],
    ['provider', s.provider],
    ['model', s.model],
    ['state', s.state],
    ['badge', s.badge],
  ];
  if (s.health) fields.push(['health', `${s.health.health} (${s.health.state})`]);
  fields.push([
    'workspace',
    [s.workspace_path, s.workspace_id && `(${s.workspace_id})`].filter(Boolean).join(' '),
  ]);
  if (s.activity?.turn_id) {
    fields.push(['turn', `${s.activity.turn_id}, running for ${s.activity.elapsed_seconds} s`]);
  }
  if (s.lineage?.parent_session_id) fields.push(['parent', s.lineage.parent_session_id]);
  if (s.stop_reason !== undefined || s.state === 'stopped') {
    fields.push(['stop reason', s.stop_reason], ['stop detail', s.stop_detail]);
  }
  if (s.failure) fields.push(['failure', [s.failure.kind, s.failure.summary].filter(Boolean).join(': ')]);
  fields.push(['created', s.created_at], ['updated', s.updated_at]);
  printFields(fields);
}

export function tildePath(path: string): string {
  const home = homedir();
  return path === home || path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

export function localTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function localDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${localTime(iso).slice(0, 8)}`;
}
