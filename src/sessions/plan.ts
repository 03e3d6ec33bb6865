// Deciding what a new session will run, before anything is started: which workspace, which agent
// definition, which provider and command. Every problem here is the caller's to fix, so each one
// is a 4xx that names the file or setting at fault.
import { isAbsolute } from 'node:path';
import type { AgentCatalog, ResolvedAgent } from '../agents/catalog.ts';
import type { Provider, ProviderCatalog } from '../agents/providers.ts';
import { AppError } from '../lib/errors.ts';
import { assertStorableText } from '../lib/text.ts';
import { splitCommand } from '../lib/command-line.ts';
import type { Workspace, WorkspaceService } from '../workspaces/index.ts';
import type { RunnerKind } from './types.ts';

export interface CreateSessionInput {
  agent_name?: string;
  workspace?: string;
  workspace_path?: string;
  name?: string;
  provider?: string;
  model?: string;
}

export interface SessionPlan {
  workspace: Workspace;
  agent: ResolvedAgent;
  provider: Provider;
  model?: string;
  runner: RunnerKind;
  argv: string[];
}

export interface PlanDeps {
  workspaces: WorkspaceService;
  agents: AgentCatalog;
  providers: ProviderCatalog;
  defaultAgent: string;
}

const MAX_NAME_LENGTH = 128;

export async function planSession(deps: PlanDeps, input: CreateSessionInput): Promise<SessionPlan> {
  for (const [field, value] of Object.entries(input)) {
    if (typeof value === 'string') assertStorableText(value, field);
  }
  if (input.name !== undefined && (input.name.trim() === '' || input.name.length > MAX_NAME_LENGTH)) {
    throw new AppError('invalid_request', `name must be 1 to ${MAX_NAME_LENGTH} characters`);
  }
  if (input.model !== undefined && input.provider === undefined) {
    throw new AppError(
      'invalid_request',
      'model needs provider: a model only means something for a given provider',
    );
  }
  const { workspace: found, register } = await resolveWorkspace(deps.workspaces, input);
  let workspace = found;
  const agentName = input.agent_name ?? workspace.default_agent ?? deps.defaultAgent;
  const agent = await deps.agents.find(workspace, agentName);
  if (!agent) {
    throw new AppError(
      'agent_not_available',
      `agent "${agentName}" is not available in workspace ${workspace.name}: no ${agentName}/AGENT.md under ${deps.agents
        .roots(workspace)
        .map((r) => r.dir)
        .join(', ')}`,
      { suggestedCommand: `agh workspace show ${workspace.id}` },
    );
  }
  const problems = agent.definition.diagnostics ?? [];
  if (problems.length > 0) {
    throw new AppError(
      'agent_definition_invalid',
      `agent "${agentName}" cannot run: ${problems.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
      { evidence: { diagnostics: problems } },
    );
  }
  const providerName = input.provider ?? agent.definition.provider;
  const provider = deps.providers.get(providerName);
  if (!provider) {
    throw new AppError(
      'provider_unknown',
      `provider "${providerName}" is not known (known: ${deps.providers.names().join(', ')}); declare it under [providers.${providerName}] in config.toml`,
    );
  }
  const command = agent.definition.command ?? provider.command;
  const where = agent.dir ? `${agent.dir}/AGENT.md` : `the built-in agent ${agentName}`;
  if (command === undefined) {
    throw new AppError(
      'agent_command_invalid',
      `provider "${provider.name}" has no default command, so ${where} must set "command"`,
    );
  }
  const split = splitCommand(command);
  if ('error' in split) {
    throw new AppError(
      'agent_command_invalid',
      `${agent.definition.command !== undefined ? where : `provider ${provider.name}`}: ${split.error}`,
    );
  }
  // Registered only now that the request is known to be good: a refused request writes nothing.
  if (register) workspace = await deps.workspaces.resolvePath(register);
  const plan: SessionPlan = { workspace, agent, provider, runner: provider.harness, argv: split.argv };
  const model = input.model ?? agent.definition.model ?? provider.model;
  if (model !== undefined) plan.model = model;
  return plan;
}

async function resolveWorkspace(
  workspaces: WorkspaceService,
  input: CreateSessionInput,
): Promise<{ workspace: Workspace; register?: string }> {
  const hasRef = input.workspace !== undefined && input.workspace !== '';
  const hasPath = input.workspace_path !== undefined && input.workspace_path !== '';
  if (hasRef === hasPath) {
    throw new AppError(
      'invalid_request',
      'give exactly one of workspace (id, name or ULID) or workspace_path (absolute)',
    );
  }
  if (hasPath) {
    const path = input.workspace_path as string;
    if (!isAbsolute(path))
      throw new AppError('invalid_request', `workspace_path must be absolute, got "${path}"`);
    const preview = await workspaces.previewPath(path);
    return preview.registered
      ? { workspace: preview.workspace }
      : { workspace: preview.workspace, register: path };
  }
  return { workspace: await workspaces.findPresent(input.workspace as string) };
}
