import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { DASHBOARD_JSON_SCHEMA } from './dashboard-json.ts';
import { KINDS } from './kinds.ts';
import { COMMON_SCHEMA, KIND_SCHEMAS } from './schemas.ts';

/** Ajv options of the precompiled validators. */
export const AJV_OPTIONS = { allErrors: true, strict: true, verbose: true, allowUnionTypes: true } as const;

/**
 * Precompiles one validator per kind into CommonJS source (src/spec/validators.gen.cjs): compiling the schemas takes
 * ~170 ms at every start, importing the precompiled code ~10 ms. test/spec/types-in-sync.test.ts keeps it current.
 */
export function renderValidators(): string {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  ajv.addKeyword({ keyword: 'x-message', schemaType: 'string' });
  ajv.addSchema(structuredClone(COMMON_SCHEMA), 'common.schema.json');
  // The final Grafana JSON of a dashboard (src/spec/dashboard-json.ts), validated by the dashboard/json check.
  ajv.addSchema(structuredClone(DASHBOARD_JSON_SCHEMA) as object, 'GrafanaDashboard');
  const refs: Record<string, string> = { GrafanaDashboard: 'GrafanaDashboard' };
  for (const k of KINDS) {
    ajv.addSchema(structuredClone(KIND_SCHEMAS[k.kind]), k.kind);
    refs[k.kind] = k.kind;
  }
  type Render = (ajv: Ajv, refs: Record<string, string>) => string;
  const module = standaloneCode as unknown as Render & { default?: Render };
  const render = module.default ?? module;
  return `// Generated from src/spec/schemas by \`npm run gen:types\`. Do not edit.\n${render(ajv, refs)}\n`;
}
