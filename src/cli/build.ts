import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openCache, type CacheOptions } from '../cache/index.ts';
import { hasErrors } from '../diagnostics.ts';
import { allAlerts, allRecordingRules } from '../model/types.ts';
import { annotation } from '../report/github.ts';
import { definitionsDirectory, styleFor, UsageError, type CliIO } from './io.ts';
import { checkProject } from './validate.ts';
import { EXIT } from './exit.ts';
import { alertCount, countSummary, jsonReport, printDiagnostics } from './print.ts';
import { compareArtifacts, outputDirectoryProblem, writeArtifacts } from './write.ts';

export interface BuildOptions {
  out: string;
  envFile?: string;
  check: boolean;
  format: 'text' | 'json' | 'github';
  cache?: CacheOptions;
}

export async function runBuild(io: CliIO, dir: string, options: BuildOptions): Promise<number> {
  const style = styleFor(io);
  const outStyle = styleFor(io, 'out');
  await definitionsDirectory(dir);
  const outProblem = await outputDirectoryProblem(dir, options.out);
  if (outProblem) throw new UsageError(outProblem);
  const cpu = cpuMarks();
  const cache = await openCache(options.cache);
  cpu.mark('open the cache');
  const { loaded, project, loadMs } = await checkProject(dir, options.envFile, cache, { emit: true, artifactData: false });
  cpu.mark('load and compile');
  const result = project.base;
  result.timings.load = loadMs;
  // Where a large build spends its time, for benchmarks and bug reports.
  if (timingsWanted()) {
    for (const [stage, ms] of Object.entries(result.timings).sort((a, b) => b[1] - a[1])) io.err(`timing ${stage}: ${ms.toFixed(0)} ms\n`);
  }
  const { model } = result;
  const { diagnostics, artifacts } = project;
  const alerts = allAlerts(model);
  const enabled = alerts.filter((a) => a.enabled);
  const stats = {
    files: loaded.sources.length,
    alerts: alerts.length,
    alertLevels: enabled.reduce((n, a) => n + a.levels.length, 0),
    recordingRules: allRecordingRules(model).length,
    receivers: model.receivers.length,
    dashboards: model.dashboards.length,
  };
  if (hasErrors(diagnostics)) {
    const count = alertCount(loaded, model);
    if (options.format === 'json') io.out(jsonReport({ stats: { ...stats, alertsNotCounted: count.notCounted }, written: [] }, loaded, diagnostics));
    else {
      printDiagnostics(io, options.format, loaded, diagnostics);
      io.err(`${style.red('build failed')}: ${countSummary(diagnostics)}; nothing was written to ${options.out}/; ${count.text}\n`);
    }
    return EXIT.problems;
  }

  if (options.check) {
    const stale = await compareArtifacts(options.out, artifacts);
    const problems = [...stale.changed.map((f) => ['changed', f]), ...stale.missing.map((f) => ['missing', f]), ...stale.extra.map((f) => ['no longer generated', f]), ...stale.orphan.map((f) => ['not part of the environment\'s overlay', f])];
    if (options.format === 'json') io.out(jsonReport({ stats, stale, upToDate: problems.length === 0 }, loaded, diagnostics, problems.length === 0));
    else {
      printDiagnostics(io, options.format, loaded, diagnostics);
      if (stale.foreign.length && options.format === 'text') io.err(foreignNote(style, options.out, stale.foreign));
      if (problems.length === 0) io.out(`${options.out}/ is up to date (${artifacts.length} files)\n`);
      else {
        for (const [why, file] of problems) {
          if (options.format === 'github') (io.annotate ?? io.out)(annotation('error', { file: path.posix.join(options.out, file!), title: 'build/stale' }, `${why}: run \`vigil build\` and commit the result`));
          else io.err(`  ${why}: ${path.posix.join(options.out, file!)}\n`);
        }
        if (options.format === 'text') io.err(`${style.red('stale')}: ${problems.length} file${problems.length === 1 ? '' : 's'} in ${options.out}/ differ from a fresh build; run \`vigil build\` and commit the result\n`);
      }
    }
    return problems.length === 0 ? EXIT.ok : EXIT.problems;
  }

  const writeStarted = performance.now();
  const written = await writeArtifacts(options.out, artifacts, cache?.outputs);
  await cache?.outputs.flush();
  cpu.mark('write');
  if (timingsWanted()) io.err(`timing write: ${(performance.now() - writeStarted).toFixed(0)} ms\n${cpu.report()}`);
  if (options.format === 'json') {
    io.out(jsonReport({ stats, written: written.written, unchanged: written.unchanged, removed: written.removed, foreign: written.foreign }, loaded, diagnostics));
    return EXIT.ok;
  }
  printDiagnostics(io, options.format, loaded, diagnostics);
  if (options.format === 'text') {
    const byDir = new Map<string, number>();
    for (const a of artifacts) {
      const parts = a.path.split('/');
      if (project.environments.some((e) => e.name === parts[0]) && parts.length > 1) parts.splice(0, parts.length, 'environments', parts[0]!);
      const key = parts.length === 1 ? parts[0]! : ['alertmanager', 'docs', 'relay', 'instrumentation'].includes(parts[0]!) ? parts[0]! : parts.slice(0, 2).join('/');
      byDir.set(key, (byDir.get(key) ?? 0) + 1);
    }
    const channels = new Map<string, number>();
    for (const r of model.receivers) for (const c of Object.keys(r.channels)) channels.set(c, (channels.get(c) ?? 0) + 1);
    const lines = [
      `${outStyle.bold('vigil build')} ${dir} → ${options.out}/`,
      `  definitions  ${stats.files} files`,
      `  alerts       ${stats.alerts} alerts, ${stats.alertLevels} levels (one Prometheus alerting rule each)${alerts.length !== enabled.length ? `, ${alerts.length - enabled.length} disabled` : ''}`,
      `  recording    ${plural(stats.recordingRules, 'rule')}`,
      `  receivers    ${stats.receivers}${channels.size ? ` (${[...channels].map(([c, n]) => `${c} ${n}`).join(', ')})` : ''}`,
      `  dashboards   ${stats.dashboards}`,
      ...(project.environments.length ? [`  environments ${project.environments.map((e) => e.name).join(', ')} (each ${options.out}/<env>/ holds only what differs from the shared tree)`] : []),
      `  files        ${artifacts.length} (${written.written.length} written, ${written.unchanged.length} unchanged${written.removed.length ? `, ${written.removed.length} removed` : ''}): ${[...byDir].map(([d, n]) => (n > 1 || d.includes('/') ? `${d} ${n}` : d)).join(', ')}`,
      `  problems     ${countSummary(diagnostics)}`,
    ];
    io.out(lines.join('\n') + '\n');
    if (written.foreign.length) io.err(foreignNote(style, options.out, written.foreign));
  }
  return EXIT.ok;
}

function foreignNote(style: { yellow(s: string): string }, out: string, files: string[]): string {
  return `  ${style.yellow('note')}: not generated by Vigil, ignored: ${files.map((f) => path.posix.join(out, f)).join(', ')}\n`;
}

/** CPU time (user + system) of the process up to each mark: the start-up before the command, then each step. */
function cpuMarks(): { mark(step: string): void; report(): string } {
  const steps: [string, number][] = [];
  let last = 0;
  const mark = (step: string) => {
    const { user, system } = process.cpuUsage();
    const now = (user + system) / 1000;
    steps.push([step, now - last]);
    last = now;
  };
  mark('start-up');
  return { mark, report: () => `timing CPU: ${steps.map(([step, ms]) => `${step} ${ms.toFixed(0)} ms`).join(', ')}${mainThreadCpu()}\n` };
}

/** The main thread's own CPU time so far (Linux: /proc), apart from worker threads' and the collector's. */
function mainThreadCpu(): string {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return `; main thread ${Math.round((ticks * 1000) / 100)} ms`;
  } catch {
    return '';
  }
}

function timingsWanted(): boolean {
  const v = process.env.VIGIL_TIMINGS;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
