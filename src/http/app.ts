// The Fastify application: schemas on every route, one error envelope, bearer auth on /api/*,
// and every contract operation routed (implemented, or 501).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { newRequestId } from '../lib/ids.ts';
import { VERSION } from '../lib/version.ts';
import type { Dialect } from '../store/db.ts';
import type { Services } from '../operations/services.ts';
import { bearerAuth } from './auth.ts';
import { OPERATIONS } from '../operations/index.ts';
import { defaultCredentials } from '../principals/credentials.ts';
import { registerOperations } from './operations.ts';
import { clientErrorHandler } from './client-errors.ts';
import { errorHandler, notFoundHandler } from './error-handler.ts';
import { notImplementedRoutes } from './routes/not-implemented.ts';
import { sessionStreamRoute } from './routes/session-stream.ts';
import { taskStreamRoute } from './routes/task-stream.ts';
import { statusRoutes } from './routes/status.ts';

export type ZodApp = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export const BODY_LIMIT_BYTES = 1024 * 1024;
const MAX_PARAM_LENGTH = 8192;

export type AppServices = Services;

export interface AppOptions {
  services: AppServices;
  operatorToken: string;
  dialect: Dialect;
  clock: Clock;
  logger: FastifyBaseLogger;
  startedAt?: Date;
}

export async function buildApp(options: AppOptions): Promise<ZodApp> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => newRequestId(),
    // Route parameters may carry a percent-encoded filesystem path; 100 characters (the default) is
    // far too short for that.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors the router raises before any route runs (bad URL encoding, overlong parameters) get
    // the same envelope as everything else.
    frameworkErrors: (err, request, reply) => errorHandler(err, request, reply),
    clientErrorHandler: clientErrorHandler(options.logger),
    // A client gets two minutes to send a whole request (1 MiB at a crawl); a slow-loris trickle
    // is cut. Answers are not limited by this, so long polls and streams are unaffected.
    connectionTimeout: 0,
    requestTimeout: 120_000,
    // Requests that arrive on a kept-alive connection during shutdown get our own 503 envelope.
    return503OnClosing: false,
  }).withTypeProvider<ZodTypeProvider>();

  // The API speaks JSON only; a text body is a client mistake (415), not a string to validate.
  app.removeContentTypeParser('text/plain');
  // An empty body labelled JSON (curl -H 'Content-Type: application/json' -X DELETE …) is no body,
  // not a syntax error; anything else goes through Fastify's hardened parser.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, body as string, (err, value) => {
      if (err) return done(err);
      // No store keeps a NUL character (PostgreSQL refuses it in text): say where, instead of failing.
      const where = nulPath(value, '');
      if (where !== undefined) {
        return done(
          new AppError(
            'invalid_request',
            `${where || 'the body'} must not contain a NUL character (\\u0000)`,
          ),
        );
      }
      done(null, value);
    });
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  // Once shutdown starts, answers to requests still in flight close their connection, so that no
  // idle keep-alive connection holds the shutdown up for the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing) {
      throw new AppError('shutting_down', 'the daemon is shutting down; retry once it is running again', {
        suggestedCommand: 'agh daemon status',
      });
    }
  });
  app.addHook('onRequest', async (request) => {
    if (/%00/.test(request.url)) {
      throw new AppError('invalid_request', 'the URL must not contain a NUL character (%00)');
    }
  });
  app.addHook(
    'onRequest',
    bearerAuth(defaultCredentials(options.operatorToken, options.services.sessions.store)),
  );
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'AGH daemon API',
        version: VERSION,
        description:
          'Generated from the route schemas of this daemon. Every /api/* route except /api/status needs `Authorization: Bearer <operator token>`.',
      },
      components: { securitySchemes: { OperatorToken: { type: 'http', scheme: 'bearer' } } },
      security: [{ OperatorToken: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  const implemented = new Set<string>();
  app.addHook('onRoute', (route) => {
    const id = (route.schema as { operationId?: string } | undefined)?.operationId;
    if (id) implemented.add(id);
  });

  statusRoutes(app, {
    dialect: options.dialect,
    clock: options.clock,
    startedAt: options.startedAt ?? options.clock.now(),
  });
  registerOperations(app, OPERATIONS, options.services);
  // Streams are inherently HTTP, so they are routes rather than operations.
  sessionStreamRoute(app, options.services.sessions);
  taskStreamRoute(app, { kernel: options.services.kernel, reader: options.services.taskReader });
  // Long polls would otherwise hold shutdown up; they answer "nothing to claim" instead.
  app.addHook('preClose', async () => options.services.leases.close());
  notImplementedRoutes(app, implemented);

  // The API description of this HTTP server itself: an HTTP route, not an operation.
  app.get('/openapi.json', { config: { caller: 'public' }, schema: { hide: true } as object }, async () =>
    app.swagger(),
  );

  await app.ready();
  return app;
}

/** The dotted path of the first string (or key) holding a NUL character, if any. */
function nulPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = nulPath(item, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) return at;
      const found = nulPath(item, at);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
