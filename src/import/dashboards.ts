/**
 * `vigil import dashboards`: Grafana dashboards in, a Vigil project out. Each dashboard becomes a Dashboard definition
 * (dashboards/<uid>.yaml): declarative where Vigil's build of it gives the dashboard back (panels Vigil models as
 * declarative panels, the rest of their Grafana JSON beside them, other panels as JSON), else carrying its Grafana
 * JSON (dashboards/<uid>.json) as it was, so nothing is lost either way. Only what Grafana's export adds (`__inputs`,
 * `__requires`) is resolved, the datasource inputs becoming Vigil's datasource. The metrics the queries read become a
 * catalogue, as for rules. Pure: files in, files out.
 */
import type { Diagnostic } from '../diagnostics.ts';
import { DEFAULT_DATASOURCE_UID, UID_PATTERN } from '../emit/grafana-dashboards.ts';
import { declarativeDashboard } from './dashboard-declarative.ts';
import { promqlTargetsOf } from '../model/kinds/dashboard.ts';
import { resolveExportInputs } from '../spec/dashboard-json.ts';
import { isPlainObject } from '../util/lookup.ts';
import { inferCatalogueOf, type CatalogueExpression } from './catalogue.ts';
import type { ImportNote } from './fold.ts';
import { readDashboardSource, type RawDashboard } from './dashboard-sources.ts';
import { projectSkeleton, yamlFile, type ImportedFile } from './skeleton.ts';

export interface ImportedDashboard {
  uid: string;
  /** The dashboard as the definition carries it (export inputs resolved): what a build must reproduce. */
  json: Record<string, unknown>;
  from: RawDashboard['from'];
}

export interface DashboardsImport {
  files: ImportedFile[];
  notes: ImportNote[];
  diagnostics: Diagnostic[];
  dashboards: ImportedDashboard[];
  /** `declarative`: dashboards written as declarative definitions, and their panels written as declarative panels. */
  counts: { dashboards: number; panels: number; queries: number; declarative: number; declarativePanels: number };
}

export function importDashboards(inputs: readonly { file: string; text: string }[]): DashboardsImport {
  const diagnostics: Diagnostic[] = [];
  const raw: RawDashboard[] = [];
  for (const input of inputs) {
    const read = readDashboardSource(input.file, input.text);
    diagnostics.push(...read.diagnostics);
    raw.push(...read.dashboards);
  }
  const counts = { dashboards: 0, panels: 0, queries: 0, declarative: 0, declarativePanels: 0 };
  if (diagnostics.some((d) => d.severity === 'error')) return { files: [], notes: [], diagnostics, dashboards: [], counts };

  const notes: ImportNote[] = [];
  const taken = new Set<string>();
  const dashboards: ImportedDashboard[] = [];
  const files: ImportedFile[] = [];
  for (const r of raw) {
    const json = structuredClone(r.json);
    const inputs = resolveExportInputs(json);
    const shown = `${r.from.file}${r.from.where ? ` ${r.from.where}` : ''}`;
    if (inputs.length) notes.push({ kind: 'inferred', message: `${shown}: datasource input${inputs.length === 1 ? '' : 's'} ${inputs.map((i) => `\${${i}}`).join(', ')} became the project's datasource` });
    const uid = uniqueUid(json, r, taken, notes);
    // Instance-local fields: Grafana assigns them; the uid is the definition's.
    delete json.id;
    delete json.version;
    delete json.uid;
    dashboards.push({ uid, json, from: r.from });
    const declarative = declarativeDashboard(json, uid, DEFAULT_DATASOURCE_UID);
    if ('spec' in declarative) {
      const { declarative: n, json: carried } = declarative.panels;
      const comment = `Imported from ${shown}: ${n} panel${n === 1 ? '' : 's'} declarative${carried ? `, ${carried} carried as Grafana JSON (json:)` : ''}. "grafana:" holds the Grafana JSON Vigil does not model.`;
      files.push({ path: `dashboards/${uid}.yaml`, content: yamlFile(comment, [declarative.spec]) });
      counts.declarative++;
      counts.declarativePanels += n;
    } else {
      notes.push({ kind: 'review', message: `${shown}: carried as Grafana JSON (${uid}.json): ${declarative.reason}` });
      files.push({ path: `dashboards/${uid}.json`, content: `${JSON.stringify(json, null, 2)}\n` });
      files.push({ path: `dashboards/${uid}.yaml`, content: yamlFile(`Imported from ${shown}. The Grafana JSON is carried as it is: edit ${uid}.json.`, [{ apiVersion: 'vigil/v1', kind: 'Dashboard', uid, json: `./${uid}.json` }]) });
    }
    const panels = panelsOf(json);
    counts.dashboards++;
    counts.panels += panels.length;
    counts.queries += panels.reduce((n, p) => n + (Array.isArray(p.targets) ? p.targets.length : 0), 0);
  }
  const catalogue = inferCatalogueOf(dashboards.flatMap((d) => queriesOf(d.json)), { readers: 'dashboards' });
  if (catalogue.definition) files.push({ path: 'metrics/imported.yaml', content: yamlFile('The metrics the imported dashboards read. Types inferred from use; review the external names.', [catalogue.definition]) });
  files.push(...skeleton());
  return { files, notes: [...notes, ...catalogue.notes], diagnostics, dashboards, counts };
}

/** The dashboard's uid when Grafana would take it and no other import has it; else one made from its title. */
function uniqueUid(json: Record<string, unknown>, r: RawDashboard, taken: Set<string>, notes: ImportNote[]): string {
  const own = typeof json.uid === 'string' ? json.uid : '';
  const base = UID_PATTERN.test(own) ? own : slug(typeof json.title === 'string' ? json.title : '') || slug(r.from.file.replace(/^.*\//, '').replace(/\.[^.]*$/, '')) || 'dashboard';
  let uid = base;
  for (let n = 2; taken.has(uid); n++) uid = `${base.slice(0, 36)}-${n}`;
  taken.add(uid);
  if (uid !== own) notes.push({ kind: 'review', message: `${r.from.file}${r.from.where ? ` ${r.from.where}` : ''}: ${own ? `uid ${JSON.stringify(own)} ${UID_PATTERN.test(own) ? 'is taken by another imported dashboard' : 'is not a Grafana uid'}` : 'has no uid'}; imported as ${uid} (links to the old uid break)` });
  return uid;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
}

/** Every panel: top-level, nested in rows, and in legacy rows. */
export function panelsOf(json: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const visit = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const p of list) {
      if (!isPlainObject(p)) continue;
      out.push(p);
      visit(p.panels);
    }
  };
  visit(json.panels);
  if (Array.isArray(json.rows)) for (const row of json.rows) if (isPlainObject(row)) visit(row.panels);
  return out;
}

/** The PromQL of a dashboard's queries, as the checks will read it. */
function queriesOf(json: Record<string, unknown>): CatalogueExpression[] {
  return promqlTargetsOf(json).flatMap((q) => (q.expr.trim() !== '' ? [{ expr: q.expr, grafana: true }] : []));
}

/** What a project needs besides the dashboards to build: a Project, Severities, a route and a receiver. */
function skeleton(): ImportedFile[] {
  return projectSkeleton({
    projectComment: "The imported project. Dashboards written for Grafana rarely follow Vigil's PromQL opinions: they are warnings here until reviewed.",
    checks: { 'promql/range-short': 'warning', 'promql/rate-gauge': 'warning', 'promql/label-unknown': 'warning', 'promql/job-unknown': 'warning' },
    severitiesComment: 'Replace with your severities (vigil import rules writes the ones your rules use).',
    levels: ['critical', 'warning', 'info'],
  });
}
