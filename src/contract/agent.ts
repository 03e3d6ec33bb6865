// Wire shapes of the Agent API (contract tag Agent) that are built so far.
import { z } from 'zod';
import {
  PermissionPolicySchema,
  SessionLineageSchema,
  SessionSchema,
  SessionStateSchema,
  SessionTypeSchema,
} from './sessions.ts';
import { TaskContextBundleSchema, TaskLeaseSchema, TaskSummarySchema } from './tasks.ts';

const AgentSelfSchema = z
  .object({
    session_id: z.string(),
    agent_name: z.string(),
    provider: z.string(),
    model: z.string().optional(),
  })
  .meta({ id: 'AgentSelf' });

const WorkspaceRefSchema = z
  .object({ id: z.string().optional(), name: z.string().optional(), root_dir: z.string().optional() })
  .meta({ id: 'WorkspaceRef' });

const AgentSessionSummarySchema = z
  .object({
    id: z.string(),
    name: z.string().optional(),
    type: SessionTypeSchema.optional(),
    state: SessionStateSchema,
    channel: z.string().optional(),
    lineage: SessionLineageSchema.nullable().optional(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'AgentSessionSummary' });

const AgentCapabilitySchema = z
  .object({ id: z.string(), source: z.string().optional(), summary: z.string().optional() })
  .meta({ id: 'AgentCapability' });

const AgentLimitsSchema = z
  .object({
    max_children: z.number().int(),
    max_spawn_depth: z.number().int(),
    max_active_task_leases: z.number().int(),
    context_section_limit: z.number().int(),
  })
  .meta({ id: 'AgentLimits' });

export const CoordinatorConfigSchema = z
  .object({
    enabled: z.boolean(),
    agent_name: z.string(),
    provider: z.string().optional(),
    model: z.string().optional(),
    default_ttl_seconds: z.number().int(),
    max_children: z.number().int(),
    max_active_sessions_per_workspace: z.number().int(),
    source: z.enum(['workspace', 'global', 'default']),
    workspace_id: z.string().optional(),
  })
  .meta({ id: 'CoordinatorConfig' });

const SectionSchema = z
  .object({ limit: z.number().int(), returned: z.number().int(), truncated: z.boolean() })
  .meta({ id: 'ContextSectionInfo' });

export const AgentMeSchema = z
  .object({
    self: AgentSelfSchema,
    workspace: WorkspaceRefSchema,
    session: AgentSessionSummarySchema,
    capabilities: z.array(AgentCapabilitySchema),
    channels: z.array(z.never()).describe('Coordination channels arrive with the network.'),
    active_task_leases: z.array(TaskLeaseSchema),
    coordinator: CoordinatorConfigSchema,
    limits: AgentLimitsSchema,
  })
  .meta({ id: 'AgentMe' });

const AgentSoulSummarySchema = z
  .object({
    enabled: z.boolean(),
    present: z.boolean(),
    active: z.boolean(),
    valid: z.boolean(),
    validation_status: z.enum(['missing', 'inactive', 'valid', 'invalid']).optional(),
    digest: z.string().optional(),
    config_digest: z.string().optional(),
    source_path: z.string().optional(),
    role: z.string().optional(),
    tone: z.array(z.string()),
    principles: z.array(z.string()),
    truncated: z.boolean().optional(),
    max_bytes: z.number().int().optional(),
    max_body_bytes: z.number().int().optional(),
  })
  .meta({ id: 'AgentSoulSummary' });

export const AgentContextSchema = z
  .object({
    self: AgentSelfSchema,
    workspace: WorkspaceRefSchema,
    session: AgentSessionSummarySchema,
    soul: AgentSoulSummarySchema,
    task: z.object({
      available: z.boolean(),
      task: TaskSummarySchema.nullable(),
      lease: TaskLeaseSchema.nullable(),
      bundle: TaskContextBundleSchema.nullable(),
    }),
    coordination_channel: z.object({ available: z.boolean(), channel: z.null() }),
    inbox_summary: z.object({
      items: z.array(z.never()),
      unread_count: z.number().int(),
      section: SectionSchema,
    }),
    peer_roster: z.object({ peers: z.array(z.never()), section: SectionSchema }),
    capabilities: z.object({ capabilities: z.array(AgentCapabilitySchema), section: SectionSchema }),
    limits: AgentLimitsSchema,
    provenance: z.object({ generated_at: z.iso.datetime(), source: z.string() }),
  })
  .meta({ id: 'AgentContext' });

const SoulDiagnosticSchema = z
  .object({
    code: z.string(),
    severity: z.enum(['info', 'warning', 'error']),
    message: z.string(),
    field: z.string().optional(),
    section: z.string().optional(),
    source_path: z.string().optional(),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
    owner_surface: z.string().optional(),
  })
  .meta({ id: 'SoulDiagnostic' });

export const AgentSoulSchema = z
  .object({
    agent_name: z.string().optional(),
    enabled: z.boolean(),
    present: z.boolean(),
    active: z.boolean(),
    valid: z.boolean(),
    validation_status: z.enum(['missing', 'inactive', 'valid', 'invalid']),
    digest: z.string().optional(),
    source_path: z.string().optional(),
    frontmatter: z.object({
      version: z.string().optional(),
      role: z.string().optional(),
      tone: z.array(z.string()).optional(),
      principles: z.array(z.string()).optional(),
      constraints: z.array(z.string()).optional(),
      collaboration: z.array(z.string()).optional(),
      memory_policy: z.array(z.string()).optional(),
      tags: z.array(z.string()).optional(),
    }),
    body: z.string().optional(),
    truncated: z.boolean().optional(),
    limits: z.object({
      max_bytes: z.number().int().optional(),
      max_body_bytes: z.number().int(),
      context_projection_bytes: z.number().int().optional(),
    }),
    config_provenance: z.object({
      digest: z.string(),
      source: z.string().optional(),
      enabled: z.boolean(),
      max_body_bytes: z.number().int(),
      context_projection_bytes: z.number().int(),
    }),
    diagnostics: z.array(SoulDiagnosticSchema).optional(),
  })
  .meta({ id: 'AgentSoul' });

export const ValidateSoulRequestSchema = z
  .strictObject({
    workspace_id: z.string().optional(),
    agent_name: z.string().optional(),
    body: z.string().optional(),
  })
  .meta({ id: 'ValidateSoulRequest' });

export const SpawnResultSchema = z
  .object({ session: SessionSchema, lineage: SessionLineageSchema, permissions: PermissionPolicySchema })
  .meta({ id: 'SpawnResult' });

export const CoordinatorConfigQuerySchema = z.strictObject({
  workspace: z
    .string()
    .optional()
    .describe('Workspace (id, name, stable id or path); defaults to the caller’s.'),
});
