// durationFields follows a plan made once per schema (planOf) instead of reading the schema at every value: the same
// fields, texts and order as the walk it replaced, kept here as the reference, over random values of every kind's
// schema — filled along the schema, with wrong types, extra keys, `__proto__` keys and hostile text.
import { describe, expect, it } from 'vitest';
import type { Path } from '../load/definition.ts';
import { COMMON_SCHEMA, KIND_SCHEMAS } from '../spec/schemas.ts';
import { durationFields } from './duration-range.ts';

type Schema = Record<string, unknown>;
const DURATION_REF = 'common.schema.json#/definitions/duration';

function resolve(ref: string, doc: Schema): { schema: Schema; doc: Schema } | undefined {
  const [file, pointer = ''] = ref.split('#');
  const target = !file ? doc : file === 'common.schema.json' ? (COMMON_SCHEMA as Schema) : undefined;
  let node: unknown = target;
  for (const seg of pointer.split('/').filter(Boolean)) node = (node as Schema | undefined)?.[seg];
  return target && node && typeof node === 'object' ? { schema: node as Schema, doc: target } : undefined;
}

/** The walk before: the schema read at every value (its reachability decided the same way, without memos). */
function referenceFields(value: unknown, root: Schema): { path: Path; text: string }[] {
  const deciding = new Set<Schema>();
  const reachable = new Map<Schema, boolean>();
  const mayHold = (schema: Schema, doc: Schema): boolean => {
    if (reachable.has(schema)) return reachable.get(schema)!;
    if (deciding.has(schema)) return true;
    deciding.add(schema);
    const reaches = (sub: unknown, subDoc = doc) => Boolean(sub) && typeof sub === 'object' && !Array.isArray(sub) && mayHold(sub as Schema, subDoc);
    let result: boolean;
    if (schema.$ref === DURATION_REF) result = true;
    else {
      const target = typeof schema.$ref === 'string' ? resolve(schema.$ref, doc) : undefined;
      result =
        (target !== undefined && mayHold(target.schema, target.doc)) ||
        (['oneOf', 'anyOf', 'allOf'] as const).some((key) => ((schema[key] as Schema[] | undefined) ?? []).some((sub) => reaches(sub))) ||
        reaches(schema.then) ||
        reaches(schema.else) ||
        reaches(schema.items) ||
        Object.values((schema.properties as Record<string, Schema> | undefined) ?? {}).some((sub) => reaches(sub)) ||
        reaches(schema.additionalProperties);
    }
    deciding.delete(schema);
    reachable.set(schema, result);
    return result;
  };
  const found = new Map<string, { path: Path; text: string }>();
  const walk = (schema: Schema, v: unknown, path: Path, doc: Schema) => {
    if (!mayHold(schema, doc)) return;
    const ref = schema.$ref;
    if (ref === DURATION_REF) {
      if (typeof v === 'string') found.set(JSON.stringify(path), { path, text: v });
      return;
    }
    if (typeof ref === 'string') {
      const target = resolve(ref, doc);
      if (target) walk(target.schema, v, path, target.doc);
    }
    for (const key of ['oneOf', 'anyOf', 'allOf'] as const) for (const sub of (schema[key] as Schema[] | undefined) ?? []) walk(sub, v, path, doc);
    for (const key of ['then', 'else'] as const) if (schema[key] && typeof schema[key] === 'object') walk(schema[key] as Schema, v, path, doc);
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      const items = schema.items;
      if (items && typeof items === 'object' && !Array.isArray(items) && mayHold(items as Schema, doc)) v.forEach((item, i) => walk(items as Schema, item, [...path, i], doc));
      return;
    }
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    const additional = schema.additionalProperties;
    for (const key of Object.keys(v)) {
      const sub = Object.hasOwn(properties, key) ? properties[key] : additional && typeof additional === 'object' ? (additional as Schema) : undefined;
      if (sub && mayHold(sub, doc)) walk(sub, (v as Record<string, unknown>)[key], [...path, key], doc);
    }
  };
  walk(root, value, [], root);
  return [...found.values()];
}

function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

const TEXTS = ['5m', '1h30m', '30m1h', '', '99999999999999999999y', 'x: y', '# c', '"q"', 'line\nbreak', '告警', '__proto__', '0'];
const KEYS = ['__proto__', 'constructor', 'for', 'groupWait', 'routes', 'extra', '告警'];

/** A random value along `schema`: mostly what it declares, sometimes anything. */
function valueOf(schema: unknown, doc: Schema, rand: () => number, depth: number): unknown {
  const text = () => TEXTS[Math.floor(rand() * TEXTS.length)]!;
  if (depth > 10 || !schema || typeof schema !== 'object' || rand() < 0.05) {
    const r = rand();
    return r < 0.6 ? text() : r < 0.7 ? 7 : r < 0.8 ? null : r < 0.9 ? [text()] : { for: text() };
  }
  const s = schema as Schema;
  if (s.$ref === DURATION_REF) return rand() < 0.9 ? text() : 5;
  if (typeof s.$ref === 'string') {
    const target = resolve(s.$ref, doc);
    return target ? valueOf(target.schema, target.doc, rand, depth + 1) : text();
  }
  const branches = [...((s.oneOf ?? s.anyOf ?? s.allOf ?? []) as Schema[]), ...[s.then, s.else].filter(Boolean)];
  if (branches.length && rand() < 0.8) {
    const picked = valueOf(branches[Math.floor(rand() * branches.length)], doc, rand, depth + 1);
    // Sometimes a second branch's fields too (allOf, if/then/else).
    const other = valueOf(branches[Math.floor(rand() * branches.length)], doc, rand, depth + 1);
    return picked && other && typeof picked === 'object' && typeof other === 'object' && !Array.isArray(picked) && !Array.isArray(other) && rand() < 0.5 ? { ...other, ...picked } : picked;
  }
  if (s.items && typeof s.items === 'object') return Array.from({ length: Math.floor(rand() * 3) }, () => valueOf(s.items, doc, rand, depth + 1));
  if (s.properties || s.additionalProperties) {
    const out: Record<string, unknown> = {};
    for (const [k, sub] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) if (rand() < 0.7) out[k] = valueOf(sub, doc, rand, depth + 1);
    const extras = rand() < 0.3 ? 1 + Math.floor(rand() * 2) : 0;
    for (let i = 0; i < extras; i++) {
      Object.defineProperty(out, KEYS[Math.floor(rand() * KEYS.length)]!, { value: valueOf(s.additionalProperties ?? {}, doc, rand, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return text();
}

describe('durationFields', () => {
  it.each(Object.entries(KIND_SCHEMAS))('%s: the fields, texts and order of the per-value walk (300 random values)', (_, schema) => {
    const rand = random(schema ? JSON.stringify(schema).length : 1);
    let found = 0;
    for (let n = 0; n < 300; n++) {
      const value = valueOf(schema, schema as Schema, rand, 0);
      const expected = referenceFields(value, schema as Schema);
      found += expected.length;
      expect(durationFields(value, schema as Schema)).toEqual(expected);
    }
    // Kinds with durations find some.
    if (JSON.stringify(schema).includes('definitions/duration')) expect(found).toBeGreaterThan(0);
  });
});
