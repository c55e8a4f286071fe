/**
 * Sloth and Pyrra SLOs as Vigil `kind: SLOs` entries. What a source says that Vigil's SLOs cannot (Sloth plugins and
 * raw error-ratio SLIs, Pyrra native-histogram and bool-gauge indicators, per-level routing labels) is a note saying
 * why, never dropped silently. Each mapped SLO carries what the source tool would generate (`expected`), read from the
 * source alone, so --verify compares the build with the source and not with Vigil's own reading of it.
 */
import { setOwn } from '../util/own.ts';
import { parseDuration } from '../util/duration.ts';
import type { At, SloDocument } from './slo-sources.ts';

export interface SloNote {
  kind: 'mapped' | 'review' | 'not imported';
  message: string;
  at?: At;
}

/** A burn pair as the source tool alerts on it. */
export interface ExpectedBurn {
  severity: 'page' | 'ticket';
  long: string;
  short: string;
  factor: number;
}

export interface ExpectedSlo {
  /** The SLO's name in Vigil (the `slo` label); `sourceName`: in the source (Sloth's `sloth_slo`). */
  name: string;
  sourceName: string;
  service: string;
  /** A ratio in (0, 1). */
  objective: number;
  window: string;
  /** The selectors the error ratio reads (as written in the source). */
  selectors: string[];
  /** The source's error ratio over a window, when it is a ratio of two queries Vigil keeps as written. */
  errorRatio?: (window: string) => string;
  /** Undefined when the source alerts on the workbook's defaults (Sloth). */
  burnRates?: ExpectedBurn[];
  /** `name`: Vigil's alert name ('' for Vigil's default); `sourceName`: the source's. */
  alert?: { name: string; sourceName: string; page: boolean; ticket: boolean };
}

export interface MappedDefinition {
  source: 'sloth' | 'pyrra';
  from: string;
  /** The file name under slos/ (without extension). */
  name: string;
  definition: { apiVersion: 'vigil/v1'; kind: 'SLOs'; group: string; labels?: Record<string, string>; slos: Record<string, unknown>[] };
  expected: ExpectedSlo[];
}

export interface SeverityChoice {
  page?: string;
  ticket?: string;
}

/** Sloth generates for a 30-day period unless `sloth generate --default-slo-period` says otherwise. */
export const SLOTH_PERIOD = '30d';

type Data = Record<string, unknown>;
const obj = (v: unknown): Data => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Data) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const strMap = (v: unknown): Record<string, string> => Object.fromEntries(Object.entries(obj(v)).flatMap(([k, x]) => (str(x) !== undefined ? [[k, str(x)!]] : [])));

/** A Vigil SLO name (`slo` label): lower case letters, digits and dashes. */
export function sloName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').replace(/-{2,}/g, '-') || 'slo';
}

const roundTo = (x: number) => Number(x.toPrecision(6));
const substitute = (query: string, window: string) => query.replace(/\{\{\s*\.window\s*\}\}/g, window);

/** Annotations Vigil's alert has fields for; the rest stay annotations. */
function alertTexts(annotations: Record<string, string>): Data {
  const out: Data = {};
  const rest: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations)) {
    if (key === 'summary' || key === 'description') out[key] = value;
    else if ((key === 'runbook' || key === 'runbook_url') && /^https?:\/\//.test(value) && out.runbook === undefined) out.runbook = value;
    else setOwn(rest, key, value);
  }
  if (Object.keys(rest).length) out.annotations = rest;
  return out;
}

export function mapSloth(doc: SloDocument, severities: SeverityChoice, notes: SloNote[]): MappedDefinition | undefined {
  const k8s = doc.source === 'sloth-k8s';
  const base: (string | number)[] = k8s ? ['spec'] : [];
  const spec = k8s ? obj(doc.data.spec) : doc.data;
  const key = (snake: string, camel: string) => (k8s ? camel : snake);
  const service = str(spec.service) ?? '';
  const slos: Data[] = [];
  const expected: ExpectedSlo[] = [];
  if (spec[key('slo_plugins', 'sloPlugins')] !== undefined) notes.push({ kind: 'not imported', message: `${doc.from}: SLO plugins (${key('slo_plugins', 'sloPlugins')}) change Sloth's generated rules in code Vigil cannot run; the SLOs are imported without them`, at: doc.at([...base, key('slo_plugins', 'sloPlugins')]) });
  (Array.isArray(spec.slos) ? spec.slos : []).forEach((raw, i) => {
    const slo = obj(raw);
    const at = (...path: (string | number)[]) => doc.at([...base, 'slos', i, ...path]);
    const written = str(slo.name) ?? `slo-${i + 1}`;
    const name = sloName(written);
    const where = `${doc.from}: SLO ${written}`;
    if (name !== written) notes.push({ kind: 'review', message: `${where}: renamed ${name} (an slo label is lower case letters, digits and dashes)`, at: at('name') });
    const sli = obj(slo.sli);
    const events = obj(sli.events);
    if (sli.plugin !== undefined) {
      notes.push({ kind: 'not imported', message: `${where}: its SLI is Sloth plugin ${JSON.stringify(str(obj(sli.plugin).id) ?? '')}, Go code that writes the query; write the queries it generates as sli.events`, at: at('sli', 'plugin') });
      return;
    }
    if (sli.raw !== undefined) {
      notes.push({ kind: 'not imported', message: `${where}: its SLI is a raw error ratio (${key('error_ratio_query', 'errorRatioQuery')}); Vigil's SLIs are events, ratio or latency: write the bad and the total events as sli.events`, at: at('sli', 'raw') });
      return;
    }
    const errorQuery = str(events[key('error_query', 'errorQuery')]);
    const totalQuery = str(events[key('total_query', 'totalQuery')]);
    if (errorQuery === undefined || totalQuery === undefined) {
      notes.push({ kind: 'not imported', message: `${where}: no sli.events with ${key('error_query', 'errorQuery')} and ${key('total_query', 'totalQuery')}`, at: at('sli') });
      return;
    }
    if (slo.plugins !== undefined) notes.push({ kind: 'not imported', message: `${where}: its SLO plugins are not applied (Go code Vigil cannot run)`, at: at('plugins') });
    const objective = Number(slo.objective);
    const entry: Data = { name, service, ...(str(slo.description) ? { description: str(slo.description) } : {}), objective, window: SLOTH_PERIOD };
    const labels = strMap(slo.labels);
    if (Object.keys(labels).length) entry.labels = labels;
    entry.sli = { events: { errorQuery: errorQuery.trim(), totalQuery: totalQuery.trim() } };
    const alerting = obj(slo.alerting);
    const page = obj(alerting[key('page_alert', 'pageAlert')]);
    const ticket = obj(alerting[key('ticket_alert', 'ticketAlert')]);
    const pageOn = page.disable !== true;
    const ticketOn = ticket.disable !== true;
    const alertName = str(alerting.name);
    if (!pageOn && !ticketOn) entry.alert = false;
    else {
      const alert: Data = {};
      if (alertName) alert.name = alertName;
      alert.page = pageOn ? (severities.page ?? undefined) : false;
      alert.ticket = ticketOn ? (severities.ticket ?? undefined) : false;
      Object.assign(alert, alertTexts(strMap(alerting.annotations)));
      const alertLabels = strMap(alerting.labels);
      if (Object.keys(alertLabels).length) alert.labels = alertLabels;
      for (const [level, spec, field] of [['page', page, key('page_alert', 'pageAlert')], ['ticket', ticket, key('ticket_alert', 'ticketAlert')]] as const) {
        const levelLabels = strMap(spec.labels);
        const severity = levelLabels.severity;
        delete levelLabels.severity;
        if (severity !== undefined) notes.push({ kind: 'mapped', message: `${where}: the ${level} alert's severity ${JSON.stringify(severity)} is Vigil's ${level} level${severities[level] ? ` ${severities[level]}` : ` (the ${level === 'page' ? 'first' : 'second'} level of Severities)`}`, at: at('alerting', field) });
        const extra = [...Object.entries(levelLabels).map(([k, v]) => `label ${k}=${JSON.stringify(v)}`), ...Object.keys(strMap(spec.annotations)).map((k) => `annotation ${k}`)];
        if (extra.length) notes.push({ kind: 'review', message: `${where}: the ${level} alert's ${extra.join(', ')} not kept (one SLO alert has the same labels at both levels): route on the severity instead`, at: at('alerting', field) });
      }
      for (const k of Object.keys(alert)) if (alert[k] === undefined) delete alert[k];
      entry.alert = alert;
    }
    slos.push(entry);
    expected.push({
      name,
      sourceName: written,
      service,
      objective: objective / 100,
      window: SLOTH_PERIOD,
      selectors: [errorQuery, totalQuery],
      errorRatio: (w) => `(${substitute(errorQuery.trim(), w)})\n/\n(${substitute(totalQuery.trim(), w)})`,
      ...(pageOn || ticketOn ? { alert: { name: alertName ?? '', sourceName: alertName ?? '', page: pageOn, ticket: ticketOn } } : {}),
    });
  });
  if (slos.length === 0) return undefined;
  notes.push({ kind: 'mapped', message: `${doc.from}: Sloth's period is ${SLOTH_PERIOD} unless \`sloth generate --default-slo-period\` said otherwise: check window: of its SLOs` });
  const labels = strMap(spec.labels);
  const fileName = sloName(service) || 'slos';
  return {
    source: 'sloth',
    from: doc.from,
    name: fileName,
    definition: { apiVersion: 'vigil/v1', kind: 'SLOs', group: `${fileName}-slos`, ...(Object.keys(labels).length ? { labels } : {}), slos },
    expected,
  };
}

/** Pyrra's burn windows scale with the SLO window (its slo.Windows): 1h/5m, 6h/30m, 1d/2h and 4d/6h at 28 days. */
export function pyrraBurnRates(window: string): (ExpectedBurn & { for: string })[] {
  const ms = parseDuration(window);
  const minutes = (divisor: number) => durationText(Math.max(1, Math.round(ms / divisor / 60_000)));
  return [
    { severity: 'page', long: minutes(28 * 24), short: minutes(28 * 24 * 12), factor: 14, for: minutes(28 * 24 * 30) },
    { severity: 'page', long: minutes(28 * 4), short: minutes(28 * 24 * 2), factor: 7, for: minutes(28 * 24 * 4) },
    { severity: 'ticket', long: minutes(28), short: minutes(28 * 12), factor: 2, for: minutes(28 * 24) },
    { severity: 'ticket', long: minutes(7), short: minutes(28 * 4), factor: 1, for: minutes(28 * 8) },
  ];
}

/** Whole minutes in the largest unit that divides them: 60 → 1h, 5760 → 4d, 90 → 90m. */
export function durationText(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

/** `name{a="x", b=~"y"}` split into its metric name and its matchers (commas inside quotes kept). */
export function splitSelector(selector: string): { name: string; matchers: string[] } | undefined {
  const m = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{([\s\S]*)\})?\s*$/.exec(selector);
  if (!m) return undefined;
  const matchers: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < (m[2] ?? '').length; i++) {
    const c = m[2]![i]!;
    if (quote) {
      current += c;
      if (c === '\\') current += m[2]![++i] ?? '';
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
      current += c;
    } else if (c === ',') {
      if (current.trim()) matchers.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim()) matchers.push(current.trim());
  return { name: m[1]!, matchers: matchers.map((x) => x.replace(/\s*(=~|!~|!=|=)\s*/, '$1')) };
}

export function mapPyrra(doc: SloDocument, severities: SeverityChoice, notes: SloNote[]): MappedDefinition | undefined {
  const meta = obj(doc.data.metadata);
  const spec = obj(doc.data.spec);
  const written = str(meta.name) ?? 'slo';
  const name = sloName(written);
  const where = `${doc.from}`;
  if (name !== written) notes.push({ kind: 'review', message: `${where}: renamed ${name} (an slo label is lower case letters, digits and dashes)`, at: doc.at(['metadata', 'name']) });
  const indicator = obj(spec.indicator);
  for (const other of ['latencyNative', 'bool_gauge']) {
    if (indicator[other] !== undefined) {
      notes.push({ kind: 'not imported', message: `${where}: its indicator is ${other} (${other === 'latencyNative' ? 'a native histogram' : 'a 0/1 gauge'}), which Vigil's SLIs (events, ratio, latency over classic buckets) do not express`, at: doc.at(['spec', 'indicator', other]) });
      return undefined;
    }
  }
  const target = Number(str(spec.target));
  const window = str(spec.window) ?? '';
  const rate = (selector: string, grouping: string[]) => `sum${grouping.length ? ` by (${grouping.join(', ')})` : ''}(rate(${selector.trim()}[{{.window}}]))`;
  let sli: Data;
  let selectors: string[];
  let errorRatio: ((w: string) => string) | undefined;
  if (indicator.ratio !== undefined) {
    const ratio = obj(indicator.ratio);
    const errors = str(obj(ratio.errors).metric) ?? '';
    const total = str(obj(ratio.total).metric) ?? '';
    const grouping = Array.isArray(ratio.grouping) ? ratio.grouping.map(String) : [];
    sli = { events: { errorQuery: rate(errors, grouping), totalQuery: rate(total, grouping) } };
    selectors = [errors, total];
    errorRatio = (w) => `(${substitute(rate(errors, grouping), w)})\n/\n(${substitute(rate(total, grouping), w)})`;
  } else if (indicator.latency !== undefined) {
    const latency = obj(indicator.latency);
    const success = str(obj(latency.success).metric) ?? '';
    const total = str(obj(latency.total).metric) ?? '';
    const grouping = Array.isArray(latency.grouping) ? latency.grouping.map(String) : [];
    const bucket = splitSelector(success);
    const count = splitSelector(total);
    const le = bucket?.matchers.find((m) => /^le="[^"]*"$/.test(m));
    const rest = bucket?.matchers.filter((m) => m !== le) ?? [];
    const sameSeries = bucket && count && le && bucket.name.endsWith('_bucket') && count.name === bucket.name.replace(/_bucket$/, '_count') && [...rest].sort().join(',') === [...count.matchers].sort().join(',');
    if (sameSeries && grouping.length === 0) {
      sli = { latency: { bucket: bucket.name, le: le.slice(4, -1), ...(rest.length ? { selector: `{${rest.join(',')}}` } : {}) } };
    } else {
      sli = { events: { errorQuery: `${rate(total, grouping)} - ${rate(success, grouping)}`, totalQuery: rate(total, grouping) } };
      errorRatio = (w) => `(${substitute(`${rate(total, grouping)} - ${rate(success, grouping)}`, w)})\n/\n(${substitute(rate(total, grouping), w)})`;
      notes.push({ kind: 'mapped', message: `${where}: its latency indicator became sli.events (total − success)${grouping.length ? ', keeping its grouping' : ': the success and total series are not one histogram\'s _bucket and _count with the same matchers'}`, at: doc.at(['spec', 'indicator', 'latency']) });
    }
    selectors = [success, total];
  } else {
    notes.push({ kind: 'not imported', message: `${where}: no indicator Vigil reads (ratio or latency)`, at: doc.at(['spec', 'indicator']) });
    return undefined;
  }
  const alerting = obj(spec.alerting);
  const burns = pyrraBurnRates(window);
  const entry: Data = { name, service: name, ...(str(spec.description) ? { description: str(spec.description) } : {}), objective: target, window, sli };
  const podLabels = Object.fromEntries(Object.entries(strMap(meta.labels)).flatMap(([k, v]) => (k.startsWith('pyrra.dev/') ? [[k.slice('pyrra.dev/'.length), v]] : [])));
  if (Object.keys(podLabels).length) entry.labels = podLabels;
  const k8sLabels = Object.keys(strMap(meta.labels)).filter((k) => !k.startsWith('pyrra.dev/'));
  if (k8sLabels.length) notes.push({ kind: 'mapped', message: `${where}: metadata labels ${k8sLabels.join(', ')} select the PrometheusRule Pyrra writes, not rule labels: not kept (Pyrra copies only pyrra.dev/ labels onto its rules)` });
  notes.push({ kind: 'review', message: `${where}: Pyrra has no service: service ${name} (the SLO's name); Pyrra's rules label the SLO slo=${written}` });
  const disabled = alerting.disabled === true || alerting.burnrates === false;
  if (disabled) entry.alert = false;
  else {
    const alertName = str(alerting.name);
    // Vigil's level `for` is the longest of its pairs: Pyrra's shortest one on the first pair keeps the fast burn as quick.
    // A pair whose threshold is above an error ratio of 1 never fires, in Pyrra either; Vigil refuses to write it.
    const budget = 1 - target / 100;
    const reachable = burns.filter((b) => b.factor * budget < 1);
    for (const b of burns.filter((x) => !reachable.includes(x))) notes.push({ kind: 'mapped', message: `${where}: Pyrra's ${b.factor}× burn over ${b.long}/${b.short} needs an error ratio above 100% at a ${roundTo(budget * 100)}% budget and can never fire: left out` });
    const burnRates = reachable.map((b) => ({ severity: b.severity, long: b.long, short: b.short, factor: b.factor, ...(b === reachable.find((x) => x.severity === b.severity) ? { for: b.for } : {}) }));
    const levels = new Set(reachable.map((b) => b.severity));
    entry.alert = {
      ...(alertName ? { name: alertName } : {}),
      ...(levels.has('page') ? (severities.page ? { page: severities.page } : {}) : { page: false }),
      ...(levels.has('ticket') ? (severities.ticket ? { ticket: severities.ticket } : {}) : { ticket: false }),
      burnRates,
    };
    if (parseDuration(burns[0]!.short) < 2 * 60_000) notes.push({ kind: 'review', message: `${where}: Pyrra's shortest window for ${window} is ${burns[0]!.short}, under two scrape intervals at the usual 1m: its error ratio is often empty (slo/short-window, a warning in the imported project)` });
    notes.push({ kind: 'mapped', message: `${where}: Pyrra's burn rates for ${window} (${burns.map((b) => `${b.factor}× over ${b.long}/${b.short}`).join(', ')}) written as alert.burnRates; each level waits the for of its first pair (${burns[0]!.for}, ${burns[2]!.for}), where Pyrra waits ${burns[1]!.for} and ${burns[3]!.for} on the second` });
    if (!alertName) notes.push({ kind: 'mapped', message: `${where}: Pyrra names every SLO's alert ErrorBudgetBurn; Vigil's alert names are unique, so this one is ${name.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}ErrorBudgetBurn` });
  }
  if (alerting.absent !== false) notes.push({ kind: 'not imported', message: `${where}: Pyrra's absent alerts (${str(alerting.absentName) ?? 'SLOMetricAbsent'}) are not generated: Vigil checks the SLI's metrics against the catalogue when it builds; add an absent() alert if you rely on them` });
  return {
    source: 'pyrra',
    from: doc.from,
    name,
    definition: { apiVersion: 'vigil/v1', kind: 'SLOs', group: `${name}-slos`, slos: [entry] },
    expected: [{ name, sourceName: written, service: name, objective: target / 100, window, selectors, ...(errorRatio ? { errorRatio } : {}), burnRates: burns.filter((b) => b.factor * (1 - target / 100) < 1).map(({ for: _f, ...b }) => b), ...(disabled ? {} : { alert: { name: str(alerting.name) ?? '', sourceName: str(alerting.name) ?? 'ErrorBudgetBurn', page: true, ticket: true } }) }],
  };
}
