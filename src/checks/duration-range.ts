import type { Definition, Path } from '../load/definition.ts';
import type { KindName } from '../spec/kinds.ts';
import { COMMON_SCHEMA, KIND_SCHEMAS } from '../spec/schemas.ts';
import { formatPath } from '../spec/validate.ts';
import { durationProblem } from '../util/duration.ts';
import type { Check } from './check.ts';

const DURATION_REF = 'common.schema.json#/definitions/duration';

type Schema = Record<string, unknown>;

/** The schema a `$ref` names, and the document later relative refs inside it resolve against. */
function resolve(ref: string, doc: Schema): { schema: Schema; doc: Schema } | undefined {
  const [file, pointer = ''] = ref.split('#');
  const target = !file ? doc : file === 'common.schema.json' ? (COMMON_SCHEMA as Schema) : undefined;
  let node: unknown = target;
  for (const seg of pointer.split('/').filter(Boolean)) node = (node as Schema | undefined)?.[seg];
  return target && node && typeof node === 'object' ? { schema: node as Schema, doc: target } : undefined;
}

/** `resolve` of each `$ref` once per document it is read in. */
const resolved = new WeakMap<Schema, Map<string, { schema: Schema; doc: Schema } | undefined>>();

function resolveOnce(ref: string, doc: Schema): { schema: Schema; doc: Schema } | undefined {
  let known = resolved.get(doc);
  if (!known) resolved.set(doc, (known = new Map()));
  if (!known.has(ref)) known.set(ref, resolve(ref, doc));
  return known.get(ref);
}

/** Per document, per schema in it: whether some value walked along the schema could hold a duration. */
const durationReachable = new WeakMap<Schema, Map<Schema, boolean>>();

/**
 * Whether `durationFields`' walk along `schema` can find a duration anywhere below it: most of a definition (labels,
 * expressions, annotations, panels) cannot, and the walk skips it. A schema met again while it is being decided
 * (recursive routes) counts as reaching one, which can only make the walk go further than it needs to.
 */
function mayHoldDuration(schema: Schema, doc: Schema): boolean {
  let known = durationReachable.get(doc);
  if (!known) durationReachable.set(doc, (known = new Map()));
  const cached = known.get(schema);
  if (cached !== undefined) return cached;
  known.set(schema, true);
  const reaches = (sub: unknown, subDoc = doc) => Boolean(sub) && typeof sub === 'object' && !Array.isArray(sub) && mayHoldDuration(sub as Schema, subDoc);
  let result = false;
  const ref = schema.$ref;
  if (ref === DURATION_REF) result = true;
  else {
    const target = typeof ref === 'string' ? resolveOnce(ref, doc) : undefined;
    result =
      (target !== undefined && mayHoldDuration(target.schema, target.doc)) ||
      (['oneOf', 'anyOf', 'allOf'] as const).some((key) => ((schema[key] as Schema[] | undefined) ?? []).some((sub) => reaches(sub))) ||
      reaches(schema.then) ||
      reaches(schema.else) ||
      reaches(schema.items) ||
      Object.values((schema.properties as Record<string, Schema> | undefined) ?? {}).some((sub) => reaches(sub)) ||
      reaches(schema.additionalProperties);
  }
  known.set(schema, result);
  return result;
}

/**
 * Every string a kind's schema declares a duration, found by walking the value along its schema: a duration field added
 * to any schema later is checked without touching this module, at any depth of a recursive schema (nested routes).
 */
export function durationFields(value: unknown, root: Schema): { path: Path; text: string }[] {
  const found = new Map<string, { path: Path; text: string }>();
  const walk = (schema: Schema, v: unknown, path: Path, doc: Schema) => {
    if (!mayHoldDuration(schema, doc)) return;
    const ref = schema.$ref;
    if (ref === DURATION_REF) {
      if (typeof v === 'string') found.set(JSON.stringify(path), { path, text: v });
      return;
    }
    if (typeof ref === 'string') {
      const target = resolveOnce(ref, doc);
      if (target) walk(target.schema, v, path, target.doc);
    }
    for (const key of ['oneOf', 'anyOf', 'allOf'] as const) for (const sub of (schema[key] as Schema[] | undefined) ?? []) walk(sub, v, path, doc);
    // if/then/else picks a branch by the value (the SLO's `alert: false` or its object): both are walked, and only the
    // one whose properties the value has finds anything.
    for (const key of ['then', 'else'] as const) if (schema[key] && typeof schema[key] === 'object') walk(schema[key] as Schema, v, path, doc);
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      const items = schema.items;
      if (items && typeof items === 'object' && !Array.isArray(items) && mayHoldDuration(items as Schema, doc)) v.forEach((item, i) => walk(items as Schema, item, [...path, i], doc));
      return;
    }
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    const additional = schema.additionalProperties;
    // Only the values whose schema can reach a duration get a path of their own.
    for (const key of Object.keys(v)) {
      const sub = Object.hasOwn(properties, key) ? properties[key] : additional && typeof additional === 'object' ? (additional as Schema) : undefined;
      if (sub && mayHoldDuration(sub, doc)) walk(sub, (v as Record<string, unknown>)[key], [...path, key], doc);
    }
  };
  walk(root, value, [], root);
  return [...found.values()];
}

/**
 * Durations Prometheus and Alertmanager accept: the schema admits any run of `<n><unit>`, but model.ParseDuration
 * wants the units in order, once each, and the total within int64 nanoseconds — `for: 99999999999999999999y` would
 * otherwise pass validate and fail promtool, amtool or the running service.
 */
export const durationRangeCheck: Check = {
  id: 'duration/range',
  description: 'Every duration field is one Prometheus and Alertmanager accept: units in order (1h30m, not 30m1h), at most 292 years.',
  severity: 'error',
  // Each document on its own: the whole check is per file.
  run() {},
  perFileReadsDocumentsOnly: true,
  perFile(ctx, file) {
    for (const { kind, def } of file.documents) {
      const schema = KIND_SCHEMAS[kind as KindName] as Schema | undefined;
      if (!schema) continue;
      for (const { path, text } of durationFields(def.value, schema)) {
        const problem = durationProblem(text);
        if (!problem) continue;
        ctx.report({
          message: `${formatPath(path)}: ${problem}`,
          span: def.locate(path),
          hint:
            problem === 'duration out of range'
              ? 'Prometheus and Alertmanager durations are int64 nanoseconds: at most 292y (9223372036854ms)'
              : 'write the units from the largest to the smallest, each once: 1h30m, 2d12h',
        });
      }
    }
  },
};
