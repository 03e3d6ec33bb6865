// Validates every HTTP reply of the test suite against contract/openapi.json (Ajv, JSON Schema 2020-12)
// and records which operations were exercised, so the coverage test can see what was never called.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export const CONTRACT_PATH = new URL('../../contract/openapi.json', import.meta.url);

interface ResponseSpec {
  content?: Record<string, { schema?: unknown }>;
}
interface OperationSpec {
  operationId: string;
  responses: Record<string, ResponseSpec>;
}
export interface ContractDocument {
  paths: Record<string, Record<string, OperationSpec>>;
  components: { schemas: Record<string, unknown> };
}

export const contract = JSON.parse(readFileSync(CONTRACT_PATH, 'utf8')) as ContractDocument;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export interface MatchedOperation {
  method: string;
  path: string;
  operationId: string;
  spec: OperationSpec;
}

/**
 * Statuses any operation may answer although the contract does not list them, each with its reason.
 * They come from ARCHITECTURE.md (authentication, body limits, 501 for unbuilt operations) and are
 * always the error envelope.
 */
export const GLOBAL_EXTRA_STATUSES: Record<string, string> = {
  '400': 'malformed JSON or a body that fails validation',
  '401': 'missing or wrong bearer token (ARCHITECTURE §4)',
  '408': 'the request was not received in full in time',
  '413': 'body over the 1 MiB limit',
  '415': 'body that is not JSON',
  '431': 'request headers over the 16 KiB limit',
  '501': 'operation not implemented yet',
  '503': 'the daemon is shutting down',
};

/**
 * Statuses particular operations answer beyond the contract, following the domain notes
 * (agent-network-workspaces.md §4 and §6): a directory that no longer exists is 410 Gone, clashes
 * are 409. Listed here so every departure from the contract is visible in one place.
 */
export const OPERATION_EXTRA_STATUSES: Record<string, Record<string, string>> = {
  createWorkspace: { '410': 'root_dir or an add_dirs entry does not exist' },
  resolveWorkspace: { '410': 'path does not exist' },
  getWorkspace: { '410': 'the path given as reference, or the workspace root, no longer exists' },
  updateWorkspace: {
    '409': 'name already in use',
    '410': 'the workspace root or an add_dirs entry does not exist',
  },
  deleteWorkspace: {
    '409': 'live sessions still use the workspace',
    '410': 'the path given as reference does not exist',
  },
  // The Agent API reads files of the caller's workspace (agent-network-workspaces.md §2.4: "410 root missing").
  getAgentSoul: { '410': 'the workspace directory of the caller no longer exists' },
  validateAgentSoul: { '410': 'the workspace directory of the caller no longer exists' },
  getAgentCoordinatorConfig: { '410': 'the workspace directory no longer exists' },
  spawnAgentSession: { '410': 'the workspace directory of the caller no longer exists' },
  // Task routes name workspaces by id, name or path like the workspace routes do (tasks.md §1.1).
  listTasks: { '410': 'the workspace filter is a path that no longer exists' },
  createTask: { '410': 'the workspace is a path that no longer exists' },
  createChildTask: { '410': 'the workspace is a path that no longer exists' },
  getSchedulerBacklog: {
    '404': 'the workspace filter names no registered workspace',
    '410': 'the workspace filter is a path that no longer exists',
  },
};

/** Daemon routes outside the contract (ARCHITECTURE §3): checked by their own tests. */
export const DAEMON_ROUTES = new Set(['GET /api/status', 'GET /openapi.json']);

/**
 * The operators' sessions API (issue 3) is not in the contract; the sessions it returns are the
 * contract's `Session`, so every one of them is checked against that schema.
 */
const SESSION_ROUTE = /^(GET|POST) \/api\/sessions(\/[^/]+(\/(prompt|stop|events))?)?$/;

function checkSessionRoute(where: string, body: unknown, reply: Reply): void {
  if (reply.status >= 400) {
    checkError(where, body, reply);
    return;
  }
  const b = (body ?? {}) as { session?: unknown; sessions?: unknown[] };
  const validate = validatorFor('/components/schemas/Session');
  for (const session of [...(b.session ? [b.session] : []), ...(b.sessions ?? [])]) {
    if (!validate(session)) {
      throw new Error(
        `${where}: session does not match the contract's Session: ${ajv.errorsText(validate.errors)}`,
      );
    }
  }
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addSchema(contract as object, 'contract');
const validators = new Map<string, ValidateFunction>();

function validatorFor(pointer: string): ValidateFunction {
  let v = validators.get(pointer);
  if (!v) {
    v = ajv.compile({ $ref: `contract#${pointer}` });
    validators.set(pointer, v);
  }
  return v;
}

const escapePointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

const templates = Object.keys(contract.paths)
  .map((path) => ({
    path,
    regex: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`),
    params: (path.match(/\{/g) ?? []).length,
  }))
  // A static segment beats a parameter: /api/workspaces/resolve before /api/workspaces/{id}.
  .sort((a, b) => a.params - b.params);

export function matchOperation(method: string, url: string): MatchedOperation | undefined {
  const path = url.split('?', 1)[0] ?? url;
  const m = method.toLowerCase();
  for (const t of templates) {
    const spec = contract.paths[t.path]?.[m];
    if (spec && t.regex.test(path)) return { method: m, path: t.path, operationId: spec.operationId, spec };
  }
  return undefined;
}

export function listOperations(): MatchedOperation[] {
  return Object.entries(contract.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => {
      const spec = item[m] as OperationSpec;
      return { method: m, path, operationId: spec.operationId, spec };
    }),
  );
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Throws with a readable explanation when `reply` does not conform. Returns the parsed body. */
export function assertConforms(
  method: string,
  url: string,
  reply: Reply,
  options: { record: boolean } = { record: true },
): unknown {
  const path = url.split('?', 1)[0] ?? url;
  const body = parseBody(reply);
  const where = `${method.toUpperCase()} ${path} → ${reply.status}`;
  if (DAEMON_ROUTES.has(`${method.toUpperCase()} ${path}`)) {
    if (reply.status >= 400) checkError(where, body, reply);
    return body;
  }
  if (SESSION_ROUTE.test(`${method.toUpperCase()} ${path}`)) {
    checkSessionRoute(where, body, reply);
    return body;
  }
  const op = matchOperation(method, url);
  if (!op) {
    // Outside the contract only the error envelope may come back.
    if (reply.status !== 404 && reply.status !== 401)
      throw new Error(`${where}: no such operation in the contract`);
    checkError(where, body, reply);
    return body;
  }
  if (options.record) record(op.operationId, reply.status);
  const status = String(reply.status);
  const spec = op.spec.responses[status];
  if (spec) {
    const json = spec.content?.['application/json'];
    if (!json) {
      if (reply.text !== '')
        throw new Error(`${where}: the contract defines no body, got ${reply.text.slice(0, 200)}`);
      return undefined;
    }
    const pointer = `/paths/${escapePointer(op.path)}/${op.method}/responses/${status}/content/application~1json/schema`;
    const validate = validatorFor(pointer);
    if (!validate(body)) {
      throw new Error(
        `${where} (${op.operationId}): body does not match the contract: ${ajv.errorsText(validate.errors)}\n${reply.text.slice(0, 1000)}`,
      );
    }
    return body;
  }
  const reason = GLOBAL_EXTRA_STATUSES[status] ?? OPERATION_EXTRA_STATUSES[op.operationId]?.[status];
  if (!reason) {
    throw new Error(
      `${where} (${op.operationId}): status not in the contract (allowed: ${Object.keys(op.spec.responses).join(', ')})\n${reply.text.slice(0, 500)}`,
    );
  }
  checkError(where, body, reply);
  if (
    status === '501' &&
    (body as { diagnostic?: { code?: string } }).diagnostic?.code !== 'not_implemented'
  ) {
    throw new Error(`${where}: a 501 must carry diagnostic.code "not_implemented"`);
  }
  return body;
}

/** Throws unless `body` is the error envelope of the contract. */
export function checkError(where: string, body: unknown, reply: Reply): void {
  const validate = validatorFor('/components/schemas/ErrorResponse');
  if (!validate(body))
    throw new Error(`${where}: not the error envelope: ${ajv.errorsText(validate.errors)}\n${reply.text}`);
}

function parseBody(reply: Reply): unknown {
  if (reply.text === '') return undefined;
  const type = String(reply.headers['content-type'] ?? '');
  if (!type.includes('application/json')) return reply.text;
  try {
    return JSON.parse(reply.text);
  } catch {
    throw new Error(`reply claims JSON but is not: ${reply.text.slice(0, 200)}`);
  }
}

/** Where the test runner collects exercised operations (set by scripts/run-tests.ts). */
export const RESULTS_DIR = process.env.AGH_CONTRACT_RESULTS_DIR;

function record(operationId: string, status: number): void {
  if (!RESULTS_DIR) return;
  mkdirSync(RESULTS_DIR, { recursive: true });
  appendFileSync(join(RESULTS_DIR, `${process.pid}.jsonl`), `${JSON.stringify({ operationId, status })}\n`);
}

/** Throws unless `value` matches the contract component `name` (for payloads outside replies, e.g. SSE). */
export function assertComponent(name: string, value: unknown): void {
  const validate = validatorFor(`/components/schemas/${name}`);
  if (!validate(value)) {
    throw new Error(
      `not a ${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 1000)}`,
    );
  }
}

/**
 * Records an exercised streaming operation (server-sent events are read with fetch, not through
 * the Api helper); its frames are checked with assertComponent.
 */
export function recordStream(url: string, status: number, contentType: string | null): void {
  const op = matchOperation('GET', url);
  if (!op) throw new Error(`GET ${url}: no such operation in the contract`);
  const declared = Object.keys(op.spec.responses[String(status)]?.content ?? {});
  if (!declared.some((type) => (contentType ?? '').startsWith(type))) {
    throw new Error(
      `GET ${url} → ${status} ${contentType}: the contract declares ${declared.join(', ') || 'no body'}`,
    );
  }
  record(op.operationId, status);
}
