import { execFile } from 'node:child_process';
import type { Model } from '../model/types.ts';
import { levelRouting } from '../routing/levels.ts';
import { quoteMatcherValue } from '../routing/matchers.ts';

/** One alert level of the routing matrix, routed by Vigil and by the real amtool. */
export interface RoutingProofRow {
  alert: string;
  level: string;
  /** The labels routed: the level's static labels, alertname and severity. */
  labels: Record<string, string>;
  /** Receivers by Vigil's router (routeAlert), in order; a receiver reached by two routes appears twice. */
  vigil: string[];
  /** Receivers amtool printed, in order ([] when amtool failed: see error). */
  amtool: string[];
  /** amtool accepted `--verify.receivers` (exit 0) and printed exactly Vigil's list, in the same order. */
  agree: boolean;
  /** amtool could not route the labels at all (bad configuration, crash): its output. */
  error?: string;
}

export interface RoutingProof {
  rows: RoutingProofRow[];
  /** amtool is missing or unusable; no row was proved. */
  error?: string;
}

export interface RoutingProofOptions {
  /** The amtool executable (default `amtool` on PATH). */
  amtool?: string;
  /** amtool processes at once (default 4). */
  concurrency?: number;
}

/**
 * Proves the routing matrix against the real Alertmanager routing code: for every enabled alert level
 * (levelRouting), runs `amtool config routes test --config.file=<file> --verify.receivers=<Vigil's receivers> k=v…`.
 * amtool (0.25) prints the receivers it resolves comma-joined on the first line of stdout, in tree order and with
 * duplicates (a receiver reached by two routes is printed twice), and exits 1 when that exact string differs from
 * --verify.receivers; so the comparison is of ordered lists with duplicates, like Vigil's own.
 *
 * `alertmanagerYmlPath` is an emitted alertmanager.yml; the `*_file` secrets it names need not exist (amtool does not
 * read them). Never throws for a disagreement or a broken configuration: those are rows with agree=false.
 */
export async function proveRoutingWithAmtool(model: Model, alertmanagerYmlPath: string, options: RoutingProofOptions = {}): Promise<RoutingProof> {
  const amtool = options.amtool ?? 'amtool';
  const version = await runTool(amtool, ['--version']);
  if (version.code !== 0) {
    return { rows: [], error: `${amtool} is not usable (${version.error ?? version.stderr.trim()}); install prometheus-alertmanager, which ships amtool` };
  }
  const matrix = levelRouting(model);
  const rows = await pool(matrix, options.concurrency ?? 4, async (row): Promise<RoutingProofRow> => {
    const vigil = row.result.receivers;
    const args = [
      'config',
      'routes',
      'test',
      `--config.file=${alertmanagerYmlPath}`,
      `--verify.receivers=${vigil.join(',')}`,
      ...Object.keys(row.labels)
        .sort()
        .map((name) => `${name}=${quoteMatcherValue(row.labels[name]!)}`),
    ];
    const r = await runTool(amtool, args);
    const out: RoutingProofRow = { alert: row.alert.name, level: row.level.severity, labels: { ...row.labels }, vigil: [...vigil], amtool: [], agree: false };
    // amtool exits 1 both on a mismatch (after printing the receivers) and when it cannot load the configuration
    if ((r.code !== 0 && r.code !== 1) || r.stdout.trim() === '') {
      out.error = (r.error ?? `${r.stdout}${r.stderr}`).trim() || `amtool exited with ${r.code}`;
      return out;
    }
    const first = r.stdout.split('\n')[0]!.trim();
    out.amtool = first === '' ? [] : first.split(',');
    out.agree = r.code === 0 && sameList(out.amtool, vigil);
    if (r.code === 1 && sameList(out.amtool, vigil)) out.error = `amtool rejected the receivers it printed: ${r.stdout.trim()}`;
    return out;
  });
  return { rows };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Why the tool could not run at all (not found, killed). */
  error?: string;
}

function runTool(command: string, args: string[]): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(command, args, { encoding: 'utf8', timeout: 30_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string };
      if (typeof e.code === 'number') return resolve({ code: e.code, stdout, stderr });
      resolve({ code: -1, stdout: stdout ?? '', stderr: stderr ?? '', error: e.code === 'ENOENT' ? `${command} not found on PATH` : e.signal ? `killed by ${e.signal}` : e.message });
    });
  });
}

/** Runs tasks with at most `limit` in flight; results keep the input order. */
export async function pool<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]!, i);
      }
    }),
  );
  return results;
}
