import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCHEMA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'schemas');

export type KindName =
  | 'Project'
  | 'Metrics'
  | 'Severities'
  | 'AlertRules'
  | 'RecordingRules'
  | 'SLOs'
  | 'Receivers'
  | 'Routes'
  | 'Dashboard'
  | 'RuleTests'
  | 'Environment'
  | 'Templates'
  | 'Silences';

export interface KindInfo {
  kind: KindName;
  schemaFile: string;
  /** How many definitions of this kind a project may have. */
  cardinality: 'one' | 'many';
}

export const KINDS: readonly KindInfo[] = [
  { kind: 'Project', schemaFile: 'project.schema.json', cardinality: 'one' },
  { kind: 'Metrics', schemaFile: 'metrics.schema.json', cardinality: 'many' },
  { kind: 'Severities', schemaFile: 'severities.schema.json', cardinality: 'one' },
  { kind: 'AlertRules', schemaFile: 'alert-rules.schema.json', cardinality: 'many' },
  { kind: 'RecordingRules', schemaFile: 'recording-rules.schema.json', cardinality: 'many' },
  { kind: 'SLOs', schemaFile: 'slos.schema.json', cardinality: 'many' },
  { kind: 'Receivers', schemaFile: 'receivers.schema.json', cardinality: 'many' },
  { kind: 'Routes', schemaFile: 'routes.schema.json', cardinality: 'one' },
  { kind: 'Dashboard', schemaFile: 'dashboard.schema.json', cardinality: 'many' },
  { kind: 'RuleTests', schemaFile: 'rule-tests.schema.json', cardinality: 'many' },
  { kind: 'Environment', schemaFile: 'environment.schema.json', cardinality: 'many' },
  { kind: 'Templates', schemaFile: 'templates.schema.json', cardinality: 'many' },
  { kind: 'Silences', schemaFile: 'silences.schema.json', cardinality: 'many' },
];

export const KIND_BY_NAME: ReadonlyMap<string, KindInfo> = new Map(KINDS.map((k) => [k.kind, k]));
