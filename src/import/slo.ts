/**
 * `vigil import slo`: Sloth specs and Pyrra ServiceLevelObjectives in, a Vigil project out — one `kind: SLOs` file
 * per Sloth service or Pyrra SLO under slos/, the catalogue of the metrics their SLIs read, and the few definitions a
 * project cannot build without; plus the notes of what was mapped, what needs review and what was not imported.
 * Pure: files in, files out.
 */
import type { Diagnostic } from '../diagnostics.ts';
import { inferCatalogueOf } from './catalogue.ts';
import { projectSkeleton, yamlFile, type ImportedFile } from './skeleton.ts';
import { mapPyrra, mapSloth, sloName, splitSelector, type MappedDefinition, type SeverityChoice, type SloNote } from './slo-map.ts';
import { readSloSources, type SloDocument, type SlothGeneratedRules } from './slo-sources.ts';
import { parseDuration } from '../util/duration.ts';
import { defaultAlertName } from '../slo/index.ts';

export interface SlosImport {
  files: ImportedFile[];
  notes: SloNote[];
  diagnostics: Diagnostic[];
  definitions: MappedDefinition[];
  generated: SlothGeneratedRules[];
  counts: { sloth: number; pyrra: number; slos: number; notImported: number };
}

export const DEFAULT_LEVELS = ['critical', 'warning', 'info'];

/** The page and ticket levels: as given, else the first default levels that are not the other one. */
export function alertLevels(severities: SeverityChoice): { page: string; ticket: string } {
  const page = severities.page ?? DEFAULT_LEVELS.find((l) => l !== severities.ticket)!;
  const ticket = severities.ticket ?? DEFAULT_LEVELS.find((l) => l !== page)!;
  return { page, ticket };
}

export function importSlos(inputs: readonly { file: string; text: string }[], severities: SeverityChoice = {}): SlosImport {
  const read = readSloSources(inputs);
  const diagnostics = [...read.diagnostics];
  for (const doc of read.documents) diagnostics.push(...valueProblems(doc));
  const empty: SlosImport = { files: [], notes: [], diagnostics, definitions: [], generated: read.generated, counts: { sloth: 0, pyrra: 0, slos: 0, notImported: 0 } };
  if (diagnostics.some((d) => d.severity === 'error')) return empty;
  if (read.documents.length === 0) {
    diagnostics.push({ code: 'import/slo', severity: 'error', message: 'no SLO spec among the files: only Sloth generated rules, which --verify compares with an imported spec', hint: 'name the Sloth spec files too' });
    return empty;
  }
  const notes: SloNote[] = [];
  const definitions: MappedDefinition[] = [];
  for (const doc of read.documents) {
    const mapped = doc.source === 'pyrra' ? mapPyrra(doc, severities, notes) : mapSloth(doc, severities, notes);
    if (mapped) definitions.push(mapped);
  }
  uniqueNames(definitions);
  uniqueSlos(definitions, notes);
  const files: ImportedFile[] = definitions.map((d) => ({
    path: `slos/${d.name}.yaml`,
    content: yamlFile(`Imported from ${d.from} (${d.source === 'pyrra' ? 'Pyrra' : 'Sloth'}).`, [d.definition]),
  }));
  const catalogue = inferCatalogueOf(
    definitions.flatMap((d) => d.expected.flatMap((e) => e.selectors.map((s) => ({ expr: s.replace(/\{\{\s*\.window\s*\}\}/g, '5m') })))),
    { readers: 'SLIs' },
  );
  // A latency SLI reads a histogram: its _bucket and _count are one catalogue entry.
  const definition = catalogue.definition ? withHistograms(catalogue.definition, definitions) : undefined;
  if (definition) files.push({ path: 'metrics/imported.yaml', content: yamlFile('The metrics the imported SLIs read. Types inferred from use; review the external names.', [definition]) });
  const chosen = alertLevels(severities);
  const levels = [...new Set([chosen.page, chosen.ticket, ...DEFAULT_LEVELS])];
  files.push(
    ...projectSkeleton({
      projectComment: "The imported project. SLO specs written for Sloth or Pyrra rarely follow Vigil's style checks: they are warnings here until reviewed.",
      checks: { 'alert/summary': 'warning', 'alert/name-style': 'warning', 'metric/naming': 'warning', 'route/unreachable-severity': 'warning', 'slo/short-window': 'warning' },
      severitiesComment: 'Severities, most severe first: the first is the SLOs\' page level and the second their ticket level unless alert.page / alert.ticket say otherwise.',
      levels,
    }),
  );
  return {
    files,
    notes: [...notes, ...(definition ? catalogueNotes(definition) : [])],
    diagnostics,
    definitions,
    generated: read.generated,
    counts: {
      sloth: definitions.filter((d) => d.source === 'sloth').length,
      pyrra: definitions.filter((d) => d.source === 'pyrra').length,
      slos: definitions.reduce((n, d) => n + d.definition.slos.length, 0),
      notImported: notes.filter((n) => n.kind === 'not imported').length,
    },
  };
}

/** Histograms whose _bucket a latency SLI reads: declared as histograms (the catalogue cannot tell from rate() alone). */
function withHistograms(definition: Record<string, unknown>, definitions: readonly MappedDefinition[]): Record<string, unknown> {
  const labels = new Map<string, Set<string>>();
  for (const d of definitions) {
    for (const s of d.definition.slos) {
      const latency = (s.sli as { latency?: { bucket: string; selector?: string } }).latency;
      if (!latency) continue;
      const base = latency.bucket.replace(/_bucket$/, '');
      const set = labels.get(base) ?? new Set<string>();
      for (const m of splitSelector(`x${latency.selector ?? ''}`)?.matchers ?? []) set.add(m.split(/=~|!~|!=|=/)[0]!.trim());
      labels.set(base, set);
    }
  }
  const histograms = new Set(labels.keys());
  if (histograms.size === 0) return definition;
  const external = (definition.external as { source: string; names: string[] }[] | undefined) ?? [];
  const metrics = ((definition.metrics as Record<string, unknown>[] | undefined) ?? []).filter((m) => !histograms.has(m.name as string));
  const seriesOf = (name: string) => [...histograms].find((h) => name === `${h}_bucket` || name === `${h}_count` || name === `${h}_sum`);
  for (const h of [...histograms].sort()) {
    const names = [...labels.get(h)!].sort();
    metrics.push({ name: h, type: 'histogram', help: 'Imported: a histogram, its _bucket series read by a latency SLI.', ...(names.length ? { labels: names } : {}) });
  }
  metrics.sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : 1));
  const rest = external.map((e) => ({ ...e, names: e.names.filter((n) => !seriesOf(n)) })).filter((e) => e.names.length > 0);
  const { external: _external, ...others } = definition;
  return { ...others, metrics, ...(rest.length ? { external: rest } : {}) };
}

/** What the catalogue says of the metrics: the types it declares, and the names left for review. */
function catalogueNotes(definition: Record<string, unknown>): SloNote[] {
  const typed = (definition.metrics as { name: string; type: string }[] | undefined) ?? [];
  const external = ((definition.external as { names: string[] }[] | undefined) ?? []).flatMap((e) => e.names);
  return [
    ...(typed.length ? [{ kind: 'mapped' as const, message: `${typed.length} metric type(s) inferred from the SLIs: ${typed.map((t) => `${t.name} (${t.type})`).join(', ')}` }] : []),
    ...(external.length ? [{ kind: 'review' as const, message: `${external.length} metric(s) whose type the SLIs do not show are declared as external names (${external.join(', ')}): declare their types and labels in a Metrics catalogue` }] : []),
  ];
}

/**
 * SLO names and alert names are unique in a Vigil project, where Sloth keys an SLO by service and name: a second
 * `requests-availability` becomes `<service>-requests-availability`, a second alert name gets the service's name.
 */
function uniqueSlos(definitions: readonly MappedDefinition[], notes: SloNote[]): void {
  const names = new Set<string>();
  const alerts = new Set<string>();
  const fresh = (taken: Set<string>, first: string, next: (i: number) => string) => {
    let candidate = first;
    for (let i = 2; taken.has(candidate); i++) candidate = next(i);
    return candidate;
  };
  for (const d of definitions) {
    d.definition.slos.forEach((slo, i) => {
      const expected = d.expected[i]!;
      const service = String(slo.service);
      if (names.has(String(slo.name))) {
        const base = sloName(`${service}-${String(slo.name)}`);
        const renamed = fresh(names, base, (n) => `${base}-${n}`);
        notes.push({ kind: 'review', message: `${d.from}: SLO ${String(slo.name)} of ${service} renamed ${renamed}: another imported SLO has its name, and an slo label names one SLO in a Vigil project` });
        slo.name = renamed;
        expected.name = renamed;
      }
      names.add(String(slo.name));
      const alert = slo.alert;
      if (alert && typeof alert === 'object') {
        const written = (alert as { name?: string }).name;
        const name = written ?? defaultAlertName(String(slo.name));
        if (alerts.has(name)) {
          const base = `${name}${defaultAlertName(sloName(service)).replace(/ErrorBudgetBurn$/, '')}`;
          const renamed = fresh(alerts, base, (n) => `${base}${n}`);
          notes.push({ kind: 'review', message: `${d.from}: SLO ${String(slo.name)}: alert ${name} renamed ${renamed}: another imported SLO's alert has its name` });
          (alert as { name?: string }).name = renamed;
          if (expected.alert) expected.alert.name = renamed;
          alerts.add(renamed);
        } else alerts.add(name);
      }
    });
  }
}

/** Two sources of the same service or SLO name: the later file gets a suffix (rule group names are unique). */
function uniqueNames(definitions: MappedDefinition[]): void {
  const seen = new Set<string>();
  for (const d of definitions) {
    let name = d.name;
    for (let i = 2; seen.has(name); i++) name = `${d.name}-${i}`;
    seen.add(name);
    if (name !== d.name) {
      d.name = name;
      d.definition.group = `${name}-slos`;
    }
  }
}

/** Values the import must read to map at all: an objective that is a number, a window that is a duration. */
function valueProblems(doc: SloDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  const bad = (path: (string | number)[], message: string, hint: string) => out.push({ code: 'import/slo', severity: 'error', message: `${doc.from}: ${message}`, span: doc.at(path), hint });
  if (doc.source === 'pyrra') {
    const spec = (doc.data.spec ?? {}) as Record<string, unknown>;
    const target = Number(typeof spec.target === 'string' || typeof spec.target === 'number' ? spec.target : NaN);
    if (!(target > 0 && target < 100)) bad(['spec', 'target'], `spec.target ${JSON.stringify(spec.target ?? null)} is not a percentage in (0, 100)`, 'Pyrra writes the target as a string: target: "99.9"');
    if (typeof spec.window !== 'string' || Number.isNaN(parseDuration(spec.window))) bad(['spec', 'window'], `spec.window ${JSON.stringify(spec.window ?? null)} is not a Prometheus duration`, 'e.g. window: 4w or 30d');
    if (typeof (doc.data.metadata as Record<string, unknown> | undefined)?.name !== 'string') bad(['metadata'], 'no metadata.name', 'the name of a ServiceLevelObjective is its SLO name');
    return out;
  }
  const base = doc.source === 'sloth-k8s' ? ['spec'] : [];
  const spec = (doc.source === 'sloth-k8s' ? doc.data.spec : doc.data) as Record<string, unknown> | undefined;
  if (typeof spec?.service !== 'string' || spec.service === '') bad([...base, 'service'], 'no service', 'a Sloth spec names its service: service: "myservice"');
  if (!Array.isArray(spec?.slos) || spec.slos.length === 0) bad([...base, 'slos'], 'no slos', 'a Sloth spec lists its SLOs under slos:');
  else {
    spec.slos.forEach((slo: Record<string, unknown> | null, i: number) => {
      const objective = slo?.objective;
      if (typeof objective !== 'number' || !(objective > 0 && objective < 100)) bad([...base, 'slos', i, 'objective'], `SLO ${String(slo?.name ?? i + 1)}: objective ${JSON.stringify(objective ?? null)} is not a percentage in (0, 100)`, 'e.g. objective: 99.9');
      if (typeof slo?.name !== 'string' || slo.name === '') bad([...base, 'slos', i], `SLO ${i + 1} has no name`, 'each SLO has a name: name: "requests-availability"');
    });
  }
  return out;
}
