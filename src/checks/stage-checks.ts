import type { Severity } from '../diagnostics.ts';

export interface StageCheck {
  id: string;
  severity: Severity;
  description: string;
  /** The check module that reports this id (a narrower id of its family): configurable like the module's own. */
  reportedBy?: string;
}

/**
 * Ids reported by the stages around the check modules: loading, schema, model mapping, the command line, and the
 * check configuration itself. None can be changed by `policies.checks` or silenced by a disable comment, except the
 * few a check module reports under a narrower id of its family (`reportedBy`).
 */
export const STAGE_CHECKS: readonly StageCheck[] = [
  { id: 'load/file-name', severity: 'error', description: 'Definition file and folder names are UTF-8 without control or bidirectional characters, and paths are not too long.' },
  { id: 'load/encoding', severity: 'error', description: 'A definition file is valid UTF-8 (the first invalid byte is reported, never replaced).' },
  { id: 'load/limit', severity: 'error', description: 'A definition stays within the size limits: file bytes, files, documents per file, items per list or mapping.' },
  { id: 'load/symlink', severity: 'error', description: 'Symbolic links among the definitions resolve inside the repository, to something that exists, without loops.' },
  { id: 'load/read', severity: 'error', description: 'A definition file or folder can be read (permissions, races with deletion) and is a regular file, not a pipe or device.' },
  { id: 'yaml/syntax', severity: 'error', description: 'The file is well-formed YAML (no duplicate keys, tabs or bad indentation).' },
  { id: 'ts/load', severity: 'error', description: 'A TypeScript definition compiles, runs and default-exports a definition.' },
  { id: 'schema', severity: 'error', description: 'A definition matches the JSON Schema of its kind: known kind, fields, types, durations.' },
  { id: 'route/matcher', severity: 'error', description: 'Route and inhibit matchers are valid Alertmanager matchers with valid regular expressions.' },
  { id: 'promql/type', severity: 'error', reportedBy: 'promql/syntax', description: 'Part of promql/syntax: argument and operand types (e.g. rate() over an instant vector).' },
  { id: 'promql/unknown-function', severity: 'error', reportedBy: 'promql/syntax', description: 'Part of promql/syntax: a function Prometheus 2.42 does not have, with a "did you mean".' },
  { id: 'promql/arity', severity: 'error', reportedBy: 'promql/syntax', description: 'Part of promql/syntax: the wrong number of arguments to a function or aggregation.' },
  { id: 'env/unknown', severity: 'error', description: 'The environment a command names (--env) is declared.' },
  { id: 'env/override', severity: 'error', description: "An Environment's overrides name alerts, recording rules, receivers and dashboards that exist, without renaming them." },
  { id: 'skipped', severity: 'warning', description: 'Cross-reference checks were skipped because some definitions have errors.' },
  { id: 'policy/checks', severity: 'error', description: "The Project's policies.checks names check ids that exist and can be configured." },
  { id: 'disable/invalid', severity: 'error', description: 'A vigil-disable-next-line comment names check ids that exist and can be disabled, and gives a reason.' },
  { id: 'disable/unused', severity: 'warning', description: 'A vigil-disable-next-line comment silences a problem on the next line (else it is stale and reported).' },
];
