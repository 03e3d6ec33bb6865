// Path helpers shared by workspaces and runners.

/** True when `child` is `parent` or lies below it. Both must be canonical. */
export function isWithin(parent: string, child: string): boolean {
  if (child === parent) return true;
  const prefix = parent.endsWith('/') ? parent : `${parent}/`;
  return child.startsWith(prefix);
}
