// Wire shapes of the Workspaces API, written to match contract/openapi.json.
import { z } from 'zod';
import { SessionSchema } from './sessions.ts';

export const WorkspaceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    root_dir: z.string(),
    add_dirs: z.array(z.string()),
    default_agent: z.string().optional(),
    sandbox_ref: z.string().optional(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'Workspace', description: 'A registered project root and its defaults.' });

export const WorkspaceEnvelopeSchema = z.object({ workspace: WorkspaceSchema });

export const CreateWorkspaceRequestSchema = z
  .strictObject({
    root_dir: z.string().describe('Absolute path of the workspace root; symlinks are resolved.'),
    name: z.string().optional().describe('Defaults to the root directory name, made unique with -2, -3, …'),
    add_dirs: z.array(z.string()).optional().describe('Extra absolute directories the workspace spans.'),
    default_agent: z.string().optional(),
    sandbox_ref: z.string().optional(),
  })
  .meta({ id: 'CreateWorkspaceRequest' });

export const UpdateWorkspaceRequestSchema = z
  .strictObject({
    name: z.string().nullable().optional(),
    add_dirs: z.array(z.string()).nullable().optional(),
    default_agent: z.string().nullable().optional(),
    sandbox_ref: z.string().nullable().optional(),
  })
  .meta({
    id: 'UpdateWorkspaceRequest',
    description:
      'Absent or null keeps the current value; "" clears default_agent or sandbox_ref; [] clears add_dirs.',
  });

export const ResolveWorkspaceRequestSchema = z
  .strictObject({ path: z.string().describe('Absolute path of a directory.') })
  .meta({ id: 'ResolveWorkspaceRequest' });

export const WorkspaceRefParamsSchema = z.object({
  id: z
    .string()
    .describe('Workspace id (ws_…), stable id (ULID), name, or an absolute path (percent-encoded).'),
});

const AgentDefinitionDiagnosticSchema = z.object({
  error_kind: z.string(),
  message: z.string(),
  path: z.string(),
});

const McpServerConfigSchema = z.object({
  name: z.string(),
  command: z.string().optional(),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  transport: z.string().optional(),
  url: z.string().optional(),
});

const WorkspaceAgentDefinitionSchema = z
  .object({
    name: z.string(),
    provider: z.string(),
    prompt: z.string(),
    command: z.string().optional(),
    model: z.string().optional(),
    tools: z.array(z.string()).optional(),
    toolsets: z.array(z.string()).optional(),
    deny_tools: z.array(z.string()).optional(),
    permissions: z.string().optional(),
    mcp_servers: z.array(McpServerConfigSchema).optional(),
    diagnostics: z.array(AgentDefinitionDiagnosticSchema).optional(),
  })
  .meta({ id: 'WorkspaceAgentDefinition' });

const ProviderInfoSchema = z
  .object({
    name: z.string(),
    display_name: z.string().optional(),
    harness: z.string().optional(),
    runtime_provider: z.string().optional(),
    auth_mode: z.string().optional(),
    env_policy: z.string().optional(),
    home_policy: z.string().optional(),
  })
  .meta({ id: 'ProviderInfo' });

const SkillInfoSchema = z
  .object({ name: z.string(), dir: z.string(), source: z.string() })
  .meta({ id: 'SkillInfo' });

export const WorkspaceDetailSchema = z
  .object({
    workspace: WorkspaceSchema,
    sessions: z.array(SessionSchema),
    agents: z.array(WorkspaceAgentDefinitionSchema),
    skills: z.array(SkillInfoSchema),
    providers: z.array(ProviderInfoSchema),
  })
  .meta({ id: 'WorkspaceDetail' });
