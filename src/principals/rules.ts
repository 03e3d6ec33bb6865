// Which principals an operation's caller rule admits. The operator may call anything (and act as a
// session it names); a session's token reaches only the operations a session calls for itself.
import { AppError } from '../lib/errors.ts';
import type { CallerRule } from './caller-rule.ts';
import type { Principal } from './principal.ts';

/** Throws when the principal may not call an operation with this rule. */
export function admit(principal: Principal, rule: CallerRule): void {
  if (rule === 'public' || principal.kind === 'operator') return;
  if (principal.kind === 'session' && rule === 'session') return;
  if (principal.kind === 'session') {
    throw new AppError(
      'session_token_scope',
      'a session token only authorises /api/agent/*; operator routes need the operator token',
    );
  }
  throw new AppError('unauthorized', `a ${principal.kind} principal may not call this operation`);
}
