import { CHECKS } from '../checks/index.ts';
import type { CliIO } from './io.ts';
import { EXIT } from './exit.ts';

/** Checks run by the loader and schema stages rather than as modules. */
export const STAGE_CHECKS = [
  { id: 'load/file-name', severity: 'error', description: 'Definition file and folder names are UTF-8 without control or bidirectional characters, and paths are not too long.' },
  { id: 'load/encoding', severity: 'error', description: 'A definition file is valid UTF-8 (the first invalid byte is reported, never replaced).' },
  { id: 'load/limit', severity: 'error', description: 'A definition stays within the size limits: file bytes, files, documents per file, items per list or mapping.' },
  { id: 'load/symlink', severity: 'error', description: 'Symbolic links among the definitions resolve inside the repository, to something that exists, without loops.' },
  { id: 'load/read', severity: 'error', description: 'A definition file or folder can be read (permissions, races with deletion) and is a regular file, not a pipe or device.' },
  { id: 'yaml/syntax', severity: 'error', description: 'The file is well-formed YAML (no duplicate keys, tabs or bad indentation).' },
  { id: 'ts/load', severity: 'error', description: 'A TypeScript definition compiles, runs and default-exports a definition.' },
  { id: 'schema', severity: 'error', description: 'A definition matches the JSON Schema of its kind: known kind, fields, types, durations.' },
  { id: 'route/matcher', severity: 'error', description: 'Route and inhibit matchers are valid Alertmanager matchers with valid regular expressions.' },
  { id: 'promql/type', severity: 'error', description: 'Part of promql/syntax: argument and operand types (e.g. rate() over an instant vector).' },
  { id: 'promql/unknown-function', severity: 'error', description: 'Part of promql/syntax: a function Prometheus 2.42 does not have, with a "did you mean".' },
  { id: 'promql/arity', severity: 'error', description: 'Part of promql/syntax: the wrong number of arguments to a function or aggregation.' },
  { id: 'env/unknown', severity: 'error', description: 'The environment a command names (--env) is declared.' },
  { id: 'env/override', severity: 'error', description: "An Environment's overrides name alerts, recording rules, receivers and dashboards that exist, without renaming them." },
  { id: 'skipped', severity: 'warning', description: 'Cross-reference checks were skipped because some definitions have errors.' },
] as const;

export function runChecks(io: CliIO, format: 'text' | 'json' | 'github'): number {
  const all = [...STAGE_CHECKS, ...CHECKS.map((c) => ({ id: c.id, severity: c.severity, description: c.description }))].sort((a, b) => (a.id < b.id ? -1 : 1));
  if (format === 'json') io.out(JSON.stringify(all, null, 2) + '\n');
  else {
    const width = Math.max(...all.map((c) => c.id.length));
    for (const c of all) io.out(`${c.id.padEnd(width)}  ${c.severity.padEnd(7)}  ${c.description}\n`);
  }
  return EXIT.ok;
}
