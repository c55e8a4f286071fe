/**
 * `vigil import alertmanager`: an alertmanager.yml (or the Secret holding it) in, Receivers, Routes and the Project's
 * Alertmanager settings out, with a Severities the build needs, as YAML a person would write, plus the notes of what
 * was mapped, carried, extracted, renamed or needs review. Pure: text in, files out; no secret value in either.
 */
import type { Diagnostic } from '../diagnostics.ts';
import type { AlertmanagerNote, ImportContext } from './alertmanager-context.ts';
import { importGlobal } from './alertmanager-global.ts';
import { Renames } from './alertmanager-names.ts';
import { importReceivers } from './alertmanager-receivers.ts';
import { importRoutes } from './alertmanager-routes.ts';
import { SecretNames, type ExtractedSecret } from './alertmanager-secrets.ts';
import { readAlertmanagerSource, type AlertmanagerSource } from './alertmanager-source.ts';
import { yamlFile as commentedYaml, type ImportedFile } from './skeleton.ts';

export interface AlertmanagerImport {
  files: ImportedFile[];
  notes: AlertmanagerNote[];
  diagnostics: Diagnostic[];
  /** The environment variables to set, by name, with where each secret was. */
  secrets: ExtractedSecret[];
  /** Input name → Vigil name, for receivers and time intervals that had to be renamed (--verify reads through them). */
  renamed: { receivers: Map<string, string>; intervals: Map<string, string> };
  source?: AlertmanagerSource;
  counts: { receivers: number; routes: number; inhibitRules: number; timeIntervals: number; mapped: number; passthrough: number; secrets: number };
}

const LEVEL = /^[a-z][a-z0-9_]*$/;

export function importAlertmanager(file: string, text: string): AlertmanagerImport {
  const read = readAlertmanagerSource(file, text);
  const empty = (diagnostics: Diagnostic[]): AlertmanagerImport => ({
    files: [],
    notes: [],
    diagnostics,
    secrets: [],
    renamed: { receivers: new Map(), intervals: new Map() },
    counts: { receivers: 0, routes: 0, inhibitRules: 0, timeIntervals: 0, mapped: 0, passthrough: 0, secrets: 0 },
  });
  if (!read.source) return empty(read.diagnostics);
  const ctx: ImportContext = { source: read.source, notes: [], diagnostics: [], secrets: new SecretNames(), receivers: new Renames('receiver'), intervals: new Renames('interval') };

  const global = importGlobal(ctx);
  const receivers = importReceivers(ctx, global.defaults, global.smtp !== undefined);
  const routes = importRoutes(ctx);
  if (ctx.diagnostics.length) return empty(ctx.diagnostics);

  for (const [from, to] of ctx.receivers.renamed()) ctx.notes.push({ kind: 'renamed', message: `receiver ${JSON.stringify(from)} → ${to} (Vigil names are letters, digits, _ . -)` });
  for (const [from, to] of ctx.intervals.renamed()) ctx.notes.push({ kind: 'renamed', message: `time interval ${JSON.stringify(from)} → ${to}` });
  for (const s of ctx.secrets.extracted) ctx.notes.push({ kind: 'secret', message: `${s.env} ← ${s.where}` });

  const levels = [...routes.severities].filter((s) => LEVEL.test(s));
  const review = (prefix: string) => ctx.notes.filter((n) => n.kind === 'review' && n.message.startsWith(prefix)).map((n) => `NEEDS REVIEW: ${n.message}`);
  const project: Record<string, unknown> = { apiVersion: 'vigil/v1', kind: 'Project', name: 'imported' };
  if (Object.keys(global.alertmanager).length) project.alertmanager = global.alertmanager;
  if (global.smtp) project.smtp = global.smtp;
  project.policies = { checks: { 'route/unreachable-severity': 'warning' } };
  const files: ImportedFile[] = [
    { path: 'receivers.yaml', content: yamlFile([`Imported from ${read.source.from}.`, ...review('receiver')], { apiVersion: 'vigil/v1', kind: 'Receivers', receivers: receivers.receivers }) },
    { path: 'routes.yaml', content: yamlFile([`Imported from ${read.source.from}.`, ...review('route'), ...review('the root'), ...review('inhibit'), ...review('time interval')], routes.routes) },
    {
      path: 'project.yaml',
      content: yamlFile(
        [`Imported from ${read.source.from}: global settings and templates. Merge alertmanager: and smtp: into your own Project.`, ...review('global'), ...review('template'), ...review('`')],
        project,
      ),
    },
    {
      path: 'severities.yaml',
      content: yamlFile(['The severity values the routes match, so the project builds; keep your own Severities instead (review the order).'], {
        apiVersion: 'vigil/v1',
        kind: 'Severities',
        levels: (levels.length ? levels : ['critical', 'warning', 'info']).map((name) => ({ name })),
      }),
    },
  ];
  return {
    files,
    notes: ctx.notes,
    diagnostics: [],
    secrets: ctx.secrets.extracted,
    renamed: { receivers: new Map(ctx.receivers.renamed()), intervals: new Map(ctx.intervals.renamed()) },
    source: read.source,
    counts: { ...routes.counts, receivers: receivers.counts.receivers, mapped: receivers.counts.mapped, passthrough: receivers.counts.passthrough, secrets: ctx.secrets.extracted.length },
  };
}

function yamlFile(comments: string[], doc: object): string {
  return commentedYaml(comments.join('\n'), [doc]);
}
