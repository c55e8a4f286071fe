/**
 * `vigil import rules`: rule files in, a Vigil project out — the definitions as a person would write them (one file
 * per group under rules/, the catalogue under metrics/, and the few definitions a project cannot build without),
 * plus the notes of what was folded, inferred or needs review. Pure: files in, files out.
 */
import type { Diagnostic } from '../diagnostics.ts';
import { ruleFileName } from '../emit/prometheus-rules.ts';
import { inferCatalogue } from './catalogue.ts';
import { foldGroups, MISSING_SEVERITY, type ImportNote } from './fold.ts';
import { readRuleSource, type RawGroup } from './rule-sources.ts';
import { projectSkeleton, yamlFile, type ImportedFile } from './skeleton.ts';



export interface RulesImport {
  files: ImportedFile[];
  notes: ImportNote[];
  diagnostics: Diagnostic[];
  groups: RawGroup[];
  /** Counts for the report. */
  counts: { groups: number; alerts: number; alertRules: number; recordingRules: number; folded: number };
}

/** Severities, most severe first, for the ones commonly used; others follow in the order they were met. */
const KNOWN_SEVERITIES = ['page', 'critical', 'high', 'error', 'major', 'warning', 'medium', 'minor', 'low', 'info', MISSING_SEVERITY];

const SEVERITIES_COMMENT = 'The severities the imported rules use, most severe first (review the order).';

export function importRules(inputs: readonly { file: string; text: string }[]): RulesImport {
  const diagnostics: Diagnostic[] = [];
  const groups: RawGroup[] = [];
  for (const input of inputs) {
    const read = readRuleSource(input.file, input.text);
    diagnostics.push(...read.diagnostics);
    groups.push(...read.groups);
  }
  const empty = { files: [], notes: [], diagnostics, groups, counts: { groups: 0, alerts: 0, alertRules: 0, recordingRules: 0, folded: 0 } };
  if (diagnostics.some((d) => d.severity === 'error')) return empty;

  const folded = foldGroups(groups);
  const catalogue = inferCatalogue(groups);
  const files: ImportedFile[] = [];
  for (const g of folded.groups) {
    const docs = [g.alertRules, g.recordingRules].filter((d) => d !== undefined);
    files.push({ path: `rules/${ruleFileName(g.name).replace(/\.yml$/, '.yaml')}`, content: yamlFile(`Imported from ${g.source.from}, group ${g.source.name}.`, docs) });
  }
  if (catalogue.definition) files.push({ path: 'metrics/imported.yaml', content: yamlFile('The metrics the imported rules read. Types inferred from use; review the external names.', [catalogue.definition]) });
  files.push(...skeleton(folded.severities, folded.unlabelled));
  const alertNames = new Set(groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [`${g.name}\u0000${r.alert}`] : []))));
  return {
    files,
    notes: [...folded.notes, ...catalogue.notes],
    diagnostics,
    groups,
    counts: {
      groups: groups.length,
      alerts: alertNames.size,
      alertRules: groups.reduce((n, g) => n + g.rules.filter((r) => r.alert).length, 0),
      recordingRules: groups.reduce((n, g) => n + g.rules.filter((r) => r.record).length, 0),
      folded: folded.notes.filter((n) => n.kind === 'folded').length,
    },
  };
}

/** What a project needs besides the rules to build: a Project, the Severities the rules use, a route and a receiver. */
function skeleton(severities: string[], unlabelled: string | undefined): ImportedFile[] {
  const rank = (s: string) => {
    if (s === unlabelled) return KNOWN_SEVERITIES.length + 1;
    const i = KNOWN_SEVERITIES.indexOf(s);
    return i === -1 ? KNOWN_SEVERITIES.length : i;
  };
  // Recording rules alone use no severity; a project still declares its levels.
  const seen = severities.length ? severities : ['critical', 'warning', 'info'];
  const levels = [...seen].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
  return projectSkeleton({
    projectComment: "The imported project. Rules written for Prometheus rarely follow Vigil's style checks: they are warnings here until reviewed.",
    // Opinions the rules were not written to (and facts the import cannot know, such as the scrape interval): warnings.
    checks: { 'alert/levels': 'warning', 'alert/name-style': 'warning', 'alert/summary': 'warning', 'metric/naming': 'warning', 'promql/range-short': 'warning', 'route/unreachable-severity': 'warning', 'template/label': 'warning' },
    severitiesComment: SEVERITIES_COMMENT,
    // The level of alerts imported without a severity label must not add one.
    levels: levels.map((name) => (name === unlabelled ? { name, label: false } : name)),
  });
}
