// Requests so malformed that HTTP parsing fails never reach Fastify's router; Node hands their
// socket to this handler. They still get the one error envelope, written by hand on the socket.
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { AppError, type ErrorCode, toEnvelope } from '../lib/errors.ts';
import { newRequestId } from '../lib/ids.ts';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

export function clientErrorHandler(logger: FastifyBaseLogger) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    // The client went away: nobody is left to answer.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const id = newRequestId();
    const failure = describe(err);
    logger.debug({ reqId: id, code: err.code }, `malformed HTTP request: ${failure.message}`);
    const body = JSON.stringify(toEnvelope(failure, id));
    const status = failure.status;
    socket.end(
      `HTTP/1.1 ${status} ${REASONS[status] ?? 'Bad Request'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${id}\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}

function describe(err: NodeJS.ErrnoException): AppError {
  const make = (code: ErrorCode, message: string) => new AppError(code, message);
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return make('headers_too_large', 'the request headers are larger than the 16 KiB the daemon accepts');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      // Node raises this for both limits: headers (60 s) and the whole request (120 s).
      return make(
        'request_timeout',
        'the request was not received in time (headers within 60 s, the whole request within 2 minutes)',
      );
    default:
      return make('malformed_request', `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`);
  }
}
