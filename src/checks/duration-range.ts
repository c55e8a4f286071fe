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
 * What `durationFields` does with a value at a schema that can reach a duration, decided once per schema (and the
 * document its refs resolve in): the schema is the duration itself, or the schemas that read the same value (its
 * `$ref`'s target, then oneOf/anyOf/allOf, then then/else), the schema of an array's items, of each named property
 * and of the others — each only when it can reach a duration.
 */
interface Plan {
  duration: boolean;
  same: Plan[];
  items: Plan | undefined;
  /** A property the schema names maps to its plan, or to undefined when it cannot reach a duration. */
  properties: Map<string, Plan | undefined>;
  additional: Plan | undefined;
}

const plans = new WeakMap<Schema, Map<unknown, Plan | undefined>>();

/** The plan of `schema` read in `doc`, or undefined when nothing below it can be a duration. */
function planOf(schema: unknown, doc: Schema): Plan | undefined {
  let known = plans.get(doc);
  if (!known) plans.set(doc, (known = new Map()));
  if (known.has(schema)) return known.get(schema);
  if (!schema || typeof schema !== 'object' || !mayHoldDuration(schema as Schema, doc)) {
    known.set(schema, undefined);
    return undefined;
  }
  const s = schema as Schema;
  // Stored before its parts are planned: a recursive schema (nested routes) meets itself.
  const plan: Plan = { duration: s.$ref === DURATION_REF, same: [], items: undefined, properties: new Map(), additional: undefined };
  known.set(schema, plan);
  if (plan.duration) return plan;
  const add = (sub: Plan | undefined) => sub && plan.same.push(sub);
  if (typeof s.$ref === 'string') {
    const target = resolveOnce(s.$ref, doc);
    if (target) add(planOf(target.schema, target.doc));
  }
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) for (const sub of (s[key] as Schema[] | undefined) ?? []) add(planOf(sub, doc));
  for (const key of ['then', 'else'] as const) if (s[key] && typeof s[key] === 'object') add(planOf(s[key], doc));
  const items = s.items;
  if (items && typeof items === 'object' && !Array.isArray(items)) plan.items = planOf(items, doc);
  const properties = (s.properties as Record<string, Schema> | undefined) ?? {};
  for (const key of Object.keys(properties)) plan.properties.set(key, planOf(properties[key], doc));
  const additional = s.additionalProperties;
  if (additional && typeof additional === 'object') plan.additional = planOf(additional, doc);
  return plan;
}

/**
 * Every string a kind's schema declares a duration, found by walking the value along its schema: a duration field added
 * to any schema later is checked without touching this module, at any depth of a recursive schema (nested routes).
 * The walk follows each schema's plan (planOf), so that a project's values pay no schema lookups.
 */
export function durationFields(value: unknown, root: Schema): { path: Path; text: string }[] {
  return walkDurations(value, root, () => true);
}

/**
 * The durations of `value` that `take` picks, each once, in the order the walk first meets them. The path walked is
 * one stack of keys, copied only for the durations taken: the check takes the invalid ones, and a project of 10,000
 * alerts has tens of thousands of valid durations and rarely one that is not.
 */
function walkDurations(value: unknown, root: Schema, take: (text: string) => boolean): { path: Path; text: string }[] {
  const found = new Map<string, { path: Path; text: string }>();
  const keys: (string | number)[] = [];
  const walk = (plan: Plan, v: unknown) => {
    if (plan.duration) {
      if (typeof v === 'string' && take(v)) {
        const path = keys.slice();
        // A value read by several schemas (oneOf, allOf) is met once per schema: listed once.
        const id = JSON.stringify(path);
        if (!found.has(id)) found.set(id, { path, text: v });
      }
      return;
    }
    for (const sub of plan.same) walk(sub, v);
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      const items = plan.items;
      if (!items) return;
      for (let i = 0; i < v.length; i++) {
        keys.push(i);
        walk(items, v[i]);
        keys.pop();
      }
      return;
    }
    const { properties, additional } = plan;
    const names = Object.keys(v);
    for (let i = 0; i < names.length; i++) {
      const key = names[i]!;
      const sub = properties.has(key) ? properties.get(key) : additional;
      if (!sub) continue;
      keys.push(key);
      walk(sub, (v as Record<string, unknown>)[key]);
      keys.pop();
    }
  };
  const plan = planOf(root, root);
  if (plan) walk(plan, value);
  return [...found.values()];
}

/**
 * Durations Prometheus and Alertmanager accept: the schema admits any run of `<n><unit>`, but model.ParseDuration
 * wants the units in order, once each, and the total within int64 nanoseconds — `for: 99999999999999999999y` would
 * otherwise pass validate and fail promtool, amtool or the running service.
 */
const isInvalid = (text: string): boolean => durationProblem(text) !== undefined;

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
      // Only the invalid durations are listed with their paths.
      for (const { path, text } of walkDurations(def.value, schema, isInvalid)) {
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
