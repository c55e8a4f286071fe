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
  const source = render(ajv, refs).split(AJV_UCS2LENGTH).join(`(${UCS2LENGTH_SOURCE})`);
  return `// Generated from src/spec/schemas by \`npm run gen:types\`. Do not edit.\n${source}\n`;
}

/** How ajv's standalone code takes its ucs2length (the code points of a string, for minLength and maxLength). */
const AJV_UCS2LENGTH = 'require("ajv/dist/runtime/ucs2length").default';

/**
 * ajv's ucs2length (ajv/dist/runtime/ucs2length.js), put in the generated code with a shortcut: a string without a
 * high surrogate has as many code points as UTF-16 units, which one native scan tells. Ajv's loop reads every
 * character of every length-bounded string (each alert's name, expression, summary…) while the validators' code is
 * still cold: ≈ 8 ms of a cold build of the 10,000-alert project. src/spec/ucs2length.test.ts compares the two.
 */
export const UCS2LENGTH_SOURCE = `(() => {
  const HIGH_SURROGATE = /[\\ud800-\\udbff]/;
  return function ucs2length(str) {
    if (!HIGH_SURROGATE.test(str)) return str.length;
    const len = str.length;
    let length = 0;
    let pos = 0;
    let value;
    while (pos < len) {
      length++;
      value = str.charCodeAt(pos++);
      if (value >= 0xd800 && value <= 0xdbff && pos < len) {
        value = str.charCodeAt(pos);
        if ((value & 0xfc00) === 0xdc00) pos++;
      }
    }
    return length;
  };
})()`;
