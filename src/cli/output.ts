import Table from 'cli-table3';
import { CliError } from './errors.ts';

export type OutputFormat = 'table' | 'json';

export function outputFormat(value: unknown): OutputFormat {
  if (value === undefined || value === 'table' || value === 'json') return (value as OutputFormat) ?? 'table';
  throw new CliError(`unknown output format "${String(value)}": use table or json`, { exitCode: 2 });
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(head: string[], rows: (string | number | undefined)[][]): void {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map((c) => (c === undefined ? '' : String(c))));
  process.stdout.write(`${table.toString()}\n`);
}

/** Two-column "key  value" block for a single record. */
export function printFields(fields: [string, string | number | undefined][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) process.stdout.write(`${k.padEnd(width)}  ${v ?? '-'}\n`);
}
