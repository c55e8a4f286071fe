import type { FunctionUse } from './types.ts';

/** A range of the original expression (facts.ts's Located). */
interface At {
  readonly start: number;
  readonly end: number;
}

/**
 * The small located objects the analyses keep, one frozen copy per value however many analyses hold it: a project's
 * expressions repeat their shapes, so the same name lies at the same offsets in thousands of them (`sum by (service)
 * (rate(` …). The cold build keeps every analysis, and the collector copies each object kept (twice, while it is
 * young): one shared object is copied once. They are read only (frozen, so a write throws). Offsets beyond the tables
 * and objects beyond the bound are made afresh.
 */
const MAX_START = 4096;
const MAX_LENGTH = 256;
const MAX_OBJECTS = 200_000;
let objects = 0;

/** Rows by start, columns by length: no hashing of two numbers. */
type Table<T> = (T | undefined)[][];

function row<T>(table: Table<T>, start: number): (T | undefined)[] {
  let r = table[start];
  if (!r) r = table[start] = [];
  return r;
}

const inTables = (start: number, end: number) => start >= 0 && start < MAX_START && end >= start && end - start < MAX_LENGTH && objects < MAX_OBJECTS;

const LOCATED: Table<At> = [];

/** `{ start, end }`. */
export function located(start: number, end: number): At {
  if (!inTables(start, end)) return { start, end };
  const r = row(LOCATED, start);
  let known = r[end - start];
  if (!known) {
    known = r[end - start] = Object.freeze({ start, end });
    objects++;
  }
  return known;
}

const LOCATED_NAMES = new Map<string, Table<At & { readonly name: string }>>();

/** `{ start, end, name }` (a name as facts.ts keeps it: a call, a grouping label). */
export function locatedName(start: number, end: number, name: string): At & { name: string } {
  if (!inTables(start, end)) return { start, end, name };
  let table = LOCATED_NAMES.get(name);
  if (!table) LOCATED_NAMES.set(name, (table = []));
  const r = row(table, start);
  let known = r[end - start];
  if (!known) {
    known = r[end - start] = Object.freeze({ start, end, name });
    objects++;
  }
  return known as At & { name: string };
}

const FUNCTION_USES = new Map<string, Table<FunctionUse>>();

/** `{ name, start, end }`: a function call the analysis lists. */
export function functionUse(name: string, start: number, end: number): FunctionUse {
  if (!inTables(start, end)) return { name, start, end };
  let table = FUNCTION_USES.get(name);
  if (!table) FUNCTION_USES.set(name, (table = []));
  const r = row(table, start);
  let known = r[end - start];
  if (!known) {
    known = r[end - start] = Object.freeze({ name, start, end });
    objects++;
  }
  return known;
}
