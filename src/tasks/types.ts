// Vocabulary of the task kernel: enums in contract order, limits and the records the
// services hand around. Wire shapes live in src/contract/tasks.ts.
import {
  TASK_STATUSES,
  RUN_STATUSES,
  TASK_PRIORITIES,
  SCOPES,
  APPROVAL_POLICIES,
  APPROVAL_STATES,
  OWNER_KINDS,
  ACTOR_KINDS,
  ORIGIN_KINDS,
  DEPENDENCY_KINDS,
} from '../contract/vocabulary.ts';

export type { TaskStatus, RunStatus, TaskPriority } from '../contract/vocabulary.ts';
export {
  TERMINAL_TASK_STATUSES,
  ACTIVE_RUN_STATUSES,
  OPEN_RUN_STATUSES,
  TERMINAL_RUN_STATUSES,
  isActiveRun,
  isOpenRun,
  isTerminalRun,
  PRIORITY_WEIGHT,
} from '../contract/vocabulary.ts';
export {
  TASK_STATUSES,
  RUN_STATUSES,
  TASK_PRIORITIES,
  SCOPES,
  APPROVAL_POLICIES,
  APPROVAL_STATES,
  OWNER_KINDS,
  ACTOR_KINDS,
  ORIGIN_KINDS,
  DEPENDENCY_KINDS,
};

export type Scope = (typeof SCOPES)[number];

export type ApprovalPolicy = (typeof APPROVAL_POLICIES)[number];
export type ApprovalState = (typeof APPROVAL_STATES)[number];

export type OwnerKind = (typeof OWNER_KINDS)[number];
export type { ActorKind, OriginKind } from '../contract/actors.ts';

export interface OwnerRef {
  kind: OwnerKind;
  ref: string;
}
export type { ActorRef, OriginRef, Actor } from '../contract/actors.ts';

export const LIMITS = {
  defaultMaxAttempts: 3,
  maxAttempts: 10,
  defaultLeaseSeconds: 300,
  maxLeaseSeconds: 86_400,
  maxDepth: 8,
  maxChildren: 64,
  maxDependencies: 32,
  metadataBytes: 16 * 1024,
  resultBytes: 64 * 1024,
  retryChainDepth: 10,
  bulkIds: 50,
  sweepBatch: 100,
  backlogDefault: 50,
  backlogMax: 500,
} as const;

export const CHANNEL_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
