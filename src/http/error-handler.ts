// Every failure leaves the daemon as the one error envelope, built from the error catalogue.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode, toEnvelope } from '../lib/errors.ts';

/** Fastify's own error codes, as catalogue codes with a message a person can act on. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message?: string; withDetail?: boolean }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'invalid_json',
    message: 'the request body is not valid JSON',
    withDetail: true,
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', message: 'the request body is empty' },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'body_too_large',
    message: 'the request body is larger than the 1 MiB limit',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'invalid_request' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    message: 'send the request body as application/json',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'invalid_request',
    message: 'a path parameter is longer than 8192 characters',
  },
};

/**
 * Route option: the catalogue code for a request that fails its schema. The task API answers 422
 * there, as its contract says; a body that is not JSON at all stays 400 everywhere.
 */
export interface ValidationRouteConfig {
  validationCode?: ErrorCode;
}

export function toAppError(err: FastifyError | Error, request: FastifyRequest): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fe)) {
    const code = (request.routeOptions.config as ValidationRouteConfig | undefined)?.validationCode;
    return new AppError(code ?? 'invalid_request', describeValidation(fe, fe.validationContext ?? 'body'));
  }
  if (isResponseSerializationError(fe)) {
    request.log.error({ err: fe, issues: fe.cause?.issues }, 'response did not match its schema');
    return new AppError('internal_error', `internal error (request ${request.id})`);
  }
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) {
    const message = mapped.message ?? fe.message;
    return new AppError(mapped.code, mapped.withDetail && fe.message ? `${message}: ${fe.message}` : message);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AppError('invalid_request', fe.message);
  }
  request.log.error({ err }, 'unhandled error');
  return new AppError('internal_error', `internal error (request ${request.id})`);
}

export async function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const appError = toAppError(err, request);
  if (appError.status >= 500) request.log.warn({ code: appError.code }, appError.message);
  return reply.status(appError.status).send(toEnvelope(appError, String(request.id)));
}

export async function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split('?', 1)[0];
  const err = new AppError('route_not_found', `no route for ${request.method} ${path}`, {
    suggestedCommand: 'curl http://<daemon>/openapi.json',
  });
  return reply.status(err.status).send(toEnvelope(err, String(request.id)));
}

interface ValidationIssue {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: { keys?: string[]; expected?: string };
}

/** "body.root_dir: expected string, received number; body: unknown field "rootdir"". */
function describeValidation(err: FastifyError, context: string): string {
  const issues = (err.validation ?? []) as ValidationIssue[];
  const parts = issues.map((issue) => {
    const segments = (issue.instancePath ?? '').split('/').filter((s) => s !== '');
    const where = [context, ...segments].join('.');
    const keys = issue.params?.keys;
    if (issue.keyword === 'unrecognized_keys' && keys) {
      return `${where}: unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`;
    }
    if (
      segments.length === 0 &&
      context === 'body' &&
      /received (undefined|null)$/.test(issue.message ?? '')
    ) {
      return 'the request needs a JSON object body';
    }
    return `${where}: ${(issue.message ?? 'invalid').replace(/^Invalid input: /, '')}`;
  });
  return parts.length > 0 ? parts.join('; ') : err.message;
}
