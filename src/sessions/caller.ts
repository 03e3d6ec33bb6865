// The session an agent-side operation acts for, once the caller has been resolved to it.
import type { SessionRecord } from './types.ts';

export interface AgentCaller {
  session: SessionRecord;
  /** True when the operator acts as the session (it named the session) rather than the session's own token. */
  viaOperator: boolean;
}
