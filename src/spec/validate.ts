import { pointerToPath } from '../util/json-pointer.ts';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Diagnostic } from '../diagnostics.ts';
import type { Definition, Path } from '../load/definition.ts';
import { closest } from '../util/closest.ts';
import { KIND_BY_NAME, KINDS, type KindName } from './kinds.ts';
import { SDK_DASHBOARD_KEY } from './sdk.ts';
import { sdkDashboardShapeProblems } from './sdk-dashboard-shape.ts';
// Precompiled from the schemas by `npm run gen:types` (src/spec/gen-validators.ts).
import precompiled from './validators.gen.cjs';

export interface TypedDefinition {
  kind: KindName;
  def: Definition;
}

export { SDK_DASHBOARD_KEY };

function compiledValidators(): Map<KindName, ValidateFunction> {
  return new Map(KINDS.map((k) => [k.kind, (precompiled as Record<string, ValidateFunction>)[k.kind]!]));
}

/**
 * Outcomes of earlier validations: the kind of a definition known to conform (its value is one validated before),
 * and a way to remember one that conforms now. Only conforming definitions are remembered: a problem is always
 * found again, with its place.
 */
export interface KnownConforming {
  kindOf(def: Definition): KindName | undefined;
  remember(def: Definition, kind: KindName): void;
  /** Called once every definition was looked at: what was remembered may be kept now. */
  done(): void;
}

/**
 * Conforming definitions remembered by identity, in front of `next`: the compiles of one project (the shared
 * definitions, then each environment's view of them) share every definition no override touches, and a definition's
 * value does not change once loaded.
 */
export function conformingByIdentity(seen: WeakMap<Definition, KindName>, next?: KnownConforming): KnownConforming {
  return {
    kindOf: (def) => next?.kindOf(def) ?? seen.get(def),
    remember: (def, kind) => {
      seen.set(def, kind);
      next?.remember(def, kind);
    },
    done: () => next?.done(),
  };
}

/** Checks every definition against the JSON Schema of its kind; returns the ones that conform. */
export function validateDefinitions(definitions: readonly Definition[], known?: KnownConforming): { valid: TypedDefinition[]; diagnostics: Diagnostic[] } {
  const valid: TypedDefinition[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const def of definitions) {
    const kind = known?.kindOf(def);
    if (kind !== undefined) {
      valid.push({ kind, def });
      continue;
    }
    const problems = validateDefinition(def);
    if (problems.diagnostics.length === 0 && problems.kind) {
      valid.push({ kind: problems.kind, def });
      known?.remember(def, problems.kind);
    }
    diagnostics.push(...problems.diagnostics);
  }
  known?.done();
  return { valid, diagnostics };
}

function validateDefinition(def: Definition): { kind?: KindName; diagnostics: Diagnostic[] } {
  const value = def.value as Record<string, unknown> | null;
  const at = (p: Path) => def.locate(p);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { diagnostics: [schemaDiag('a definition must be a mapping with apiVersion and kind', at([]), 'start the document with `apiVersion: vigil/v1` and `kind: …`')] };
  }
  const kindNames = KINDS.map((k) => k.kind);
  if (typeof value.kind !== 'string' || !KIND_BY_NAME.has(value.kind)) {
    const got = typeof value.kind === 'string' ? `unknown kind "${value.kind}"` : 'missing kind';
    const guess = typeof value.kind === 'string' ? closest(value.kind, kindNames) : undefined;
    return {
      diagnostics: [
        schemaDiag(`${got}; expected one of ${kindNames.join(', ')}`, value.kind === undefined ? at([]) : at(['kind']), guess ? `did you mean ${guess}?` : undefined),
      ],
    };
  }
  const kind = value.kind as KindName;
  if (kind === 'Dashboard' && SDK_DASHBOARD_KEY in value) {
    const hint = def.origin === 'ts' ? 'pass defineDashboard() a DashboardBuilder whose build() returns the dashboard' : undefined;
    return { kind, diagnostics: sdkDashboardShapeProblems(value[SDK_DASHBOARD_KEY]).map((p) => schemaDiag(`${formatPath(p.path)}: ${p.message}`, at(p.path), hint)) };
  }
  const validate = compiledValidators().get(kind)!;
  if (validate(value)) return { kind, diagnostics: [] };
  return { kind, diagnostics: describeErrors(def, validate.errors ?? []) };
}

function schemaDiag(message: string, span: Diagnostic['span'], hint?: string, code = 'schema'): Diagnostic {
  return { code, severity: 'error', message, span, ...(hint ? { hint } : {}) };
}

export function formatPath(p: readonly (string | number)[]): string {
  let out = '';
  for (const seg of p) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out || '(document)';
}

const SECRET_REF = 'common.schema.json#/definitions/secretRef';

/** Turns ajv's errors into one readable diagnostic per problem, positioned at the offending node. */
function describeErrors(def: Definition, errors: ErrorObject[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  // A failed `oneOf` reports every branch's errors too; report the oneOf once instead.
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
  // A failed if/then/else reports the failing branch's errors, then `must match "else" schema` at the same place:
  // the branch's errors say what is wrong, so the wrapper is said only when no error at or under its place is.
  const wrappers = errors.filter((e) => e.keyword === 'if' && errors.some((o) => o.keyword !== 'if' && atOrUnder(o.instancePath, e.instancePath)));
  for (const e of errors) {
    const inOneOf = oneOfPaths.some((p) => e.keyword !== 'oneOf' && atOrUnder(e.instancePath, p) && e.schemaPath.includes('oneOf'));
    if (inOneOf || wrappers.includes(e)) continue;
    const p = pointerToPath(e.instancePath);
    const where = formatPath(p);
    let d: Diagnostic;
    if (e.keyword === 'oneOf' && e.schemaPath.startsWith(SECRET_REF)) {
      if (typeof e.data === 'string') {
        d = { ...schemaDiag(`${where}: a secret must not be written in a definition`, def.locate(p), `reference it instead: { env: VARIABLE_NAME } or { file: /path/to/secret }`, 'secret/literal'), conceal: true };
      } else {
        d = schemaDiag(`${where}: must be a secret reference { env: NAME } or { file: /absolute/path }`, def.locate(p), 'exactly one of env or file');
      }
    } else if (e.keyword === 'additionalProperties') {
      const field = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      const guess = closest(field, known);
      d = schemaDiag(
        `${where === '(document)' ? '' : where + ': '}unknown field "${field}"`,
        def.locateKey([...p, field]),
        guess ? `did you mean "${guess}"?` : known.length ? `allowed fields: ${known.join(', ')}` : undefined,
      );
    } else if (e.keyword === 'required') {
      const field = String((e.params as { missingProperty: string }).missingProperty);
      d = schemaDiag(`${where === '(document)' ? '' : where + ': '}missing required field "${field}"`, p.length ? def.locateKey(p) : def.locate(['kind']), `add "${field}"`);
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v));
      const guess = typeof e.data === 'string' ? closest(e.data, allowed.map((a) => JSON.parse(a) as string)) : undefined;
      d = schemaDiag(`${where}: ${JSON.stringify(e.data)} is not one of ${allowed.join(', ')}`, def.locate(p), guess ? `did you mean "${guess}"?` : undefined);
    } else if (e.keyword === 'const') {
      const allowed = (e.params as { allowedValue: unknown }).allowedValue;
      d = schemaDiag(`${where}: must be ${JSON.stringify(allowed)}, got ${JSON.stringify(e.data)}`, def.locate(p));
    } else if (e.keyword === 'pattern') {
      d = patternDiag(def, p, where, e);
    } else if (e.keyword === 'type') {
      const expected = article([(e.params as { type: string | string[] }).type].flat().join(' or '));
      // The other choice of an `if: { const: … }` here (`alert: false` or the alert's fields) is worth saying.
      const choice = wrappers.find((w) => w.instancePath === e.instancePath && typeof w.schema === 'object' && w.schema !== null && 'const' in w.schema)?.schema as { const: unknown } | undefined;
      const described = (e.parentSchema as { description?: string } | undefined)?.description;
      const hint = choice ? `write ${JSON.stringify(choice.const)} here, or ${expected}${described ? ` (${described.charAt(0).toLowerCase()}${described.slice(1).replace(/\.$/, '')})` : ''}` : undefined;
      d = schemaDiag(`${where}: must be ${expected}, got ${describeValue(e.data)}`, def.locate(p), hint);
    } else if (e.keyword === 'minLength' || e.keyword === 'minItems' || e.keyword === 'minProperties') {
      const limit = (e.params as { limit: number }).limit;
      const what = e.keyword === 'minLength' ? 'character' : e.keyword === 'minItems' ? 'item' : 'entry';
      d = schemaDiag(limit === 1 ? `${where}: must not be empty` : `${where}: needs at least ${limit} ${what}s`, def.locate(p));
    } else if (e.keyword === 'maxLength') {
      // Limits keep every name usable as a file name and every text within what the later stages handle quickly.
      const limit = (e.params as { limit: number }).limit;
      const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
      const value = propertyName ?? (typeof e.data === 'string' ? e.data : '');
      const span = propertyName !== undefined ? def.locateKey([...p, propertyName]) : def.locate(p);
      d = schemaDiag(`${where}: ${shownValue(value)} is ${value.length} characters long, more than the ${limit} allowed`, span, `shorten it to at most ${limit} characters`);
    } else if (e.keyword === 'maximum' || e.keyword === 'minimum') {
      const { comparison, limit } = e.params as { comparison: string; limit: number };
      d = schemaDiag(`${where}: must be ${comparison} ${limit}, got ${JSON.stringify(e.data)}`, def.locate(p));
    } else if (e.keyword === 'uniqueItems') {
      const { i, j } = e.params as { i: number; j: number };
      d = schemaDiag(`${where}: items ${j} and ${i} are the same; list each value once`, def.locate([...p, i]));
    } else if (e.keyword === 'propertyNames') {
      continue; // reported by the nested `pattern` error on the offending name
    } else {
      d = schemaDiag(`${where}: ${e.message ?? 'is invalid'}`, def.locate(p));
    }
    const key = `${d.code}|${d.message}|${d.span?.start}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}

/** A value as quoted in a message: long ones cut, so one hostile value cannot make the report huge. */
function shownValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 60)}…"` : text;
}

function patternDiag(def: Definition, p: (string | number)[], where: string, e: ErrorObject): Diagnostic {
  const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
  const value = propertyName ?? e.data;
  const span = propertyName !== undefined ? def.locateKey([...p, propertyName]) : def.locate(p);
  if (e.schemaPath.includes('duration')) {
    return schemaDiag(`${where}: ${shownValue(value)} is not a Prometheus duration`, span, 'write durations like 30s, 5m, 1h30m (units ms, s, m, h, d, w, y)');
  }
  if (e.schemaPath.includes('labels') || e.schemaPath.includes('annotations') || e.schemaPath.includes('labelName')) {
    return schemaDiag(`${where}: ${shownValue(value)} is not a valid label name`, span, 'label names match [a-zA-Z_][a-zA-Z0-9_]*');
  }
  const pattern = (e.params as { pattern: string }).pattern;
  const described = (e.parentSchema as { description?: string } | undefined)?.description;
  return schemaDiag(`${where}: ${shownValue(value)} does not match ${pattern}`, span, described ?? `write a value that ${pattern} accepts`);
}

const atOrUnder = (path: string, parent: string): boolean => path === parent || path.startsWith(parent + '/');

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  // YAML's .nan and .inf parse to numbers that JSON cannot show (JSON.stringify(NaN) is "null").
  if (typeof v === 'number' && !Number.isFinite(v)) return `${yamlNumber(v)}, which is not a finite number`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

function yamlNumber(v: number): string {
  return Number.isNaN(v) ? '.nan (NaN)' : v > 0 ? '.inf (Infinity)' : '-.inf (-Infinity)';
}
