import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument, type Document } from 'yaml';
import { catalogueMetricOf, catalogueText, type CatalogueFile, type CatalogueMetric } from '../catalogues/catalogue.ts';
import { ExpositionError, parseExposition } from '../catalogues/exposition.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { EXIT } from './exit.ts';
import { styleFor, UsageError, type CliIO } from './io.ts';

const HELP = `Usage: vigil catalog update --from URL [--name NAME] [--out FILE] [--timeout SECONDS]

Scrapes a live exporter's /metrics (the Prometheus text format) and writes, or refreshes, a catalogue of what it
serves: every metric with its type, help and the label names of its samples.
  --from URL     the exporter's metrics endpoint, e.g. http://127.0.0.1:9121/metrics
  --name NAME    the catalogue's name and its metrics' source (scrape job); default: the exporter's metric prefix
  --out FILE     default monitoring/metrics/<NAME>.yaml
                 *.yaml, *.yml: a Metrics definition for the project, one external: entry with exhaustive: true, so
                 a name under its prefixes that the exporter does not serve is a ref/metric error
                 *.json: the format of Vigil's built-in catalogues (src/catalogues/)
  --timeout      seconds to wait for the answer (default 10)
An existing FILE is refreshed: what the scrape shows replaces the entries of the same name, metrics the exporter did
not serve this time are kept (a collector may be idle), and everything else in the file stays as written.
A metric without samples is listed by name only (its labels are unknown). Exit 0 when written, 1 when the exporter
cannot be read, 2 on usage errors.`;

export const catalogCommand = {
  help: HELP,
  manyPositionals: true,
  options: { from: { type: 'string' as const }, name: { type: 'string' as const }, out: { type: 'string' as const }, timeout: { type: 'string' as const, default: '10' } },
  run: async (io: CliIO, _dir: string, values: Record<string, unknown>, positionals: string[]): Promise<number> => {
    const [what, ...rest] = positionals;
    if (what !== 'update') throw new UsageError(what === undefined ? 'say what to do: vigil catalog update --from URL' : `unknown catalog command "${what}": vigil catalog update --from URL`);
    if (rest.length) throw new UsageError(`unexpected argument ${rest[0]}`);
    const text = (k: string) => (typeof values[k] === 'string' && values[k] !== '' ? (values[k] as string) : undefined);
    const from = text('from');
    if (!from) throw new UsageError('--from URL is required: the exporter\'s metrics endpoint, e.g. http://127.0.0.1:9100/metrics');
    let url: URL;
    try {
      url = new URL(from);
    } catch {
      throw new UsageError(`--from ${JSON.stringify(from)} is not a URL: give it as http://host:port/metrics`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--from must be an http:// or https:// URL, not ${url.protocol}`);
    const name = text('name');
    if (name !== undefined && !/^[a-zA-Z_][a-zA-Z0-9_-]*$/.test(name)) throw new UsageError(`--name ${JSON.stringify(name)}: use letters, digits, _ and -`);
    const timeout = Number(text('timeout'));
    if (!(timeout > 0 && timeout <= 600)) throw new UsageError('--timeout takes seconds, from more than 0 to 600');
    const out = text('out');
    if (out !== undefined && !/\.(ya?ml|json)$/.test(out)) throw new UsageError(`--out ${JSON.stringify(out)}: end it in .yaml (a Metrics definition) or .json (a catalogue file)`);
    return runCatalogUpdate(io, { url, name, out, timeoutMs: timeout * 1000 });
  },
};

interface UpdateOptions {
  url: URL;
  name?: string;
  out?: string;
  timeoutMs: number;
}

class ScrapeProblem extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** At most this much is read: an exporter's page is megabytes at worst, anything bigger is not one. */
const MAX_BYTES = 64 * 1024 * 1024;
/** Metrics every Go or Node.js exporter serves about itself: not the exporter's own prefix, nor a typo guard. */
const RUNTIME_PREFIXES = ['go_', 'process_', 'promhttp_', 'nodejs_'];

async function runCatalogUpdate(io: CliIO, o: UpdateOptions): Promise<number> {
  const style = styleFor(io);
  const shown = shownUrl(o.url);
  let scraped: CatalogueMetric[];
  try {
    scraped = (await scrape(o.url, shown, o.timeoutMs)).map(catalogueMetricOf);
  } catch (e) {
    if (!(e instanceof ScrapeProblem)) throw e;
    io.err(`${style.red('catalog update failed')} [catalog/scrape]: ${e.message}\n  hint: ${e.hint}\n`);
    return EXIT.problems;
  }
  const prefixes = ownPrefixes(scraped);
  const name = o.name ?? prefixes[0]?.replace(/_$/, '') ?? 'exporter';
  const out = o.out ?? path.join('monitoring', 'metrics', `${name}.yaml`);
  const existing = await readFile(out, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new UsageError(`--out ${out} cannot be read (${e.code})`);
  });
  const recordedFrom = `vigil catalog update --from ${shown}`;
  let result: { text: string; kept: number; added: number; changed: number };
  try {
    result = out.endsWith('.json') ? jsonCatalogue(existing, name, prefixes, recordedFrom, scraped, out) : yamlCatalogue(existing, name, prefixes, recordedFrom, scraped, out);
  } catch (e) {
    if (!(e instanceof ScrapeProblem)) throw e;
    io.err(`${style.red('catalog update failed')} [catalog/file]: ${e.message}\n  hint: ${e.hint}\n`);
    return EXIT.problems;
  }
  await writeFileAtomic(out, result.text);
  const counts = existing === undefined ? `${scraped.length} metrics` : `${result.added} new, ${result.changed} changed, ${result.kept} kept that this scrape did not show`;
  io.err(`${existing === undefined ? 'wrote' : 'refreshed'} ${out} from ${shown}: ${counts}; prefixes ${prefixes.join(', ') || '(none)'}\n`);
  return EXIT.ok;
}

async function scrape(url: URL, shown: string, timeoutMs: number) {
  let response: Response;
  try {
    // fetch() refuses a URL with credentials: they go as basic authentication, as Prometheus' basic_auth would send them.
    const headers: Record<string, string> = { accept: 'text/plain;version=0.0.4;q=1, */*;q=0.1' };
    if (url.username || url.password) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    const plain = new URL(url);
    plain.username = '';
    plain.password = '';
    response = await fetch(plain, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (e) {
    if ((e as Error).name === 'TimeoutError') throw new ScrapeProblem(`${shown} did not answer within ${timeoutMs / 1000}s`, 'a large exporter may need longer: --timeout 60; else check that it is not stuck');
    const cause = (e as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
    const reason = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (e as Error).message;
    throw new ScrapeProblem(`cannot reach ${shown}: ${reason}`, 'is the exporter running and listening at that host and port? (curl the URL from this machine)');
  }
  if (!response.ok) {
    throw new ScrapeProblem(`${shown} answered HTTP ${response.status} ${response.statusText}`, response.status === 404 ? 'exporters serve their metrics at /metrics: end the URL with that path' : 'the exporter must answer 200 with its metrics');
  }
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_BYTES) throw new ScrapeProblem(`${shown} sent ${length} bytes, more than any exporter's page`, 'is it an exporter\'s /metrics?');
  const body = await response.text();
  try {
    return parseExposition(body);
  } catch (e) {
    if (!(e instanceof ExpositionError)) throw e;
    const type = response.headers.get('content-type') ?? 'no content type';
    throw new ScrapeProblem(`${shown} did not serve the Prometheus text format (${type}; line ${e.line}: ${e.message})`, 'pass the exporter\'s metrics endpoint (usually /metrics), not its home page or an API');
  }
}

/** The URL without user, password or query (a token there must not reach a committed file). */
function shownUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** The exporter's own prefixes (the first word of its metric names), most used first; runtime metrics left out. */
function ownPrefixes(metrics: CatalogueMetric[]): string[] {
  const counts = new Map<string, number>();
  for (const m of metrics) {
    const word = /^[a-zA-Z][a-zA-Z0-9]*_/.exec(m.name)?.[0];
    if (word && !RUNTIME_PREFIXES.includes(word)) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([p]) => p);
}

/** Scraped entries replace the old ones of the same name; old ones this scrape did not show stay. */
function merged(old: CatalogueMetric[], scraped: CatalogueMetric[]) {
  const byName = new Map(old.map((m) => [m.name, m]));
  let added = 0;
  let changed = 0;
  for (const m of scraped) {
    const before = byName.get(m.name);
    if (!before) added++;
    else if (JSON.stringify(before) !== JSON.stringify(m)) changed++;
    byName.set(m.name, before && !m.labels && before.labels ? { ...m, labels: before.labels } : m);
  }
  const seen = new Set(scraped.map((m) => m.name));
  const metrics = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  return { metrics, added, changed, kept: old.filter((m) => !seen.has(m.name)).length };
}

function jsonCatalogue(existing: string | undefined, name: string, prefixes: string[], recordedFrom: string, scraped: CatalogueMetric[], out: string) {
  let old: CatalogueFile | undefined;
  if (existing !== undefined) {
    try {
      old = JSON.parse(existing) as CatalogueFile;
    } catch {
      throw new ScrapeProblem(`${out} is not JSON`, 'give a new file, or the catalogue file to refresh');
    }
    if (!Array.isArray(old.metrics)) throw new ScrapeProblem(`${out} is not a catalogue file (no metrics list)`, 'give a new file, or the catalogue file to refresh');
  }
  const m = merged(old?.metrics ?? [], scraped);
  const file: CatalogueFile = { catalogue: old?.catalogue ?? name, source: old?.source ?? name, recordedFrom, prefixes: old?.prefixes ?? prefixes, metrics: m.metrics };
  return { text: catalogueText(file), ...m };
}

type YamlMetric = { name: string; type?: string; help?: string; labels: string[] };

function yamlCatalogue(existing: string | undefined, name: string, prefixes: string[], recordedFrom: string, scraped: CatalogueMetric[], out: string) {
  const doc: Document = parseDocument(existing ?? `# Recorded by ${recordedFrom}; run it again to refresh.\napiVersion: vigil/v1\nkind: Metrics\nexternal: []\n`);
  if (doc.errors.length || doc.get('kind') !== 'Metrics') throw new ScrapeProblem(`${out} is not a Metrics definition`, 'give a new file, or the Metrics definition to refresh');
  const entries = (doc.toJS().external ?? []) as { source?: string; names?: string[]; metrics?: YamlMetric[] }[];
  let index = entries.findIndex((e) => e.source === name);
  if (index < 0) index = entries.length;
  const entry = entries[index] ?? {};
  const old: CatalogueMetric[] = [
    ...(entry.names ?? []).map((n) => ({ name: n, type: 'untyped' as const, help: '' })),
    ...(entry.metrics ?? []).map((m) => ({ name: m.name, type: (m.type ?? 'untyped') as CatalogueMetric['type'], help: m.help ?? '', labels: m.labels })),
  ];
  const m = merged(old, scraped);
  const byName = m.metrics.filter((x) => !x.labels).map((x) => x.name);
  const withLabels = m.metrics.filter((x) => x.labels).map((x) => ({ name: x.name, type: x.type, ...(x.help ? { help: x.help } : {}), labels: x.labels! }));
  const fresh = { source: name, prefixes, exhaustive: true, ...(byName.length ? { names: byName } : {}), metrics: withLabels };
  if (!doc.has('external')) doc.set('external', []);
  if (index < entries.length) {
    // Only the lists the scrape knows change: prefixes, exhaustive and labels stay as the project wrote them.
    doc.deleteIn(['external', index, 'names']);
    if (byName.length) doc.setIn(['external', index, 'names'], doc.createNode(byName, { flow: true }));
    doc.setIn(['external', index, 'metrics'], doc.createNode(withLabels));
  } else doc.addIn(['external'], doc.createNode(fresh));
  flowEachMetric(doc);
  return { text: doc.toString({ lineWidth: 0, flowCollectionPadding: false }), ...m };
}

/** One line per metric: `- { name: …, type: …, help: …, labels: […] }`, as the project's own files are written. */
function flowEachMetric(doc: Document): void {
  const external = doc.get('external', true) as { flow?: boolean; items?: { get(k: string, keep: true): { flow?: boolean; items?: { flow?: boolean }[] } | undefined }[] } | undefined;
  if (external) external.flow = false;
  for (const entry of external?.items ?? []) {
    const names = entry.get('names', true);
    if (names) names.flow = true;
    for (const metric of entry.get('metrics', true)?.items ?? []) metric.flow = true;
    const prefixes = entry.get('prefixes', true);
    if (prefixes) prefixes.flow = true;
  }
}
