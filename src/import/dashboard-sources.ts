/**
 * The dashboards in the files `vigil import dashboards` is given: a dashboard's JSON (bare, or Grafana's export format
 * with `__inputs`), or Kubernetes YAML/JSON — a ConfigMap whose data holds dashboard JSON files, a ConfigMapList or
 * List of them, several documents of these. Every problem is located (file:line:col, inside the ConfigMap's string
 * when the JSON in it is broken); a file with a problem yields no dashboard.
 */
import type { Diagnostic, Span } from '../diagnostics.ts';
import { jsonErrorOffset, parseJson } from '../load/dashboard-json-files.ts';
import type { Definition, Path } from '../load/definition.ts';
import { loadYaml } from '../load/yaml.ts';
import { isPlainObject } from '../util/lookup.ts';

export interface RawDashboard {
  /** The dashboard JSON as it was written. */
  json: Record<string, unknown>;
  /** The input file, and where in it (`items[3].data["apiserver.json"]`) when it is not the whole file. */
  from: { file: string; where?: string };
  span: Span;
}

const LIST_KINDS = new Set(['List', 'ConfigMapList']);

export function readDashboardSource(file: string, text: string): { dashboards: RawDashboard[]; diagnostics: Diagnostic[] } {
  const dashboards: RawDashboard[] = [];
  const diagnostics: Diagnostic[] = [];
  const problem = (message: string, span: Span, hint: string) => diagnostics.push({ code: 'import/input', severity: 'error', message, span, hint });

  // JSON, unless it is several documents of YAML (a JSON manifest per `---` document).
  if (/^\s*[[{]/.test(text) && !/^---/m.test(text)) {
    const parsed = parseJson(file, text);
    if ('error' in parsed) return { dashboards, diagnostics: [{ ...parsed.error, code: 'import/json' }] };
    if (!isPlainObject(parsed.value) || typeof parsed.value.kind !== 'string') {
      const dashboard = asDashboard(parsed.value);
      if (dashboard) dashboards.push({ json: dashboard, from: { file }, span: { file, start: 0, end: 1 } });
      else problem('not a Grafana dashboard: a dashboard is a JSON object with panels (or legacy rows)', { file, start: 0, end: 1 }, 'give the dashboard JSON Grafana exports (Share → Export), or a ConfigMap holding it');
      return { dashboards, diagnostics };
    }
  }
  // Kubernetes manifests (JSON is YAML too): positions come from the YAML reader.
  const loaded = loadYaml(file, text);
  for (const d of loaded.diagnostics) diagnostics.push({ ...d, code: d.code === 'yaml/syntax' ? 'import/yaml' : d.code });
  for (const def of loaded.definitions) readManifest(def, [], dashboards, problem);
  return { dashboards: diagnostics.length ? [] : dashboards, diagnostics };
}

type Problem = (message: string, span: Span, hint: string) => void;

function readManifest(def: Definition, path: Path, out: RawDashboard[], problem: Problem): void {
  const value = valueAt(def.value, path);
  const kind = isPlainObject(value) ? value.kind : undefined;
  if (isPlainObject(value) && typeof kind === 'string' && LIST_KINDS.has(kind)) {
    const items = value.items;
    if (!Array.isArray(items)) return problem(`a ${kind} needs items (a list of ConfigMaps)`, def.locate([...path, 'kind']), 'list the ConfigMaps under items:');
    items.forEach((_, i) => readManifest(def, [...path, 'items', i], out, problem));
    return;
  }
  if (kind !== 'ConfigMap') {
    const got = typeof kind === 'string' ? `kind ${kind}` : isPlainObject(value) ? 'a mapping without kind' : 'not a mapping';
    return problem(`not a Grafana dashboard, ConfigMap or ConfigMapList (${got})`, def.locate(typeof kind === 'string' ? [...path, 'kind'] : path), 'give dashboard JSON files, or the ConfigMaps that provision them (data: { name.json: <dashboard JSON> })');
  }
  const data = (value as Record<string, unknown>).data;
  const keys = isPlainObject(data) ? Object.keys(data).filter((k) => k.endsWith('.json')) : [];
  if (keys.length === 0) return problem('this ConfigMap holds no dashboard (no data key ending in .json)', def.locate([...path, 'kind']), 'a dashboard ConfigMap has data: { name.json: <dashboard JSON> }');
  const name = isPlainObject((value as Record<string, unknown>).metadata) ? String(((value as Record<string, unknown>).metadata as Record<string, unknown>).name ?? '') : '';
  for (const key of keys) {
    const at: Path = [...path, 'data', key];
    const text = (data as Record<string, unknown>)[key];
    const where = `${name ? `ConfigMap ${name} ` : ''}data["${key}"]`;
    if (typeof text !== 'string') {
      problem(`${where}: must be the dashboard JSON as a string`, def.locate(at), 'write the JSON as a block string (key.json: |)');
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      const offset = Math.max(0, jsonErrorOffset(text));
      const reason = (e as Error).message.replace(/ in JSON at position \d+[\s\S]*$/, '').replace(/, (?:\.\.\.)?"[\s\S]*$/, '');
      problem(`${where}: invalid JSON: ${reason}`, def.locateInString(at, offset, offset + 1), 'fix the JSON syntax (a missing comma or quote, or a trailing comma, is the usual cause)');
      continue;
    }
    const dashboard = asDashboard(json);
    if (!dashboard) {
      problem(`${where}: not a Grafana dashboard (a JSON object with panels, or legacy rows)`, def.locate(at), 'keep only dashboard JSON files in the ConfigMaps given');
      continue;
    }
    out.push({ json: dashboard, from: { file: def.file, where }, span: def.locate(at) });
  }
}

function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const seg of path) v = isPlainObject(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[seg] : undefined;
  return v;
}

/** The dashboard itself: the JSON, or the `dashboard` of Grafana's HTTP API answer ({ dashboard, meta }). */
function asDashboard(value: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) return undefined;
  if (Array.isArray(value.panels) || Array.isArray(value.rows)) return value;
  if (isPlainObject(value.dashboard) && (Array.isArray(value.dashboard.panels) || Array.isArray(value.dashboard.rows))) return value.dashboard;
  return undefined;
}
