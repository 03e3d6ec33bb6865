// agh workspace add|list|show|update|rm|resolve
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { components } from '../client/api-types.ts';
import { call, connect } from './connection.ts';
import { CliError } from './errors.ts';
import { outputFormat, printFields, printJson, printTable } from './output.ts';

type Workspace = components['schemas']['Workspace'];

export function registerWorkspaceCommands(program: Command): void {
  const ws = program
    .command('workspace')
    .alias('ws')
    .description('register and manage workspaces (project directories)');

  ws.command('list')
    .alias('ls')
    .description('list registered workspaces')
    .action(async (_opts, cmd: Command) => {
      const conn = await connect();
      const data = await call(conn, () => conn.client.GET('/api/workspaces'));
      if (outputFormat(cmd.optsWithGlobals().output) === 'json') return printJson(data);
      if (data.workspaces.length === 0) {
        process.stdout.write('no workspaces registered yet; add one with: agh workspace add <dir>\n');
        return;
      }
      printTable(
        ['NAME', 'ID', 'ROOT', 'EXTRA DIRS', 'DEFAULT AGENT'],
        data.workspaces.map((w) => [w.name, w.id, w.root_dir, w.add_dirs.length, w.default_agent]),
      );
    });

  ws.command('add')
    .description('register a directory as a workspace')
    .argument('<dir>', 'the workspace root (relative paths are taken from the current directory)')
    .option('-n, --name <name>', 'workspace name (default: the directory name, made unique)')
    .option('-d, --add-dir <dir...>', 'extra directory the workspace spans (repeatable)')
    .option('--default-agent <agent>', 'agent to run when none is named')
    .option('--sandbox <ref>', 'sandbox profile')
    .action(async (dir: string, opts: AddOptions, cmd: Command) => {
      const conn = await connect();
      const body = {
        root_dir: resolve(dir),
        ...(opts.name !== undefined && { name: opts.name }),
        ...(opts.addDir && { add_dirs: opts.addDir.map((d) => resolve(d)) }),
        ...(opts.defaultAgent !== undefined && { default_agent: opts.defaultAgent }),
        ...(opts.sandbox !== undefined && { sandbox_ref: opts.sandbox }),
      };
      const data = await call(conn, () => conn.client.POST('/api/workspaces', { body }));
      printWorkspace(data.workspace, cmd, 'registered');
    });

  ws.command('resolve')
    .description('find the workspace of a directory, registering it when it has none')
    .argument('[dir]', 'directory (default: the current directory)', '.')
    .action(async (dir: string, _opts, cmd: Command) => {
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.POST('/api/workspaces/resolve', { body: { path: resolve(dir) } }),
      );
      printWorkspace(data.workspace, cmd);
    });

  ws.command('show')
    .description('show a workspace with its agents, skills and providers')
    .argument('<ref>', 'workspace id, name, or a directory inside it')
    .action(async (ref: string, _opts, cmd: Command) => {
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.GET('/api/workspaces/{id}', { params: { path: { id: toRef(ref) } } }),
      );
      if (outputFormat(cmd.optsWithGlobals().output) === 'json') return printJson(data);
      printWorkspaceFields(data.workspace);
      const agents = data.agents ?? [];
      process.stdout.write(`\nagents (${agents.length})\n`);
      if (agents.length > 0) {
        printTable(
          ['NAME', 'PROVIDER', 'MODEL', 'PROBLEMS'],
          agents.map((a) => [a.name, a.provider, a.model, a.diagnostics?.map((d) => d.message).join('; ')]),
        );
      }
      const skills = data.skills ?? [];
      process.stdout.write(`\nskills (${skills.length})\n`);
      if (skills.length > 0)
        printTable(
          ['NAME', 'SOURCE', 'DIR'],
          skills.map((s) => [s.name, s.source, s.dir]),
        );
      const providers = data.providers ?? [];
      process.stdout.write(`\nproviders: ${providers.map((p) => p.name).join(', ')}\n`);
      process.stdout.write(`sessions: ${(data.sessions ?? []).length}\n`);
    });

  ws.command('update')
    .description('change a workspace; options not given keep their value')
    .argument('<ref>', 'workspace id, name, or root directory')
    .option('-n, --name <name>', 'new name')
    .option('-d, --add-dir <dir...>', 'replace the extra directories with these')
    .option('--clear-add-dirs', 'remove all extra directories')
    .option('--default-agent <agent>', 'default agent ("" clears it)')
    .option('--sandbox <ref>', 'sandbox profile ("" clears it)')
    .action(async (ref: string, opts: UpdateOptions, cmd: Command) => {
      if (opts.clearAddDirs && opts.addDir)
        throw new CliError('use either --add-dir or --clear-add-dirs, not both', { exitCode: 2 });
      const addDirs = opts.clearAddDirs ? [] : opts.addDir ? opts.addDir.map((d) => resolve(d)) : null;
      const body = {
        name: opts.name ?? null,
        add_dirs: addDirs,
        default_agent: opts.defaultAgent ?? null,
        sandbox_ref: opts.sandbox ?? null,
      };
      if (Object.values(body).every((v) => v === null)) {
        throw new CliError(
          'nothing to change: pass --name, --add-dir, --clear-add-dirs, --default-agent or --sandbox',
          {
            exitCode: 2,
          },
        );
      }
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.PATCH('/api/workspaces/{id}', { params: { path: { id: toRef(ref) } }, body }),
      );
      printWorkspace(data.workspace, cmd, 'updated');
    });

  ws.command('rm')
    .alias('remove')
    .description('unregister a workspace (its files are not touched)')
    .argument('<ref>', 'workspace id, name, or root directory')
    .action(async (ref: string, _opts, cmd: Command) => {
      const conn = await connect();
      await call(conn, () =>
        conn.client.DELETE('/api/workspaces/{id}', { params: { path: { id: toRef(ref) } } }),
      );
      if (outputFormat(cmd.optsWithGlobals().output) === 'json') return printJson({ removed: ref });
      process.stdout.write(`unregistered workspace ${ref}\n`);
    });
}

interface AddOptions {
  name?: string;
  addDir?: string[];
  defaultAgent?: string;
  sandbox?: string;
}

interface UpdateOptions extends AddOptions {
  clearAddDirs?: boolean;
}

/**
 * A reference with a slash (or `.`, `..`, `~`) is a path, made absolute here since the daemon does
 * not know the caller's working directory. Names never contain slashes, so anything else is an id
 * or a name, even one that starts with a dot.
 */
export function toRef(ref: string): string {
  if (ref === '~' || ref.startsWith('~/')) return join(homedir(), ref.slice(1));
  if (ref === '.' || ref === '..' || ref.includes('/')) return resolve(ref);
  return ref;
}

function printWorkspace(w: Workspace, cmd: Command, verb?: string): void {
  if (outputFormat(cmd.optsWithGlobals().output) === 'json') {
    printJson({ workspace: w });
    return;
  }
  if (verb) process.stdout.write(`${verb} workspace ${w.name}\n`);
  printWorkspaceFields(w);
}

function printWorkspaceFields(w: Workspace): void {
  printFields([
    ['name', w.name],
    ['id', w.id],
    ['root', w.root_dir],
    ['extra dirs', w.add_dirs.length > 0 ? w.add_dirs.join(', ') : undefined],
    ['default agent', w.default_agent],
    ['sandbox', w.sandbox_ref],
    ['created', w.created_at],
    ['updated', w.updated_at],
  ]);
}
