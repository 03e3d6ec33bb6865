/**
 * Who may call an operation: anyone (`public`), the operator (`operator`), or a session — by its own
 * token, or the operator acting as a session it names (`session`).
 */
export type CallerRule = 'public' | 'operator' | 'session';
