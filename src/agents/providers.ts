// The agent providers the daemon knows without any configuration. Each one is an agent CLI spoken to
// over the Agent Client Protocol.
import { compareCodeUnits } from '../lib/text.ts';

export interface ProviderInfo {
  name: string;
  display_name?: string;
  harness?: string;
  runtime_provider?: string;
  auth_mode?: string;
  env_policy?: string;
  home_policy?: string;
}

export const DEFAULT_PROVIDER = 'claude';

export const BUILT_IN_PROVIDERS: readonly ProviderInfo[] = [
  { name: 'claude', display_name: 'Claude Code', harness: 'acp', runtime_provider: 'claude_local' },
  { name: 'codex', display_name: 'Codex', harness: 'acp', runtime_provider: 'codex_local' },
  { name: 'gemini', display_name: 'Gemini CLI', harness: 'acp', runtime_provider: 'gemini_local' },
];

/** Sorted by name, with the default provider first. */
export function listProviders(defaultProvider = DEFAULT_PROVIDER): ProviderInfo[] {
  return [...BUILT_IN_PROVIDERS].sort((a, b) => {
    if (a.name === defaultProvider) return -1;
    if (b.name === defaultProvider) return 1;
    return compareCodeUnits(a.name, b.name);
  });
}

export function isKnownProvider(name: string): boolean {
  return BUILT_IN_PROVIDERS.some((p) => p.name === name);
}
