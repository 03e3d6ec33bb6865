// Workspaces API: thin HTTP glue over WorkspaceService.
import { z } from 'zod';
import type { WorkspaceService } from '../../workspaces/index.ts';
import type { ZodApp } from '../app.ts';
import { COMMON_ERRORS, ErrorResponseSchema } from '../../contract/common.ts';
import {
  CreateWorkspaceRequestSchema,
  ResolveWorkspaceRequestSchema,
  UpdateWorkspaceRequestSchema,
  WorkspaceDetailSchema,
  WorkspaceEnvelopeSchema,
  WorkspaceRefParamsSchema,
  WorkspaceSchema,
} from '../../contract/workspaces.ts';

const tags = ['Workspaces'];
const E = ErrorResponseSchema;

export function workspaceRoutes(app: ZodApp, workspaces: WorkspaceService): void {
  app.get(
    '/api/workspaces',
    {
      schema: {
        operationId: 'listWorkspaces',
        tags,
        summary: 'Every workspace known to the daemon',
        response: { 200: z.object({ workspaces: z.array(WorkspaceSchema) }), ...COMMON_ERRORS },
      },
    },
    async () => ({ workspaces: await workspaces.list() }),
  );

  app.post(
    '/api/workspaces',
    {
      schema: {
        operationId: 'createWorkspace',
        tags,
        summary: 'Add a workspace by its root directory',
        body: CreateWorkspaceRequestSchema,
        response: { 201: WorkspaceEnvelopeSchema, 409: E, 410: E, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => reply.status(201).send({ workspace: await workspaces.create(request.body) }),
  );

  app.post(
    '/api/workspaces/resolve',
    {
      schema: {
        operationId: 'resolveWorkspace',
        tags,
        summary: 'Map a filesystem path to its workspace, registering one when missing',
        body: ResolveWorkspaceRequestSchema,
        response: { 200: WorkspaceEnvelopeSchema, 404: E, 410: E, ...COMMON_ERRORS },
      },
    },
    async (request) => ({ workspace: await workspaces.resolvePath(request.body.path) }),
  );

  app.get(
    '/api/workspaces/:id',
    {
      schema: {
        operationId: 'getWorkspace',
        tags,
        summary: 'A workspace plus its agent definitions, providers, sessions and skills',
        params: WorkspaceRefParamsSchema,
        response: { 200: WorkspaceDetailSchema, 404: E, 410: E, ...COMMON_ERRORS },
      },
    },
    async (request) => workspaces.get(request.params.id),
  );

  app.patch(
    '/api/workspaces/:id',
    {
      schema: {
        operationId: 'updateWorkspace',
        tags,
        summary: 'Change a workspace’s name, default agent, extra dirs or sandbox',
        params: WorkspaceRefParamsSchema,
        body: UpdateWorkspaceRequestSchema,
        response: { 200: WorkspaceEnvelopeSchema, 404: E, 409: E, 410: E, ...COMMON_ERRORS },
      },
    },
    async (request) => ({ workspace: await workspaces.update(request.params.id, request.body) }),
  );

  app.delete(
    '/api/workspaces/:id',
    {
      schema: {
        operationId: 'deleteWorkspace',
        tags,
        summary: 'Unregister a workspace from the daemon',
        params: WorkspaceRefParamsSchema,
        response: { 204: z.null().describe('Unregistered.'), 404: E, 409: E, 410: E, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      await workspaces.remove(request.params.id);
      return reply.status(204).send(null);
    },
  );
}
