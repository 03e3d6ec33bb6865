// The operations of the wire contract (contract/openapi.json), so that every one of them is routed:
// to its implementation when one exists, otherwise to an honest 501.
import { readFileSync } from 'node:fs';

// Read rather than imported: typing the whole document would slow the type checker for nothing.
const contract = JSON.parse(
  readFileSync(new URL('../../contract/openapi.json', import.meta.url), 'utf8'),
) as {
  paths: Record<string, unknown>;
};

export interface ContractOperation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI path, e.g. `/api/workspaces/{id}`. */
  path: string;
  /** Fastify path, e.g. `/api/workspaces/:id`. */
  url: string;
  operationId: string;
  tag: string;
  summary: string;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface RawOperation {
  operationId: string;
  tags?: string[];
  summary?: string;
}

export const CONTRACT_OPERATIONS: readonly ContractOperation[] = Object.entries(
  contract.paths as Record<string, Partial<Record<(typeof METHODS)[number], RawOperation>>>,
).flatMap(([path, item]) =>
  METHODS.flatMap((m) => {
    const op = item[m];
    if (!op) return [];
    return [
      {
        method: m.toUpperCase() as ContractOperation['method'],
        path,
        url: toFastifyPath(path),
        operationId: op.operationId,
        tag: op.tags?.[0] ?? 'untagged',
        summary: op.summary ?? '',
      },
    ];
  }),
);

export function toFastifyPath(openApiPath: string): string {
  return openApiPath.replace(/\{([^}]+)\}/g, ':$1');
}
