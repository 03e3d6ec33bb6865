// Wire shapes of sessions, written to match the Session family of contract/openapi.json.
import { z } from 'zod';
import { SESSION_STATES, SESSION_TYPES, STOP_REASONS } from './vocabulary.ts';

export const SessionStateSchema = z.enum(SESSION_STATES).meta({ id: 'SessionState' });
export const SessionTypeSchema = z.enum(SESSION_TYPES).meta({ id: 'SessionType' });

export const PermissionPolicySchema = z
  .object({
    tools: z.array(z.string()),
    skills: z.array(z.string()),
    mcp_servers: z.array(z.string()),
    workspace_paths: z.array(z.string()),
    network_channels: z.array(z.string()),
    sandbox_profiles: z.array(z.string()),
  })
  .meta({ id: 'PermissionPolicy', description: 'Allow-lists that bound what a (child) session may use.' });

export const SpawnBudgetSchema = z
  .object({
    max_children: z.number().int(),
    max_depth: z.number().int(),
    ttl_seconds: z.number().int(),
    max_active_per_workspace: z.number().int().optional(),
  })
  .meta({ id: 'SpawnBudget' });

export const SessionLineageSchema = z
  .object({
    parent_session_id: z.string().optional(),
    root_session_id: z.string().optional(),
    spawn_depth: z.number().int(),
    spawn_role: z.string().optional(),
    ttl_expires_at: z.iso.datetime().nullable().optional(),
    auto_stop_on_parent: z.boolean(),
    spawn_budget: SpawnBudgetSchema,
    permission_policy: PermissionPolicySchema,
  })
  .meta({ id: 'SessionLineage' });

const SessionHealthSchema = z
  .object({
    session_id: z.string(),
    workspace_id: z.string(),
    agent_name: z.string(),
    state: z.enum(['idle', 'prompting', 'stopped', 'detached']),
    health: z.enum(['healthy', 'degraded', 'stale', 'dead', 'unknown']),
    active_prompt: z.boolean(),
    attachable: z.boolean(),
    eligible_for_wake: z.boolean(),
    ineligibility_reason: z
      .enum([
        'session_prompt_active',
        'session_not_attachable',
        'session_unhealthy',
        'session_health_stale',
        'session_health_hung',
        'session_health_dead',
        'session_health_unknown',
      ])
      .optional(),
    last_activity_at: z.iso.datetime().nullable().optional(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'SessionHealth' });

const SessionActivitySchema = z
  .object({
    turn_id: z.string().optional(),
    turn_source: z.string().optional(),
    turn_started_at: z.iso.datetime().nullable().optional(),
    elapsed_ms: z.number().int(),
    elapsed_seconds: z.number().int(),
    idle_seconds: z.number().int(),
    iteration_current: z.number().int(),
    iteration_max: z.number().int(),
    last_activity_at: z.iso.datetime().nullable().optional(),
    last_activity_kind: z.string().optional(),
  })
  .meta({ id: 'SessionActivity' });

export const SessionSchema = z
  .object({
    id: z.string(),
    name: z.string().optional(),
    agent_name: z.string(),
    provider: z.string(),
    model: z.string().optional(),
    type: SessionTypeSchema.optional(),
    state: SessionStateSchema,
    stop_reason: z.enum(STOP_REASONS).optional(),
    stop_detail: z.string().optional(),
    failure: z.object({ kind: z.string(), summary: z.string().optional() }).nullable().optional(),
    workspace_id: z.string().optional(),
    workspace_path: z.string().optional(),
    channel: z.string().optional(),
    attachable: z.boolean(),
    badge: z.string(),
    health: SessionHealthSchema.nullable().optional(),
    activity: SessionActivitySchema.nullable().optional(),
    lineage: SessionLineageSchema.nullable().optional(),
    acp_session_id: z.string().optional(),
    acp_caps: z
      .object({
        supports_load_session: z.boolean(),
        supported_modes: z.array(z.string()).optional(),
        supported_models: z.array(z.string()).optional(),
      })
      .nullable()
      .optional(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'Session', description: 'One supervised agent process in a workspace.' });

export const SessionEnvelopeSchema = z.object({ session: SessionSchema });

export const CreateSessionRequestSchema = z
  .strictObject({
    agent_name: z
      .string()
      .optional()
      .describe('Defaults to the workspace default agent, then [defaults].agent, then general.'),
    workspace: z
      .string()
      .optional()
      .describe('Workspace id, name or stable id; give this or workspace_path.'),
    workspace_path: z
      .string()
      .optional()
      .describe('Absolute path; registers the workspace when it is unknown.'),
    name: z.string().optional(),
    provider: z.string().optional(),
    model: z.string().optional().describe('Needs provider.'),
  })
  .meta({ id: 'CreateSessionRequest' });

export const SessionIdParamsSchema = z.object({ id: z.string().describe('Session id (sess-…).') });

export const PromptSessionRequestSchema = z
  .strictObject({
    text: z.string().min(1).describe('What to tell the agent.'),
    wait: z.boolean().optional().describe('Answer only when the turn ends (200) instead of at once (202).'),
  })
  .meta({ id: 'PromptSessionRequest' });

export const TurnSchema = z
  .object({
    id: z.string(),
    session_id: z.string(),
    state: z.enum(['running', 'completed', 'failed']),
    stop_reason: z.string().optional(),
    text: z.string().optional().describe('The agent’s message for the turn (when waited for).'),
    error: z.string().optional(),
  })
  .meta({ id: 'Turn' });

export const StopSessionRequestSchema = z
  .strictObject({ detail: z.string().max(500).optional().describe('Why, in words; kept as stop_detail.') })
  .meta({ id: 'StopSessionRequest' });

export const ListSessionsQuerySchema = z.strictObject({
  workspace: z.string().optional().describe('Only sessions of this workspace (id, name or stable id).'),
  state: SessionStateSchema.optional(),
});

export const SessionEventsQuerySchema = z.strictObject({
  after: z.coerce.number().int().min(0).optional().describe('Replay events after this sequence number.'),
  follow: z
    .enum(['true', 'false'])
    .optional()
    .describe('false: replay what is stored and end the stream (default true: keep following).'),
});

export type SessionView = z.infer<typeof SessionSchema>;
