// An operation is defined once: its name in the contract, who may call it, its input schemas, its
// possible replies and the handler that calls the services. Transports (HTTP today; MCP tools and
// the console next) register operations through thin adapters and never restate any of this.
import type { z } from 'zod';
import type { Actor } from '../contract/actors.ts';
import type { ErrorCode } from '../lib/errors.ts';
import type { CallerRule } from '../principals/caller-rule.ts';
import type { OperatorPrincipal, Principal, SessionPrincipal } from '../principals/principal.ts';
import type { Services } from './services.ts';

export type { CallerRule };

type PrincipalFor<R extends CallerRule> = R extends 'session'
  ? SessionPrincipal
  : R extends 'operator'
    ? OperatorPrincipal
    : undefined;

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface Call<R extends CallerRule, P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: PrincipalFor<R>;
  /** The actor that events caused by this call record, e.g. `actor('tasks.start')`. */
  actor(action: string): Actor;
  /** Aborted when the caller goes away before the answer: a long poll then takes nothing. */
  signal: AbortSignal;
  /** The id the transport gave this call; error envelopes built inside an answer quote it. */
  requestId: string;
  services: Services;
}

/** An answer with a status other than the operation's usual success (204 "nothing", 201 "created"). */
export class Reply<T = unknown> {
  readonly status: number;
  readonly body: T;
  constructor(status: number, body: T) {
    this.status = status;
    this.body = body;
  }
}

type Responses = Record<number, z.ZodType>;
type SuccessBody<RS extends Responses> = {
  [K in keyof RS]: K extends 200 | 201 | 202 ? z.input<RS[K]> : never;
}[keyof RS];

export interface OperationSpec<
  R extends CallerRule,
  PS extends z.ZodType | undefined,
  QS extends z.ZodType | undefined,
  BS extends z.ZodType | undefined,
  RS extends Responses,
> {
  /** The contract's operationId: the one name of this operation on every transport. */
  id: string;
  tags: string[];
  summary: string;
  caller: R;
  /** The catalogue code for input that fails its schema (the task API's contract says 422). */
  validationCode?: ErrorCode;
  params?: PS;
  query?: QS;
  body?: BS;
  /** Every reply it may give, success and errors, by status: the API description is built from them. */
  responses: RS;
  handle(call: Call<R, Out<PS>, Out<QS>, Out<BS>>): Promise<SuccessBody<RS> | Reply>;
}

/** An operation with its types erased, as adapters hold them in a list. */
export interface Operation {
  id: string;
  tags: string[];
  summary: string;
  caller: CallerRule;
  validationCode?: ErrorCode;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  responses: Responses;
  handle(
    call: Omit<Call<CallerRule, unknown, unknown, unknown>, 'principal'> & {
      principal: Principal | undefined;
    },
  ): Promise<unknown>;
}

export function defineOperation<
  R extends CallerRule,
  PS extends z.ZodType | undefined = undefined,
  QS extends z.ZodType | undefined = undefined,
  BS extends z.ZodType | undefined = undefined,
  RS extends Responses = Responses,
>(spec: OperationSpec<R, PS, QS, BS, RS>): Operation {
  return spec as unknown as Operation;
}

/** The status an operation answers with when its handler returns a plain body: its lowest 2xx. */
export function successStatus(op: Operation): number {
  const ok = Object.keys(op.responses)
    .map(Number)
    .filter((s) => s >= 200 && s < 300)
    .sort((a, b) => a - b);
  return ok[0] ?? 200;
}
