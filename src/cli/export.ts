import { analyzePromql } from '../promql/index.ts';
import { readBuild, BuildError } from '../build/read.ts';
import { ExportUsage, queryRange, seriesOf, toCsv, toJson, type Range } from '../export/series.ts';
import { formatText } from '../report/text.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { EXIT } from './exit.ts';
import { styleFor, UsageError, type CliIO } from './io.ts';

const HELP = `Usage: vigil export data --query EXPR --from TIME --to TIME [--step DURATION] [--format csv|json]
                         (--env NAME [--build DIR] | --url URL) [--out FILE]

Reads the series of a PromQL expression over a time range from Prometheus (/api/v1/query_range) and writes them as
CSV (one row per sample: a column per label, timestamp in RFC 3339 UTC, value) or JSON.
  --env NAME     the environment whose Prometheus to read (its build's environment.json, under --build, default
                 generated/); the replicas are tried in order
  --url URL      a Prometheus to read instead
  --from, --to   now, now-1h, 2024-01-01T00:00:00Z or unix seconds
  --step         15s, 1m, …; default: the range in about 250 points (Prometheus answers at most 11,000 per series)
  --out FILE     write there (atomically) instead of standard output
The expression is checked before it is sent; a syntax error is shown at its position. Exit 0 on success, 1 when
Prometheus refuses the query or cannot be reached, 2 on usage errors.`;

export const exportCommand = {
  help: HELP,
  manyPositionals: true,
  options: {
    query: { type: 'string' as const },
    from: { type: 'string' as const },
    to: { type: 'string' as const, default: 'now' },
    step: { type: 'string' as const },
    format: { type: 'string' as const, default: 'csv' },
    env: { type: 'string' as const },
    build: { type: 'string' as const, default: 'generated' },
    url: { type: 'string' as const },
    out: { type: 'string' as const },
  },
  run: async (io: CliIO, _dir: string, values: Record<string, unknown>, positionals: string[]): Promise<number> => {
    const [what, ...rest] = positionals;
    if (what !== 'data') throw new UsageError(what === undefined ? 'say what to export: vigil export data --query EXPR --from TIME' : `cannot export "${what}": vigil export data --query EXPR --from TIME`);
    if (rest.length) throw new UsageError(`unexpected argument ${rest[0]}`);
    const text = (k: string) => (typeof values[k] === 'string' && values[k] !== '' ? (values[k] as string) : undefined);
    const query = text('query');
    const from = text('from');
    if (!query) throw new UsageError('--query EXPR is required');
    if (!from) throw new UsageError('--from TIME is required (now-1h, 2024-01-01T00:00:00Z, unix seconds)');
    const format = text('format') ?? 'csv';
    if (format !== 'csv' && format !== 'json') throw new UsageError(`--format must be csv or json, not ${JSON.stringify(format)}`);
    if (text('env') && text('url')) throw new UsageError('give --env or --url, not both');
    if (!text('env') && !text('url')) throw new UsageError('say which Prometheus: --env NAME (from the build) or --url URL');
    let range: Range;
    try {
      range = queryRange(from, text('to') ?? 'now', text('step'), Date.now() / 1000);
    } catch (e) {
      if (e instanceof ExportUsage) throw new UsageError(e.message);
      throw e;
    }
    return runExport(io, { query, range, format, env: text('env'), build: text('build') ?? 'generated', url: text('url'), out: text('out') });
  },
};

interface ExportOptions {
  query: string;
  range: Range;
  format: 'csv' | 'json';
  env?: string;
  build: string;
  url?: string;
  out?: string;
}

async function runExport(io: CliIO, o: ExportOptions): Promise<number> {
  const style = styleFor(io);
  const analysis = analyzePromql(o.query);
  const syntax = analysis.problems.filter((p) => p.code === 'promql/syntax');
  if (syntax.length > 0) {
    const diagnostics = syntax.map((p) => ({ code: p.code, severity: 'error' as const, message: p.message, span: { file: '--query', start: p.start, end: p.end }, ...(p.hint ? { hint: p.hint } : {}) }));
    io.err(`${formatText(diagnostics, [{ file: '--query', text: o.query }], style)}${style.red('export failed')}: the expression does not parse; nothing was asked of Prometheus\n`);
    return EXIT.problems;
  }
  let urls: string[];
  if (o.url) urls = [o.url];
  else {
    try {
      const build = await readBuild(o.build, o.env);
      if (!build.environment) throw new BuildError(`the build in ${o.build}/${o.env} has no environment.json`, 'build the project with the Environment, then export');
      urls = build.environment.prometheus.map((p) => p.url);
    } catch (e) {
      if (!(e instanceof BuildError)) throw e;
      io.err(`${style.red('export failed')} [deploy/build]: ${e.message}\n  hint: ${e.hint}\n`);
      return EXIT.problems;
    }
  }
  const failures: string[] = [];
  for (const base of urls) {
    const answer = await queryPrometheus(base, o.query, o.range);
    if ('refused' in answer) {
      // The query itself is wrong: every replica would say the same.
      io.err(`${style.red('export failed')} [export/query]: Prometheus at ${base} refused the query: ${answer.refused}\n  hint: Vigil checks the syntax only; Prometheus also checks types and functions (e.g. rate() needs a range: rate(x[5m]))\n`);
      return EXIT.problems;
    }
    if ('unreachable' in answer) {
      failures.push(`${base}: ${answer.unreachable}`);
      continue;
    }
    const output = o.format === 'csv' ? toCsv(answer.series) : toJson(o.query, o.range, answer.series);
    if (o.out) {
      await writeFileAtomic(o.out, output);
      io.err(`exported ${answer.series.length} series, ${answer.series.reduce((n, s) => n + s.values.length, 0)} samples from ${base} to ${o.out}\n`);
    } else io.out(output);
    return EXIT.ok;
  }
  io.err(`${style.red('export failed')} [export/unreachable]: no Prometheus answered:\n${failures.map((f) => `  ${f}\n`).join('')}  hint: check the URL (or the Environment's prometheus[].url) and that Prometheus is running\n`);
  return EXIT.problems;
}

type Answer = { series: ReturnType<typeof seriesOf> } | { refused: string } | { unreachable: string };

async function queryPrometheus(base: string, query: string, range: Range): Promise<Answer> {
  const body = new URLSearchParams({ query, start: String(range.start), end: String(range.end), step: String(range.step) });
  let response: Response;
  try {
    response = await fetch(`${base.replace(/\/+$/, '')}/api/v1/query_range`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body, signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
    return { unreachable: cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (e as Error).message };
  }
  const text = await response.text();
  let json: { status?: string; error?: string; errorType?: string } | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    return { unreachable: `HTTP ${response.status}, not Prometheus' JSON (${text.slice(0, 120).replace(/\s+/g, ' ')})` };
  }
  if (response.status === 400 || response.status === 422 || json?.errorType === 'bad_data') return { refused: `${json?.errorType ?? `HTTP ${response.status}`}: ${json?.error ?? text.slice(0, 300)}` };
  if (json?.status !== 'success') return { unreachable: `HTTP ${response.status}: ${json?.error ?? 'no success'}` };
  try {
    return { series: seriesOf(json) };
  } catch (e) {
    return { unreachable: (e as Error).message };
  }
}
