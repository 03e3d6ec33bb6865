// Workspace operations (contract tag Workspaces): register, resolve, show, change and unregister
// the directories the daemon works in.
import { z } from 'zod';
import { COMMON_ERRORS, ErrorResponseSchema } from '../contract/common.ts';
import {
  CreateWorkspaceRequestSchema,
  ResolveWorkspaceRequestSchema,
  UpdateWorkspaceRequestSchema,
  WorkspaceDetailSchema,
  WorkspaceEnvelopeSchema,
  WorkspaceRefParamsSchema,
  WorkspaceSchema,
} from '../contract/workspaces.ts';
import { defineOperation, Reply } from './operation.ts';

const tags = ['Workspaces'];
const caller = 'operator';
const E = ErrorResponseSchema;

export const workspaceOperations = [
  defineOperation({
    id: 'listWorkspaces',
    tags,
    summary: 'Every workspace known to the daemon',
    caller,
    responses: { 200: z.object({ workspaces: z.array(WorkspaceSchema) }), ...COMMON_ERRORS },
    handle: async ({ services }) => ({ workspaces: await services.workspaces.list() }),
  }),

  defineOperation({
    id: 'createWorkspace',
    tags,
    summary: 'Add a workspace by its root directory',
    caller,
    body: CreateWorkspaceRequestSchema,
    responses: { 201: WorkspaceEnvelopeSchema, 409: E, 410: E, ...COMMON_ERRORS },
    handle: async ({ body, services }) => ({ workspace: await services.workspaces.create(body) }),
  }),

  defineOperation({
    id: 'resolveWorkspace',
    tags,
    summary: 'Map a filesystem path to its workspace, registering one when missing',
    caller,
    body: ResolveWorkspaceRequestSchema,
    responses: { 200: WorkspaceEnvelopeSchema, 404: E, 410: E, ...COMMON_ERRORS },
    handle: async ({ body, services }) => ({ workspace: await services.workspaces.resolvePath(body.path) }),
  }),

  defineOperation({
    id: 'getWorkspace',
    tags,
    summary: 'A workspace plus its agent definitions, providers, sessions and skills',
    caller,
    params: WorkspaceRefParamsSchema,
    responses: { 200: WorkspaceDetailSchema, 404: E, 410: E, ...COMMON_ERRORS },
    handle: async ({ params, services }) => services.workspaces.get(params.id),
  }),

  defineOperation({
    id: 'updateWorkspace',
    tags,
    summary: 'Change a workspace’s name, default agent, extra dirs or sandbox',
    caller,
    params: WorkspaceRefParamsSchema,
    body: UpdateWorkspaceRequestSchema,
    responses: { 200: WorkspaceEnvelopeSchema, 404: E, 409: E, 410: E, ...COMMON_ERRORS },
    handle: async ({ params, body, services }) => ({
      workspace: await services.workspaces.update(params.id, body),
    }),
  }),

  defineOperation({
    id: 'deleteWorkspace',
    tags,
    summary: 'Unregister a workspace from the daemon',
    caller,
    params: WorkspaceRefParamsSchema,
    responses: { 204: z.null().describe('Unregistered.'), 404: E, 409: E, 410: E, ...COMMON_ERRORS },
    handle: async ({ params, services }) => {
      await services.workspaces.remove(params.id);
      return new Reply(204, null);
    },
  }),
];
