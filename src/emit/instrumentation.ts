/**
 * Typed instrumentation from the catalogue: for every source whose metrics the catalogue defines (an application —
 * exporters are `external:`), `instrumentation/<source>.ts` (prom-client) and `instrumentation/<source>.py`
 * (prometheus_client, for the training jobs). Each metric is created exactly as catalogued — name, type, help,
 * label names, histogram buckets — and recorded through a wrapper whose labels are typed: a label missing or unknown
 * is a compile error in TypeScript and a TypeError in Python (a TypedDict for the type checker too).
 *
 * The service sets only its own labels: `instance` and `job` (and the labels an Environment's scrape config adds to
 * that source) are attached by Prometheus when it scrapes, `le` and `quantile` by the client library.
 *
 * Every string a definition gives (help, names) is written as a JSON string literal, which is also a valid
 * TypeScript and Python literal, so no catalogue text can end a string or a comment early.
 */
import { createHash } from 'node:crypto';
import type { MetricModel, MetricType, Model } from '../model/types.ts';
import { GENERATED_HEADER, type Artifact } from './artifact.ts';

export const INSTRUMENTATION_DIR = 'instrumentation/';
/** prom-client's default buckets; written out so the TypeScript and Python modules agree. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Labels Prometheus attaches to every scraped series. */
const TARGET_LABELS = ['instance', 'job'];
const LIBRARY_LABELS: Partial<Record<MetricType, string>> = { histogram: 'le', summary: 'quantile' };

export interface InstrumentedMetric {
  name: string;
  type: MetricType;
  help: string;
  /** The labels the service sets, in catalogue order. */
  labels: string[];
  buckets?: readonly number[];
}

export interface InstrumentedSource {
  source: string;
  /** File names without extension: the TypeScript module's and the Python module's. */
  files: { ts: string; py: string };
  metrics: InstrumentedMetric[];
}

/** The sources to instrument, ordered by name, each with its metrics ordered by name. */
export function instrumentedSources(model: Model): InstrumentedSource[] {
  const bySource = new Map<string, MetricModel[]>();
  for (const m of model.metrics) bySource.set(m.source, [...(bySource.get(m.source) ?? []), m]);
  const names = namesOf([...bySource.keys()]);
  return [...bySource.keys()].sort().map((source) => {
    const scraped = new Set([...TARGET_LABELS, ...scrapeLabelsOf(model, source)]);
    const seen = new Set<string>();
    const metrics = bySource
      .get(source)!
      .filter((m) => !seen.has(m.name) && seen.add(m.name))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((m) => ({
        name: m.name,
        type: m.type,
        help: m.unit ? `${m.help} (${m.unit})` : m.help,
        labels: m.labels.filter((l) => !scraped.has(l) && l !== LIBRARY_LABELS[m.type]),
        ...(m.type === 'histogram' ? { buckets: m.buckets ?? DEFAULT_BUCKETS } : {}),
      }));
    return { source, files: names.get(source)!, metrics };
  });
}

/** Static labels any Environment's scrape config adds to this source's targets. */
function scrapeLabelsOf(model: Model, source: string): string[] {
  const envs = [...model.environments, ...(model.environment ? [model.environment] : [])];
  return envs.flatMap((env) => env.scrape.filter((s) => s.source === source).flatMap((s) => Object.keys(s.labels ?? {})));
}

/**
 * A source name is any text; a file name must not be (`../x`, `a b`). Safe names are kept; any other becomes its
 * safe characters and a digest of the whole name, so two sources never share a module. Python modules need an
 * identifier.
 */
export function moduleNames(source: string, hashed = false): { ts: string; py: string } {
  const safe = !hashed && /^[a-z][a-z0-9_-]*$/.test(source) && source.length <= 64;
  const ts = safe ? source : `${source.toLowerCase().replace(/[^a-z0-9_]+/g, '-').replace(/^[-_]+|[-_]+$/g, '').slice(0, 48) || 'source'}-${createHash('sha256').update(source, 'utf8').digest('hex').slice(0, 8)}`;
  const py = ts.replace(/-/g, '_');
  return { ts, py: /^[a-z_]/.test(py) ? py : `source_${py}` };
}

/** Module names of every source; sources whose names would meet (`a-b` and `a_b` in Python) get digests. */
function namesOf(sources: readonly string[]): Map<string, { ts: string; py: string }> {
  const plain = new Map(sources.map((s) => [s, moduleNames(s)]));
  const count = new Map<string, number>();
  for (const n of plain.values()) for (const k of [`ts:${n.ts}`, `py:${n.py}`]) count.set(k, (count.get(k) ?? 0) + 1);
  return new Map([...plain].map(([s, n]) => [s, count.get(`ts:${n.ts}`)! > 1 || count.get(`py:${n.py}`)! > 1 ? moduleNames(s, true) : n]));
}

export function emitInstrumentation(model: Model): Artifact[] {
  return instrumentedSources(model).flatMap((s) => {
    const sources = [...new Set(model.metrics.filter((m) => m.source === s.source).map((m) => m.origin.def.file))].sort();
    return [
      { path: `${INSTRUMENTATION_DIR}${s.files.ts}.ts`, content: typescriptModule(s), sources },
      { path: `${INSTRUMENTATION_DIR}${s.files.py}.py`, content: pythonModule(s), sources },
    ];
  });
}

/**
 * A JSON string literal, which TypeScript and Python read alike; the characters JavaScript (not JSON) ends a line at
 * are escaped too, so the literal stays on its line even where it sits in a comment.
 */
export const literal = (text: string) => JSON.stringify(text).replace(/[\u2028\u2029\u0085]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

// ---------------------------------------------------------------------------------------------------------------------
// TypeScript (prom-client)

const TS_CLASS: Record<MetricType, string> = { counter: 'Counter', gauge: 'Gauge', histogram: 'Histogram', summary: 'Summary' };

export function typescriptModule(s: InstrumentedSource): string {
  const types = new Set(s.metrics.map((m) => m.type));
  // Only the wrappers the metrics use: a project compiled with noUnusedLocals must take the module as it is.
  const used = new Set(s.metrics.map(wrapperOf));
  const helpers = Object.entries(TS_HELPERS).flatMap(([name, lines]) => (used.has(name) ? [...lines, ''] : []));
  return [
    `// ${GENERATED_HEADER}`,
    `// The metrics of source ${literal(s.source)}, as the catalogue defines them. Create them once per registry:`,
    '//   const metrics = createMetrics();   metrics.<name>.inc({ ...labels });',
    '// A label missing or unknown is a compile error.',
    `import { ${[...[...types].sort().map((t) => TS_CLASS[t]), 'register', 'type Registry'].join(', ')} } from 'prom-client';`,
    '',
    '/** A label value as prom-client takes it. */',
    'export type LabelValue = string | number;',
    '/** Exactly these labels: all of them, and no other. */',
    'export type Labels<L extends string> = Record<L, LabelValue>;',
    '',
    ...helpers,
    '/** Creates every metric of the source in `registry` (the default registry unless given). */',
    'export function createMetrics(registry: Registry = register) {',
    '  return {',
    ...s.metrics.flatMap((m) => [`    /** ${m.help.replace(/\*\//g, '*\\/').replace(/\s+/g, ' ')} */`, `    ${literal(m.name)}: ${typescriptMetric(m)},`]),
    '  };',
    '}',
    '',
    'export type Metrics = ReturnType<typeof createMetrics>;',
    '',
  ].join('\n');
}

/** The wrapper of each metric type, with labels (typed by the label names the metric was created with) and without. */
const TS_HELPERS: Record<string, string[]> = {
  counter: ['const counter = <L extends string>(m: Counter<L>) => ({ inc: (labels: Labels<L>, value = 1) => m.inc(labels, value) });'],
  unlabelledCounter: ['const unlabelledCounter = (m: Counter) => ({ inc: (value = 1) => m.inc(value) });'],
  gauge: [
    'const gauge = <L extends string>(m: Gauge<L>) => ({',
    '  set: (labels: Labels<L>, value: number) => m.set(labels, value),',
    '  inc: (labels: Labels<L>, value = 1) => m.inc(labels, value),',
    '  dec: (labels: Labels<L>, value = 1) => m.dec(labels, value),',
    '});',
  ],
  unlabelledGauge: ['const unlabelledGauge = (m: Gauge) => ({ set: (value: number) => m.set(value), inc: (value = 1) => m.inc(value), dec: (value = 1) => m.dec(value) });'],
  histogram: [
    '/** startTimer: the function it returns observes the seconds since. */',
    'const histogram = <L extends string>(m: Histogram<L>) => ({',
    '  observe: (labels: Labels<L>, value: number) => m.observe(labels, value),',
    '  startTimer: (labels: Labels<L>) => { const end = m.startTimer(labels); return (): number => end(); },',
    '});',
  ],
  unlabelledHistogram: ['const unlabelledHistogram = (m: Histogram) => ({ observe: (value: number) => m.observe(value), startTimer: () => { const end = m.startTimer(); return (): number => end(); } });'],
  summary: ['const summary = <L extends string>(m: Summary<L>) => ({ observe: (labels: Labels<L>, value: number) => m.observe(labels, value) });'],
  unlabelledSummary: ['const unlabelledSummary = (m: Summary) => ({ observe: (value: number) => m.observe(value) });'],
};

function wrapperOf(m: InstrumentedMetric): string {
  return m.labels.length ? m.type : `unlabelled${TS_CLASS[m.type]}`;
}

function typescriptMetric(m: InstrumentedMetric): string {
  const options = [`name: ${literal(m.name)}`, `help: ${literal(m.help)}`, ...(m.labels.length ? [`labelNames: [${m.labels.map(literal).join(', ')}] as const`] : []), ...(m.buckets ? [`buckets: [${m.buckets.join(', ')}]`] : []), 'registers: [registry]'];
  return `${wrapperOf(m)}(new ${TS_CLASS[m.type]}({ ${options.join(', ')} }))`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Python (prometheus_client)

const PY_CLASS: Record<MetricType, string> = { counter: 'Counter', gauge: 'Gauge', histogram: 'Histogram', summary: 'Summary' };
const PY_KEYWORDS = new Set('False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '));

/** The attribute a metric has on the Python `Metrics` object: its name, made an identifier. */
export function pythonAttribute(name: string): string {
  const id = name.replace(/:/g, '__');
  return PY_KEYWORDS.has(id) ? `${id}_` : id;
}

export function pythonModule(s: InstrumentedSource): string {
  const classes = [...new Set(s.metrics.map((m) => PY_CLASS[m.type]))].sort();
  const typed = s.metrics.filter((m) => m.labels.length > 0);
  return [
    `# ${GENERATED_HEADER}`,
    `"""The metrics of source ${literal(s.source).replace(/\\/g, '\\\\')}, as the catalogue defines them.`,
    '',
    'Create them once per registry: metrics = Metrics(); metrics.<name>.inc({...labels}).',
    'Labels are checked: a missing or unknown label raises TypeError (and is a type error for mypy).',
    '"""',
    'from typing import Dict, Generic, Tuple, TypeVar, Union',
    '',
    'try:',
    '    from typing import TypedDict',
    'except ImportError:  # Python < 3.8',
    '    from typing_extensions import TypedDict',
    '',
    `from prometheus_client import ${['REGISTRY', 'CollectorRegistry', ...classes].join(', ')}`,
    '',
    'L = TypeVar("L")',
    '',
    '',
    'def _exactly(labels: Dict[str, Union[str, int, float]], names: Tuple[str, ...]) -> Dict[str, str]:',
    '    given = set(labels)',
    '    if given != set(names):',
    '        missing = sorted(set(names) - given)',
    '        unknown = sorted(given - set(names))',
    '        raise TypeError("labels: missing %s, unknown %s (expected %s)" % (missing, unknown, list(names)))',
    '    return {k: str(v) for k, v in labels.items()}',
    '',
    '',
    'class _Family(Generic[L]):',
    '    def __init__(self, metric, names: Tuple[str, ...]) -> None:',
    '        self._metric = metric',
    '        self._names = names',
    '',
    '    def _child(self, labels):',
    '        if not self._names:',
    '            if labels:',
    '                raise TypeError("labels: this metric has none, got %s" % sorted(labels))',
    '            return self._metric',
    '        return self._metric.labels(**_exactly(labels, self._names))',
    '',
    '',
    'class CounterFamily(_Family[L]):',
    '    def inc(self, labels: L, value: float = 1) -> None:',
    '        self._child(labels).inc(value)',
    '',
    '',
    'class GaugeFamily(_Family[L]):',
    '    def set(self, labels: L, value: float) -> None:',
    '        self._child(labels).set(value)',
    '',
    '    def inc(self, labels: L, value: float = 1) -> None:',
    '        self._child(labels).inc(value)',
    '',
    '    def dec(self, labels: L, value: float = 1) -> None:',
    '        self._child(labels).dec(value)',
    '',
    '',
    'class HistogramFamily(_Family[L]):',
    '    def observe(self, labels: L, value: float) -> None:',
    '        self._child(labels).observe(value)',
    '',
    '    def time(self, labels: L):',
    '        """A context manager (or decorator) observing the seconds it took."""',
    '        return self._child(labels).time()',
    '',
    '',
    'class SummaryFamily(_Family[L]):',
    '    def observe(self, labels: L, value: float) -> None:',
    '        self._child(labels).observe(value)',
    '',
    '',
    '# The labels each metric takes: the TypedDicts a type checker holds calls to.',
    ...typed.map((m) => `${pythonLabelsType(m)} = TypedDict(${literal(pythonLabelsType(m))}, {${m.labels.map((l) => `${literal(l)}: Union[str, int, float]`).join(', ')}})`),
    'NoLabels = TypedDict("NoLabels", {})',
    '',
    '',
    'class Metrics:',
    `    """Every metric of source ${literal(s.source).replace(/\\/g, '\\\\')}, created in \`registry\` (the default registry unless given)."""`,
    '',
    '    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:',
    ...(s.metrics.length === 0 ? ['        pass'] : s.metrics.map((m) => `        self.${pythonAttribute(m.name)} = ${pythonFamily(m)}`)),
    '',
  ].join('\n');
}

function pythonLabelsType(m: InstrumentedMetric): string {
  return `Labels_${m.name.replace(/:/g, '__')}`;
}

function pythonFamily(m: InstrumentedMetric): string {
  const names = `(${m.labels.map(literal).join(', ')}${m.labels.length === 1 ? ',' : ''})`;
  const options = [literal(m.name), literal(m.help), names, ...(m.buckets ? [`buckets=(${m.buckets.join(', ')})`] : []), 'registry=registry'];
  const type = m.labels.length ? pythonLabelsType(m) : 'NoLabels';
  return `${PY_CLASS[m.type]}Family[${type}](${PY_CLASS[m.type]}(${options.join(', ')}), ${names})`;
}
