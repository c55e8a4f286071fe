import { chmod, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { goYaml } from '../emit/artifact.ts';
import { LabelInference } from '../model/alert-labels.ts';
import { Catalog } from '../model/catalog.ts';
import { alertsByName, type AlertModel, type ExpressionModel, type Model, type Origin } from '../model/types.ts';
import { analyzePromql, type PromqlAnalysis } from '../promql/index.ts';
import { findAlertmanager, startAlertmanager, type RunningAlertmanager } from './alertmanager-process.ts';
import { labelledSeverities, levelLabels } from '../model/level-labels.ts';
import { severityRank } from '../model/severity-rank.ts';

/*
 * Live inhibition tests: the emitted alertmanager.yml loaded by a real, throwaway Alertmanager, alerts pushed through
 * its API, and the inhibition it computes read back.
 *
 * What Alertmanager 0.25 does, and how this module relies on it:
 * - Inhibition is computed on read: GET /api/v2/alerts runs the inhibitor on every alert it lists and reports
 *   `status.state` ("suppressed" when muted) and `status.inhibitedBy` (fingerprints of inhibiting alerts). The
 *   inhibitor stops at the first inhibit rule that mutes an alert, and lists the first matching source alert of it.
 * - The inhibitor learns about source alerts asynchronously (a subscription to the alert store), one alert at a time,
 *   in the order they were posted. A read right after a POST can miss a source. So every round ends with a sentinel:
 *   an extra inhibit rule (first in the list, matching only the label vigil_live_sentinel) and a sentinel source
 *   posted last; once the sentinel target reads as inhibited, everything posted before it has been seen, and the
 *   next read is final. No fixed sleeps, no flakiness.
 * - Rounds are isolated: the alerts of the previous round are resolved (endsAt in the past) in the same POST, before
 *   the new ones; the inhibitor ignores resolved sources and GET no longer lists them.
 * - `*_file` secrets are read only when a notification is sent: 0.25 starts with them missing, and `${NAME}`
 *   placeholders are plain strings to it. prepareLiveConfig still points `*_file` fields at dummy files, so the copy
 *   is a valid deployment; by default it also drops the receivers' integrations (names kept, so
 *   the routing tree is unchanged) so a test never e-mails, pages or calls WeCom.
 */

export type Labels = Record<string, string>;

/** An alert of the model, at one level, with the labels of one firing (static labels, alertname and severity added). */
export interface AlertRef {
  alert: string;
  /** May be left out for a single-level alert. */
  level?: string;
  labels: Labels;
}

/** One inhibition expectation: RuleTestModel['inhibitions'] items fit as they are. */
export interface InhibitionExpectation {
  source: AlertRef;
  target: AlertRef;
  inhibited: boolean;
  origin?: Origin;
  /** The name of the RuleTests test it comes from. */
  test?: string;
}

export interface InhibitionResult {
  /**
   * `level`: the lower level of an alert is inhibited by a higher one with the same identity labels.
   * `level-reverse`: the higher level is not inhibited by the lower one.
   * `level-identity`: the lower level with one identity label changed is not inhibited.
   * `expectation`: an InhibitionExpectation (from RuleTests `inhibitions:`).
   */
  kind: 'level' | 'level-reverse' | 'level-identity' | 'expectation';
  /** One line for people, e.g. `GpuMemoryHigh critical inhibits GpuMemoryHigh warning with the same gpu, instance`. */
  description: string;
  /** Full label sets pushed to Alertmanager ({} when an expectation could not be resolved). */
  source: Labels;
  target: Labels;
  /** Whether the target should be inhibited by the source. */
  expected: boolean;
  /** Whether Alertmanager says the target is inhibited (by anything); undefined when it could not be observed. */
  inhibited?: boolean;
  /** Labels of the alerts Alertmanager names in the target's status.inhibitedBy. */
  inhibitedBy: Labels[];
  /** The receivers Alertmanager routes the target to (its own routing tree, from the same GET). */
  receivers: string[];
  /** expected true: inhibited by this source. expected false: not inhibited at all. */
  ok: boolean;
  /** The expectation could not be run (unknown alert or level) or Alertmanager misbehaved. */
  error?: string;
  origin?: Origin;
  test?: string;
}

export interface InhibitionReport {
  results: InhibitionResult[];
  /** Nothing could be checked: no Alertmanager installed, it did not start, the config is missing… */
  error?: string;
  /** The Alertmanager used, when one ran. */
  alertmanager?: { binary: string; version?: string };
}

export interface LiveOptions {
  /** Alertmanager executable (default: prometheus-alertmanager or alertmanager on PATH). */
  binary?: string;
  /** Also check the automatic level inhibition of every alert with two or more levels (default true). */
  levels?: boolean;
  /**
   * `none` (default): receivers keep their names but lose their integrations, so nothing is ever sent.
   * `as-configured`: the receivers as emitted, secrets pointing at dummy files (a notification may be attempted).
   */
  delivery?: 'none' | 'as-configured';
  /** Labels that identify one firing of an alert (default: Vigil's inference, the same as the emitter's `equal`). */
  identityLabels?(alert: AlertModel): string[];
  /** How long one round may take to settle (default 5 s). */
  settleTimeoutMs?: number;
  /** Where to put the temporary copy (default: a new directory under the OS temp dir, removed afterwards). */
  workDir?: string;
}

/**
 * For `vigil test --live`. Contract:
 * - `configDir` holds an emitted `alertmanager.yml` and its `templates/` (e.g. generated/alertmanager or
 *   <out>/alertmanager); it is only read. `model` is the compiled model the config was emitted from.
 * - `expectations` default to every `inhibitions:` entry of the model's RuleTests (with the test name).
 * - Starts one throwaway Alertmanager (temp config copy, temp storage, 127.0.0.1:<free port>, no clustering), runs
 *   (a) the automatic level inhibition of every enabled alert with ≥ 2 declared levels (unless options.levels is
 *   false) and (b) the expectations, then stops it by PID (SIGTERM, SIGKILL after 5 s) and removes the temp files —
 *   also when something fails.
 * - Never throws for user input or a missing tool: `error` says why nothing ran; every result has `ok`, and `error`
 *   when that expectation could not be run (unknown alert, ambiguous level). The command fails when any result is
 *   not ok or `error` is set. About 0.3 s on the example project (Alertmanager ready in ~0.1 s, then a few ms
 *   per round; 16 level rounds with 74 results).
 * - Expectation labels are completed like Prometheus does: the alert's static labels, alertname and severity win.
 */
export async function checkInhibitions(
  model: Model,
  configDir: string,
  expectations: readonly InhibitionExpectation[] = inhibitionExpectations(model),
  options: LiveOptions = {},
): Promise<InhibitionReport> {
  const configFile = path.join(configDir, 'alertmanager.yml');
  if (!(await stat(configFile).catch(() => undefined))) return { results: [], error: `${configFile} does not exist: run vigil build first` };
  const found = options.binary ? { binary: options.binary } : findAlertmanager();
  if (!found) return { results: [], error: 'no Alertmanager on PATH (prometheus-alertmanager or alertmanager); install prometheus-alertmanager to run live tests' };

  const work = options.workDir ?? (await mkdtemp(path.join(os.tmpdir(), 'vigil-live-am-')));
  let am: RunningAlertmanager | undefined;
  try {
    const live = await prepareLiveConfig(configDir, path.join(work, 'config'), { delivery: options.delivery ?? 'none' });
    const storageDir = path.join(work, 'data');
    await mkdir(storageDir, { recursive: true });
    try {
      am = await startAlertmanager({ configFile: live, storageDir, binary: found.binary });
    } catch (e) {
      return { results: [], error: (e as Error).message, alertmanager: found };
    }
    const levels = options.levels === false ? [] : await runInhibitionRounds(am.url, levelRounds(model, options.identityLabels ?? identityLabelsOf(model)), options);
    const prepared = expectations.map((e) => expectationRound(model, e));
    const ran = await runInhibitionRounds(am.url, prepared.filter((p): p is Round => !('error' in p)), options);
    let next = 0;
    const expected = prepared.map((p) => ('error' in p ? p.error : ran[next++]!));
    return { results: [...levels, ...expected], alertmanager: found };
  } catch (e) {
    return { results: [], error: `live inhibition test failed: ${(e as Error).message}`, alertmanager: found };
  } finally {
    await am?.stop();
    if (!options.workDir) await rm(work, { recursive: true, force: true });
  }
}

/** Every `inhibitions:` expectation of the model's RuleTests, with its test's name. */
export function inhibitionExpectations(model: Model): InhibitionExpectation[] {
  return model.ruleTests.flatMap((t) => t.inhibitions.map((i) => ({ ...i, test: t.name })));
}

// ---------------------------------------------------------------------------------------------------------------
// The configuration copy

export const SENTINEL_LABEL = 'vigil_live_sentinel';
const SENTINEL_ROUND = 'vigil_live_round';
const DUMMY_SECRET = 'vigil-live-dummy-secret';

/**
 * Copies `<configDir>/alertmanager.yml` and `templates/` to `workDir` for a throwaway Alertmanager and returns the
 * new config path: `${…}` placeholders stay as they are (plain strings to Alertmanager), every `*_file` field points
 * at a dummy file in workDir/secrets, the sentinel inhibit rule comes first, and with delivery `none` receivers keep
 * only their names. Routes, grouping and the other inhibit rules are left exactly as emitted.
 */
export async function prepareLiveConfig(configDir: string, workDir: string, options: { delivery?: 'none' | 'as-configured' } = {}): Promise<string> {
  const text = await readFile(path.join(configDir, 'alertmanager.yml'), 'utf8');
  await mkdir(workDir, { recursive: true });
  const templates = path.join(configDir, 'templates');
  if (await stat(templates).catch(() => undefined)) await cp(templates, path.join(workDir, 'templates'), { recursive: true });

  // Placeholders stay as they are: any non-empty string satisfies Alertmanager here, and nothing is filled in.
  const config = parse(text, { version: '1.1' }) as Record<string, unknown>;

  const secrets = path.join(workDir, 'secrets');
  await mkdir(secrets, { recursive: true });
  const files = new Map<string, string>();
  const rewrite = async (node: unknown): Promise<void> => {
    if (Array.isArray(node)) {
      for (const item of node) await rewrite(item);
    } else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      for (const [key, value] of Object.entries(record)) {
        if (key.endsWith('_file') && typeof value === 'string') {
          let dummy = files.get(value);
          if (!dummy) {
            dummy = path.join(secrets, `${files.size + 1}-${path.basename(value)}`);
            await writeFile(dummy, `${DUMMY_SECRET}\n`);
            await chmod(dummy, 0o600);
            files.set(value, dummy);
          }
          record[key] = dummy;
        } else await rewrite(value);
      }
    }
  };
  await rewrite(config);

  if ((options.delivery ?? 'none') === 'none' && Array.isArray(config.receivers)) {
    config.receivers = (config.receivers as { name: string }[]).map((r) => ({ name: r.name }));
  }
  const sentinel = {
    source_matchers: [`${SENTINEL_LABEL}="source"`],
    target_matchers: [`${SENTINEL_LABEL}="target"`],
    equal: [SENTINEL_ROUND],
  };
  config.inhibit_rules = [sentinel, ...((config.inhibit_rules as unknown[] | undefined) ?? [])];
  const out = path.join(workDir, 'alertmanager.yml');
  await writeFile(out, goYaml(config, `Vigil live-test copy of ${path.join(configDir, 'alertmanager.yml')}: dummy secrets, sentinel inhibit rule first.`));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Rounds: alerts pushed together and the observations made on them

/** One observation: is `target` inhibited (by `source`)? */
export type Observation = Omit<InhibitionResult, 'inhibited' | 'inhibitedBy' | 'receivers' | 'ok'>;

export interface Round {
  /** Pushed together; each round starts from an Alertmanager without the previous round's alerts. */
  alerts: Labels[];
  observations: Observation[];
}

/** Vigil's identity labels of an alert (LabelInference.identityOf): the labels the emitter puts in `equal`. */
export function identityLabelsOf(model: Model): (alert: AlertModel) => string[] | undefined {
  const cache = new Map<string, PromqlAnalysis>();
  const analyze = (e: ExpressionModel) => {
    const key = `${e.grafana ? 'g' : 'p'}:${e.text}`;
    let a = cache.get(key);
    if (!a) cache.set(key, (a = analyzePromql(e.text, { grafana: e.grafana })));
    return a;
  };
  const inference = new LabelInference(model, new Catalog(model), analyze);
  return (alert) => inference.identityOf(alert);
}

const fmt = (labels: Labels) =>
  `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`)
    .join(', ')}}`;

/**
 * For every enabled alert with two or more declared levels and every pair of them (higher h, lower l): h and l with
 * the same identity labels → l inhibited by h, h not inhibited; l with one identity label changed → not inhibited.
 */
export function levelRounds(model: Model, identityOf: (alert: AlertModel) => string[] | undefined): Round[] {
  const rank = severityRank(model);
  const rounds: Round[] = [];
  for (const alert of model.groups.flatMap((g) => g.alerts)) {
    if (!alert.enabled) continue;
    const levels = rank.ladder(labelledSeverities(alert));
    if (levels.length < 2) continue;
    const identity = identityOf(alert)?.filter((l) => l !== 'alertname' && l !== 'severity' && !Object.hasOwn(alert.labels, l));
    if (!identity) continue; // the emitter writes no automatic inhibition for it
    const base = Object.fromEntries(identity.map((l) => [l, `${l}-1`]));
    // The level itself, not just its severity: a level of `rules:` adds labels of its own.
    const at = (severity: string, extra: Labels = {}): Labels => ({ ...base, ...extra, ...levelLabels(alert, alert.levels.find((l) => l.severity === severity)!) });
    const same = identity.length > 0 ? ` with the same ${identity.join(', ')}` : ' (no identity labels)';
    for (let i = 0; i < levels.length; i++) {
      for (let j = i + 1; j < levels.length; j++) {
        const h = at(levels[i]!);
        const l = at(levels[j]!);
        const variants = identity.map((label) => ({ label, labels: at(levels[j]!, { [label]: `${label}-2` }) }));
        rounds.push({
          alerts: [h, l, ...variants.map((v) => v.labels)],
          observations: [
            { kind: 'level', description: `${alert.name} ${levels[i]} inhibits ${alert.name} ${levels[j]}${same}`, source: h, target: l, expected: true },
            { kind: 'level-reverse', description: `${alert.name} ${levels[j]} does not inhibit ${alert.name} ${levels[i]}`, source: l, target: h, expected: false },
            ...variants.map(
              (v): Observation => ({
                kind: 'level-identity',
                description: `${alert.name} ${levels[i]} does not inhibit ${alert.name} ${levels[j]} with another ${v.label}`,
                source: h,
                target: v.labels,
                expected: false,
              }),
            ),
          ],
        });
      }
    }
  }
  return rounds;
}

/** The round for one expectation (source and target pushed together), or the result saying why it cannot run. */
export function expectationRound(model: Model, e: InhibitionExpectation): Round | { error: InhibitionResult } {
  const where = { ...(e.origin ? { origin: e.origin } : {}), ...(e.test !== undefined ? { test: e.test } : {}) };
  const describe = (r: AlertRef) => `${r.alert}${r.level ? ` ${r.level}` : ''}${Object.keys(r.labels).length ? ` ${fmt(r.labels)}` : ''}`;
  const description = `${describe(e.source)} ${e.inhibited ? 'inhibits' : 'does not inhibit'} ${describe(e.target)}`;
  const source = resolveRef(model, e.source);
  const target = resolveRef(model, e.target);
  if ('error' in source || 'error' in target) {
    const problem = 'error' in source ? `source: ${source.error}` : `target: ${(target as { error: string }).error}`;
    return { error: { kind: 'expectation', description, source: {}, target: {}, expected: e.inhibited, inhibitedBy: [], receivers: [], ok: false, error: problem, ...where } };
  }
  if (key(source.labels) === key(target.labels)) {
    return {
      error: { kind: 'expectation', description, source: source.labels, target: target.labels, expected: e.inhibited, inhibitedBy: [], receivers: [], ok: false, error: 'source and target are the same alert: give them different labels', ...where },
    };
  }
  return {
    alerts: [source.labels, target.labels],
    observations: [{ kind: 'expectation', description, source: source.labels, target: target.labels, expected: e.inhibited, ...where }],
  };
}

/** The labels of one firing: the reference's labels, overridden by the alert's static labels, alertname and severity (as Prometheus does). */
function resolveRef(model: Model, ref: AlertRef): { labels: Labels } | { error: string } {
  const alert = alertsByName(model).get(ref.alert);
  if (!alert) return { error: `unknown alert "${ref.alert}"` };
  const levels = alert.levels.map((l) => l.severity);
  const level = ref.level ?? (levels.length === 1 ? levels[0] : undefined);
  if (level === undefined) return { error: `alert ${alert.name} has levels ${levels.join(', ')}: say which one with level:` };
  if (!levels.includes(level)) return { error: `alert ${alert.name} has no level ${level} (it has ${levels.join(', ')})` };
  if (!alert.enabled) return { error: `alert ${alert.name} is disabled: it never fires` };
  return { labels: { ...ref.labels, ...levelLabels(alert, alert.levels.find((l) => l.severity === level)!) } };
}

// ---------------------------------------------------------------------------------------------------------------
// Talking to Alertmanager

interface GettableAlert {
  labels: Labels;
  fingerprint: string;
  receivers?: { name: string }[];
  status: { state: string; inhibitedBy?: string[] | null; silencedBy?: string[] | null };
}

const key = (labels: Labels) => JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));

/**
 * Runs rounds one after the other against a running Alertmanager whose configuration came from prepareLiveConfig
 * (it needs the sentinel rule), and returns one result per observation, in order.
 */
export async function runInhibitionRounds(url: string, rounds: readonly Round[], options: Pick<LiveOptions, 'settleTimeoutMs'> = {}): Promise<InhibitionResult[]> {
  const results: InhibitionResult[] = [];
  let previous: { labels: Labels; startsAt: string }[] = [];
  // Unique per run, so rounds of an earlier run on the same Alertmanager cannot settle this one.
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  for (const [n, round] of rounds.entries()) {
    const roundId = `${run}-${n}`;
    const sentinelTarget: Labels = { alertname: 'VigilLiveSentinel', [SENTINEL_LABEL]: 'target', [SENTINEL_ROUND]: roundId };
    const sentinelSource: Labels = { alertname: 'VigilLiveSentinel', [SENTINEL_LABEL]: 'source', [SENTINEL_ROUND]: roundId };
    const now = Date.now();
    const startsAt = new Date(now - 1_000).toISOString();
    const endsAt = new Date(now + 3_600_000).toISOString();
    const resolvedAt = new Date(now - 1).toISOString();
    const current = [sentinelTarget, ...uniqueLabelSets(round.alerts), sentinelSource];
    const currentKeys = new Set(current.map(key));
    const body = [
      // the previous round's alerts, resolved first (unless pushed again now)
      ...previous.filter((p) => !currentKeys.has(key(p.labels))).map((p) => ({ labels: p.labels, startsAt: p.startsAt, endsAt: resolvedAt })),
      // the sentinel source last: once it inhibits the sentinel target, the inhibitor has seen everything before it
      ...current.map((labels) => ({ labels, startsAt, endsAt })),
    ];
    previous = current.map((labels) => ({ labels, startsAt }));
    let alerts: GettableAlert[] | undefined;
    let error: string | undefined;
    try {
      await post(url, body);
      alerts = await settle(url, sentinelTarget, sentinelSource, options.settleTimeoutMs ?? 5_000);
      if (!alerts) error = `Alertmanager did not take in the alerts within ${options.settleTimeoutMs ?? 5_000} ms`;
    } catch (e) {
      error = (e as Error).message;
    }
    const byKey = new Map((alerts ?? []).map((a) => [key(a.labels), a]));
    const byFingerprint = new Map((alerts ?? []).map((a) => [a.fingerprint, a]));
    for (const o of round.observations) {
      const target = byKey.get(key(o.target));
      const source = byKey.get(key(o.source));
      if (error || !target || !source) {
        results.push({ ...o, inhibitedBy: [], receivers: [], ok: false, error: error ?? `Alertmanager does not list the ${!target ? 'target' : 'source'} alert` });
        continue;
      }
      const by = target.status.inhibitedBy ?? [];
      const inhibited = by.length > 0;
      results.push({
        ...o,
        inhibited,
        inhibitedBy: by.map((fp) => byFingerprint.get(fp)?.labels ?? { fingerprint: fp }),
        receivers: (target.receivers ?? []).map((r) => r.name),
        ok: o.expected ? by.includes(source.fingerprint) && target.status.state === 'suppressed' : !inhibited,
      });
    }
  }
  // leave nothing firing behind
  if (previous.length > 0) {
    const resolvedAt = new Date(Date.now() - 1).toISOString();
    await post(url, previous.map((p) => ({ labels: p.labels, startsAt: p.startsAt, endsAt: resolvedAt }))).catch(() => undefined);
  }
  return results;
}

function uniqueLabelSets(sets: readonly Labels[]): Labels[] {
  const seen = new Set<string>();
  return sets.filter((s) => (seen.has(key(s)) ? false : (seen.add(key(s)), true)));
}

async function post(url: string, alerts: unknown[]): Promise<void> {
  const res = await fetch(`${url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`Alertmanager refused the alerts (HTTP ${res.status}): ${text.trim()}`);
}

async function list(url: string): Promise<GettableAlert[]> {
  const res = await fetch(`${url}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /api/v2/alerts failed (HTTP ${res.status}): ${text.trim()}`);
  return JSON.parse(text) as GettableAlert[];
}

/** Polls until the sentinel target is inhibited by the sentinel source, then reads once more: the settled state. */
async function settle(url: string, target: Labels, source: Labels, timeoutMs: number): Promise<GettableAlert[] | undefined> {
  const deadline = Date.now() + timeoutMs;
  const t = key(target);
  const s = key(source);
  let delay = 5;
  for (;;) {
    const alerts = await list(url);
    const sourceFp = alerts.find((a) => key(a.labels) === s)?.fingerprint;
    const targetAlert = alerts.find((a) => key(a.labels) === t);
    if (sourceFp && targetAlert?.status.inhibitedBy?.includes(sourceFp)) return list(url);
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
}
