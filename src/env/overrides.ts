import type { Diagnostic } from '../diagnostics.ts';
import type { Definition, Path } from '../load/definition.ts';
import { environmentNameOf } from '../load/index.ts';
import { closest } from '../util/closest.ts';
import { isPlainObject } from '../util/lookup.ts';

/**
 * An environment's view of the shared definitions: the Environment's overrides merged into copies of the definitions
 * they name, so that the same checks and emitters serve every environment without copying a file. A merged value
 * still points at its text — at the override in the Environment file where the override wrote it, at the shared
 * definition elsewhere — so a problem an override causes is reported where the override is.
 */
export interface EnvironmentView {
  definitions: Definition[];
  environment?: Definition;
  diagnostics: Diagnostic[];
}

type Json = Record<string, unknown>;

/** Where an override is grafted: `at` inside the shared definition, from `from` inside the Environment definition. */
interface Mount {
  at: Path;
  env: Definition;
  from: Path;
  tree: unknown;
}


/** The declared environments' names, each once, in declaration order. */
export function environmentNames(definitions: readonly Definition[]): string[] {
  return [...new Set(definitions.map(environmentNameOf).filter((n): n is string => n !== undefined))];
}

/** The (first) Environment definition of that name. */
export function findEnvironment(definitions: readonly Definition[], name: string): Definition | undefined {
  return definitions.find((d) => environmentNameOf(d) === name);
}

const isEnvironment = (def: Definition) => environmentNameOf(def) !== undefined;

/** Keys that would reach an object's prototype instead of its own properties if merged by assignment. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Paths (below `at`) of every prototype key in an override tree; such a tree is reported, never merged. */
function prototypeKeys(tree: unknown, at: Path): Path[] {
  const found: Path[] = [];
  const stack: { node: unknown; path: Path }[] = [{ node: tree, path: at }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (Array.isArray(node)) node.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
    else if (node !== null && typeof node === 'object')
      for (const [key, value] of Object.entries(node)) {
        if (PROTOTYPE_KEYS.has(key)) found.push([...path, key]);
        else stack.push({ node: value, path: [...path, key] });
      }
  }
  return found.reverse();
}

/**
 * Objects merge key by key, anything else (lists, scalars) replaces, and null removes the key. A secret reference
 * (`{ env }` or `{ file }`) replaces whole: merged, `{ env: A }` over `{ file: B }` would name two secrets at once.
 */
export function mergeOverride(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override) || isSecretReference(override)) return override;
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (PROTOTYPE_KEYS.has(key)) continue; // reported by applyEnvironment before any merge
    if (value === null) delete out[key];
    else out[key] = mergeOverride(base[key], value);
  }
  return out;
}

function isSecretReference(v: Json): boolean {
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'env' || keys[0] === 'file');
}

/** Project fields an Environment may set directly (not under `overrides`), merged like overrides. */
const PROJECT_FIELDS = ['scrapeInterval', 'evaluationInterval', 'externalLabels', 'relay'] as const;

export function applyEnvironment(definitions: readonly Definition[], name: string): EnvironmentView {
  const diagnostics: Diagnostic[] = [];
  const environment = findEnvironment(definitions, name);
  if (!environment) {
    const names = environmentNames(definitions);
    const near = closest(name, names);
    diagnostics.push({
      code: 'env/unknown',
      severity: 'error',
      message: `no Environment named "${name}"${names.length ? ` (declared: ${names.join(', ')})` : ' is declared'}`,
      hint: near ? `did you mean "${near}"?` : 'declare it with `kind: Environment` under monitoring/, or pass one with --environment-file',
    });
    return { definitions: [...definitions], diagnostics };
  }
  const env = environment.value as Json;
  const mounts = new Map<Definition, Mount[]>();
  const graft = (def: Definition, at: Path, from: Path, tree: unknown) => {
    const unsafe = prototypeKeys(tree, from);
    for (const keyPath of unsafe)
      diagnostics.push({
        code: 'env/override',
        severity: 'error',
        message: `environment "${name}" sets the key "${keyPath[keyPath.length - 1]}", which cannot be merged: it names a property of every JavaScript object`,
        span: environment.locateKey(keyPath),
        hint: 'remove or rename the key; no Vigil field is called __proto__, constructor or prototype',
      });
    if (unsafe.length > 0) return;
    const list = mounts.get(def) ?? [];
    list.push({ at, env: environment, from, tree });
    mounts.set(def, list);
  };

  const project = definitions.find((d) => isPlainObject(d.value) && d.value.kind === 'Project');
  if (project) {
    for (const field of PROJECT_FIELDS) if (env[field] !== undefined) graft(project, [field], [field], env[field]);
    const grafana = env.grafana;
    if (isPlainObject(grafana) && typeof grafana.folder === 'string') graft(project, ['grafana', 'folder'], ['grafana', 'folder'], grafana.folder);
  }

  const overrides = isPlainObject(env.overrides) ? env.overrides : {};
  const byName = (kind: string, listKey: string, nameKey: string, section: string, noun: string) => {
    const wanted = overrides[section];
    if (!isPlainObject(wanted)) return;
    const index = new Map<string, { def: Definition; path: Path }>();
    for (const def of definitions) {
      const v = def.value;
      if (!isPlainObject(v) || v.kind !== kind) continue;
      const list = listKey ? v[listKey] : [v];
      if (!Array.isArray(list)) continue;
      list.forEach((item, i) => {
        if (isPlainObject(item) && typeof item[nameKey] === 'string' && !index.has(item[nameKey] as string))
          index.set(item[nameKey] as string, { def, path: listKey ? [listKey, i] : [] });
      });
    }
    for (const [key, tree] of Object.entries(wanted)) {
      const target = index.get(key);
      const from: Path = ['overrides', section, key];
      if (!target) {
        const near = closest(key, [...index.keys()]);
        diagnostics.push({
          code: 'env/override',
          severity: 'error',
          message: `environment "${name}" overrides ${noun} "${key}", which no definition declares`,
          span: environment.locateKey(from),
          hint: near ? `did you mean "${near}"?` : `overrides change existing ${noun}s; declare new ones in the shared definitions`,
        });
        continue;
      }
      if (isPlainObject(tree) && nameKey in tree && tree[nameKey] !== key) {
        diagnostics.push({
          code: 'env/override',
          severity: 'error',
          message: `an override cannot rename ${noun} "${key}"`,
          span: environment.locate([...from, nameKey]),
          hint: 'overrides are matched by name; remove the name field',
        });
        continue;
      }
      if (kind === 'Dashboard' && target.def.origin === 'ts') {
        diagnostics.push({
          code: 'env/override',
          severity: 'error',
          message: `dashboard "${key}" is defined in TypeScript; overrides apply to YAML dashboards only`,
          span: environment.locateKey(from),
          hint: 'read the environment in the TypeScript definition instead (process.env) or move the difference into a variable',
        });
        continue;
      }
      graft(target.def, target.path, from, tree);
    }
  };
  byName('AlertRules', 'alerts', 'name', 'alerts', 'alert');
  byName('RecordingRules', 'rules', 'record', 'recordingRules', 'recording rule');
  byName('Receivers', 'receivers', 'name', 'receivers', 'receiver');
  byName('Dashboard', '', 'uid', 'dashboards', 'dashboard');
  if (isPlainObject(overrides.routes)) {
    const routes = definitions.find((d) => isPlainObject(d.value) && d.value.kind === 'Routes');
    if (routes) graft(routes, [], ['overrides', 'routes'], overrides.routes);
    else
      diagnostics.push({
        code: 'env/override',
        severity: 'error',
        message: `environment "${name}" overrides routes, but no Routes definition exists`,
        span: environment.locateKey(['overrides', 'routes']),
        hint: 'declare a Routes definition in the shared definitions',
      });
  }

  // Rule tests prove the shared definitions (`vigil test`); an environment's build deploys, it does not test.
  const result = definitions
    .filter((d) => (!isEnvironment(d) || d === environment) && !(isPlainObject(d.value) && d.value.kind === 'RuleTests'))
    .map((d) => {
      const list = mounts.get(d);
      return list ? overlay(d, list) : d;
    });
  return { definitions: result, environment, diagnostics };
}

function setAt(value: unknown, at: Path, tree: unknown): unknown {
  if (at.length === 0) return mergeOverride(value, tree);
  const [head, ...rest] = at;
  if (Array.isArray(value) && typeof head === 'number') {
    const copy = value.slice();
    copy[head] = setAt(copy[head], rest, tree);
    return copy;
  }
  const obj = isPlainObject(value) ? value : {};
  return { ...obj, [head as string]: setAt(obj[head as string], rest, tree) };
}

/** A copy of `def` with the overrides merged in; positions inside an override resolve to the Environment file. */
function overlay(def: Definition, mounts: Mount[]): Definition {
  let value = def.value;
  for (const m of mounts) value = setAt(value, m.at, m.tree);
  const route = (path: Path): { env: Definition; path: Path } | undefined => {
    for (const m of mounts) {
      if (m.at.length > path.length || m.at.some((seg, i) => path[i] !== seg)) continue;
      const rest = path.slice(m.at.length);
      let node: unknown = m.tree;
      let inside = true;
      for (const seg of rest) {
        if (!isPlainObject(node)) break; // a replaced list or value: everything below it is the override's text
        if (!(String(seg) in node)) {
          inside = false;
          break;
        }
        node = node[String(seg)];
      }
      if (inside) return { env: m.env, path: [...m.from, ...rest] };
    }
    return undefined;
  };
  return {
    ...def,
    value,
    fileAt: (path) => route(path)?.env.file ?? def.file,
    locate: (path) => {
      const r = route(path);
      return r ? r.env.locate(r.path) : def.locate(path);
    },
    locateKey: (path) => {
      const r = route(path);
      return r ? r.env.locateKey(r.path) : def.locateKey(path);
    },
    locateInString: (path, start, end) => {
      const r = route(path);
      return r ? r.env.locateInString(r.path, start, end) : def.locateInString(path, start, end);
    },
  };
}
