// Agent providers: how to launch an agent CLI. The built-in ones speak the Agent Client Protocol;
// `$AGH_HOME/config.toml` may add providers ([providers.<name>]) or change a built-in's command.
import type { ProviderFileConfig } from '../settings/config-file.ts';
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

export type Harness = 'acp' | 'process';

export interface Provider extends ProviderInfo {
  harness: Harness;
  /** The default launch command; an agent's own `command` overrides it. */
  command?: string;
  model?: string;
}

export const DEFAULT_PROVIDER = 'claude';

// Pinned adapter versions, so a session starts the same agent today and next month.
export const BUILT_IN_PROVIDERS: readonly Provider[] = [
  {
    name: 'claude',
    display_name: 'Claude Code',
    harness: 'acp',
    runtime_provider: 'claude_local',
    command: 'npx -y @agentclientprotocol/claude-agent-acp@0.101.0',
  },
  {
    name: 'codex',
    display_name: 'Codex',
    harness: 'acp',
    runtime_provider: 'codex_local',
    command: 'npx -y @agentclientprotocol/codex-acp@2.6.0',
  },
  {
    name: 'gemini',
    display_name: 'Gemini CLI',
    harness: 'acp',
    runtime_provider: 'gemini_local',
    command: 'gemini --acp',
  },
  // Any program: the agent's own `command` says what to run.
  { name: 'process', display_name: 'Any process', harness: 'process', runtime_provider: 'process' },
];

export class ProviderCatalog {
  readonly #providers = new Map<string, Provider>();
  readonly defaultProvider: string;

  constructor(configured: Record<string, ProviderFileConfig> = {}, defaultProvider = DEFAULT_PROVIDER) {
    for (const p of BUILT_IN_PROVIDERS) this.#providers.set(p.name, p);
    for (const [name, c] of Object.entries(configured)) {
      const base = this.#providers.get(name);
      const provider: Provider = { ...(base ?? { name, harness: c.harness ?? 'acp' }) };
      if (c.harness !== undefined) provider.harness = c.harness;
      provider.runtime_provider ??= provider.harness === 'process' ? 'process' : name;
      if (c.command !== undefined) provider.command = c.command;
      if (c.display_name !== undefined) provider.display_name = c.display_name;
      if (c.model !== undefined) provider.model = c.model;
      this.#providers.set(name, provider);
    }
    this.defaultProvider = defaultProvider;
  }

  get(name: string): Provider | undefined {
    return this.#providers.get(name);
  }

  has(name: string): boolean {
    return this.#providers.has(name);
  }

  names(): string[] {
    return [...this.#providers.keys()].sort(compareCodeUnits);
  }

  /** Sorted by name, with the default provider first; as the workspace detail shows them. */
  list(): ProviderInfo[] {
    return [...this.#providers.values()]
      .map(({ name, display_name, harness, runtime_provider }) => {
        const info: ProviderInfo = { name, harness, runtime_provider: runtime_provider ?? name };
        if (display_name !== undefined) info.display_name = display_name;
        return info;
      })
      .sort((a, b) => {
        if (a.name === this.defaultProvider) return -1;
        if (b.name === this.defaultProvider) return 1;
        return compareCodeUnits(a.name, b.name);
      });
  }
}
