// How a session's agent is launched: the environment it inherits (never the operator's secrets; its
// own identity and token), where it runs and logs, and for ACP agents the client side of the protocol
// confined to what its workspace and lineage allow. The runner registry turns this into a runner.
import { join } from 'node:path';
import type { McpServer } from '@agentclientprotocol/sdk';
import type { McpServerConfig } from '../agents/definition.ts';
import type { SessionSettings } from '../settings/settings.ts';
import type { SessionPlan } from './plan.ts';
import type { RunnerEventSink, RunnerRequest } from './runner.ts';
import type { SessionRecord } from './types.ts';

export interface LaunchContext {
  /** The daemon's URL, for the agent to call back. */
  apiUrl: string;
  home: string;
  /** `$AGH_HOME` with links resolved, so an agent cannot reach it under another name. */
  realHome: string | undefined;
  /** The environment agents inherit, minus every AGH_* variable. */
  baseEnv: NodeJS.ProcessEnv;
  settings: Pick<SessionSettings, 'stopGraceMs' | 'startTimeoutMs'>;
  onEvent: RunnerEventSink;
}

export function runnerRequest(
  record: SessionRecord,
  plan: SessionPlan,
  token: string,
  ctx: LaunchContext,
): RunnerRequest {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.baseEnv)) {
    // The operator's token and database URL must never reach an agent.
    if (v !== undefined && !k.startsWith('AGH_')) env[k] = v;
  }
  Object.assign(env, {
    AGH_SESSION_ID: record.id,
    AGH_SESSION_TOKEN: token,
    AGH_AGENT: record.agent_name,
    AGH_AGENT_NAME: record.agent_name,
    AGH_WORKSPACE_ID: record.workspace_id,
    AGH_API_URL: ctx.apiUrl,
  });
  const launch = {
    command: plan.argv,
    cwd: plan.workspace.root_dir,
    env,
    logDir: join(ctx.home, 'sessions', record.id),
    graceMs: ctx.settings.stopGraceMs,
  };
  if (plan.runner === 'process') return { kind: 'process', launch };
  const policy = record.lineage.permission_policy;
  const spawned = record.lineage.parent_session_id !== undefined;
  // A spawned child gets only the MCP servers its parent granted.
  const servers = (plan.agent.definition.mcp_servers ?? []).filter(
    (s) => !spawned || policy.mcp_servers.includes(s.name),
  );
  return {
    kind: 'acp',
    launch,
    acp: {
      additionalDirectories: [...plan.workspace.add_dirs],
      mcpServers: servers.map(toAcpServer),
      permissionMode: record.permission_mode,
      deniedDirs: [ctx.home, ctx.realHome].filter((d): d is string => d !== undefined),
      fileRoots: spawned ? policy.workspace_paths : [plan.workspace.root_dir, ...plan.workspace.add_dirs],
      startTimeoutMs: ctx.settings.startTimeoutMs,
      onEvent: ctx.onEvent,
    },
  };
}

function toAcpServer(s: McpServerConfig): McpServer {
  if (s.transport === 'http' || s.transport === 'sse') {
    return { type: s.transport, name: s.name, url: s.url ?? '', headers: [] };
  }
  return {
    name: s.name,
    command: s.command ?? '',
    args: s.args ?? [],
    env: Object.entries(s.env ?? {}).map(([name, value]) => ({ name, value })),
  };
}
