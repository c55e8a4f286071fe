import { rm } from 'node:fs/promises';
import path from 'node:path';
import { load as parseYaml } from 'js-yaml';
import { GENERATED_HEADER } from '../emit/artifact.ts';
import type { PrometheusTarget } from '../build/environment.ts';
import { parseDuration } from '../util/duration.ts';
import { DeployError } from './errors.ts';
import { type FileSnapshot, listDir, readIfExists, restore, writeAtomic } from './files.ts';
import { expectStatus, request } from './http.ts';
import { sameBesidesUnavailable } from './secrets.ts';
import { type Change, type Target, type TargetPlan, deepEqual, eventually } from './target.ts';

/** The replica's files as the plan found them: rule files by name, and its prometheus.yml (null: absent or not managed). */
interface DiskState {
  onDisk: Map<string, string | null>;
  configOnDisk: string | null;
  /** A lenient plan's config (secrets left out) differs from the file on disk in something besides those secrets. */
  configUnlike: boolean;
}

export interface DesiredPrometheus {
  replica: PrometheusTarget;
  /** Rule files by base name (`training.yml`), as emitted. */
  ruleFiles: Map<string, string>;
  /** The same rules as data (from the model), to spare parsing 10,000 rules of YAML; parsed from ruleFiles if absent. */
  groups?: DesiredGroup[];
  /** This replica's prometheus.yml with secrets filled in, when the environment names its configFile. */
  config?: { content: string; holdsSecrets: boolean; lacksSecrets: boolean };
}

interface Rule {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  duration: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface Group {
  name: string;
  file: string;
  rules: Rule[];
}

interface ApiRule {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  duration?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface ApiAlert {
  labels: Record<string, string>;
  state: string;
}

const isOwned = (content: string | null) => content !== null && content.startsWith(`# ${GENERATED_HEADER}`);

export class PrometheusAdapter implements Target {
  readonly name: string;
  private snapshots: FileSnapshot[] = [];
  private toWrite: { file: string; content: string; mode: number }[] = [];
  private toRemove: string[] = [];
  private activeBefore: ApiAlert[] = [];
  /** Alerts that were active before the reload and are not after it, although their rule is still deployed. */
  continuityNotes: string[] = [];

  constructor(private readonly desired: DesiredPrometheus) {
    this.name = `prometheus ${desired.replica.name}`;
  }

  get replicaName(): string {
    return this.desired.replica.name;
  }

  private get url() {
    return this.desired.replica.url;
  }

  private diskState: Promise<DiskState> | undefined;

  /**
   * The files this replica's deploy would write or remove, from the disk alone (no network): what the pre-flight has
   * to check, known before the plan has read the live server.
   */
  pendingFiles(): Promise<DiskState> {
    this.diskState ??= this.readDisk();
    return this.diskState;
  }

  /** Names of the rule files that would change, and the config if it would. */
  async pendingChecks(): Promise<{ ruleFiles: string[]; config?: string }> {
    await this.pendingFiles();
    return {
      ruleFiles: this.toWrite.filter((w) => w.file !== this.desired.replica.configFile).map((w) => path.basename(w.file)),
      config: this.toWrite.some((w) => w.file === this.desired.replica.configFile) ? this.desired.config?.content : undefined,
    };
  }

  private async readDisk(): Promise<DiskState> {
    const { replica, ruleFiles, config } = this.desired;
    const dir = replica.rulesDir;
    const names = (await listDir(dir)).filter((n) => n.endsWith('.yml') || n.endsWith('.yaml'));
    const contents = await Promise.all(names.map((n) => readIfExists(path.join(dir, n))));
    const onDisk = new Map(names.map((n, i) => [n, contents[i]!] as const));
    this.toWrite = [];
    this.toRemove = [];
    for (const [name, content] of ruleFiles) {
      const current = onDisk.get(name) ?? null;
      if (current !== null && !isOwned(current)) {
        throw new DeployError(`${path.join(dir, name)} exists and was not written by Vigil`, 'rename the rule group or move that file out of the rules directory; Vigil never overwrites files it does not own', 'deploy/ownership');
      }
      if (current !== content) this.toWrite.push({ file: path.join(dir, name), content, mode: 0o644 });
    }
    for (const [name, content] of onDisk) if (isOwned(content) && !ruleFiles.has(name)) this.toRemove.push(path.join(dir, name));
    let configOnDisk: string | null = null;
    let configUnlike = false;
    if (config && replica.configFile) {
      configOnDisk = await readIfExists(replica.configFile);
      // A lenient plan compares every setting but the secrets it lacks; it never writes such a file.
      if (config.lacksSecrets) configUnlike = !sameBesidesUnavailable(config.content, configOnDisk);
      else if (configOnDisk !== config.content) this.toWrite.push({ file: replica.configFile, content: config.content, mode: config.holdsSecrets ? 0o600 : 0o644 });
    }
    return { onDisk, configOnDisk, configUnlike };
  }

  async plan(): Promise<TargetPlan> {
    const { replica, ruleFiles } = this.desired;
    const changes: Change[] = [];
    const notes: string[] = [];
    const [live, { onDisk, configOnDisk, configUnlike }] = await Promise.all([this.liveGroups(), this.pendingFiles()]);
    const dir = replica.rulesDir;
    const configWrite = this.toWrite.find((w) => w.file === replica.configFile);
    const configWanted = configWrite?.content ?? (configUnlike ? this.desired.config?.content : undefined);
    if (configWanted !== undefined) {
      changes.push({ kind: configOnDisk === null ? 'add' : 'change', object: `configuration ${replica.configFile}`, ...(configOnDisk === null ? {} : { detail: configDifference(configOnDisk, configWanted) }) });
    }

    // Rules: what Prometheus serves now against what the build wants, by group and rule identity.
    const wanted = this.wanted();
    const owned = new Set([...ruleFiles.keys(), ...[...onDisk].filter(([, c]) => isOwned(c)).map(([n]) => n)]);
    const liveOwned = live.filter((g) => this.isFromRulesDir(g, owned));
    const diskSame = (file: string) => onDisk.get(file) === ruleFiles.get(file);
    for (const group of wanted) {
      const liveGroup = liveOwned.find((g) => g.name === group.name);
      const liveRules = new Map((liveGroup?.rules ?? []).map((r) => [ruleKey(r), r]));
      for (const rule of group.rules) {
        const key = ruleKey(rule);
        const current = liveRules.get(key);
        liveRules.delete(key);
        if (!current) changes.push({ kind: 'add', object: `rule ${group.name}/${key}` });
        else {
          const diff = ruleDiff(rule, current, diskSame(group.file));
          if (diff) changes.push({ kind: 'change', object: `rule ${group.name}/${key}`, detail: diff });
        }
      }
      for (const key of liveRules.keys()) changes.push({ kind: 'remove', object: `rule ${group.name}/${key}` });
    }
    for (const g of liveOwned) if (!wanted.some((w) => w.name === g.name)) for (const r of g.rules) changes.push({ kind: 'remove', object: `rule ${g.name}/${ruleKey(r)}` });
    const ruleFileChanged = this.toWrite.some((w) => w.file !== replica.configFile) || this.toRemove.length > 0;
    if (ruleFileChanged && !changes.some((c) => c.object.startsWith('rule '))) {
      changes.push({ kind: 'change', object: `rule files in ${dir}`, detail: 'text only (comments, order); the rules Prometheus serves are the same' });
    }
    if (!ruleFileChanged && changes.some((c) => c.object.startsWith('rule '))) notes.push(`the rule files in ${dir} are current but Prometheus serves other rules: a reload is pending or failed`);
    if (this.desired.config?.lacksSecrets && replica.configFile) notes.push(`${replica.configFile}: compared without the secrets the plan lacks (every other setting was compared)`);
    return { target: this.name, changes, notes };
  }

  async apply(): Promise<void> {
    this.diskState = undefined;
    this.snapshots = [];
    for (const w of this.toWrite) this.snapshots.push({ path: w.file, before: await readIfExists(w.file), mode: w.mode });
    for (const file of this.toRemove) this.snapshots.push({ path: file, before: await readIfExists(file) });
    this.activeBefore = await this.activeAlerts().catch(() => []);
    for (const w of this.toWrite) await writeAtomic(w.file, w.content, w.mode);
    for (const file of this.toRemove) await rm(file, { force: true });
    await this.reload();
  }

  private wantedGroups: DesiredGroup[] | undefined;

  private wanted(): DesiredGroup[] {
    return (this.wantedGroups ??= this.desired.groups ?? desiredGroups(this.desired.ruleFiles));
  }

  /**
   * Whether Prometheus loaded a group from one of the named files of the rules directory. Prometheus reports the path
   * as its configuration names it: absolute for an absolute rule_files glob, relative to its config file otherwise.
   */
  private isFromRulesDir(g: Group, files: ReadonlySet<string>): boolean {
    if (!files.has(path.basename(g.file))) return false;
    return !path.isAbsolute(g.file) || path.resolve(path.dirname(g.file)) === path.resolve(this.desired.replica.serverRulesDir);
  }

  async verify(): Promise<void> {
    const wanted = this.wanted();
    const expectCounts = new Map(wanted.map((g) => [g.name, g.rules.length]));
    // Vigil's files now and the ones it removed: groups from any other file of the directory are not its business.
    const files = new Set([...this.desired.ruleFiles.keys(), ...this.toRemove.map((f) => path.basename(f))]);
    await eventually(async () => {
      const live = await this.liveGroups();
      const ours = live.filter((g) => this.isFromRulesDir(g, files));
      const got = new Map(ours.map((g) => [g.name, g.rules.length]));
      const missing = [...expectCounts].filter(([n, c]) => got.get(n) !== c).map(([n, c]) => `${n} (${c} rules expected, ${got.get(n) ?? 'group absent'})`);
      const extra = [...got.keys()].filter((n) => !expectCounts.has(n));
      if (missing.length || extra.length) {
        throw new DeployError(
          `${this.name} does not serve the deployed rules after the reload: ${[...missing.map((m) => `group ${m}`), ...extra.map((n) => `unexpected group ${n}`)].join('; ')}`,
          'check the Prometheus log and that rule_files in its configuration covers the rules directory',
          'deploy/verify',
        );
      }
    });
    // Continuity: an alert active before the reload whose rule is still deployed must still be active.
    const after = await this.activeAlerts().catch(() => undefined);
    if (after) {
      const still = new Set(after.map((a) => alertKey(a.labels)));
      const deployed = new Set(wanted.flatMap((g) => g.rules.filter((r) => r.type === 'alerting').map((r) => `${r.name}|${r.labels.severity ?? ''}`)));
      this.continuityNotes = this.activeBefore
        .filter((a) => deployed.has(`${a.labels.alertname}|${a.labels.severity ?? ''}`) && !still.has(alertKey(a.labels)))
        .map((a) => `${this.name}: alert ${a.labels.alertname}${a.labels.severity ? `[${a.labels.severity}]` : ''} was ${a.state} before the reload and is not active after it (resolved meanwhile, or its rule changed)`);
    }
  }

  async rollback(): Promise<string[]> {
    const failures = await restore(this.snapshots);
    try {
      await this.reload();
    } catch (e) {
      failures.push(`${this.name}: reload after restoring the files failed: ${(e as Error).message}`);
    }
    return failures;
  }

  private async reload(): Promise<void> {
    const r = await request(this.name, this.desired.replica.reloadUrl, { method: 'POST' });
    if (r.status === 403 || r.status === 404) {
      throw new DeployError(`${this.name}: the reload endpoint is disabled (HTTP ${r.status})`, 'start Prometheus with --web.enable-lifecycle', 'deploy/reload');
    }
    if (r.status !== 200) {
      throw new DeployError(
        `${this.name} rejected the new configuration (HTTP ${r.status}${r.text.trim() ? `: ${r.text.trim().slice(0, 500)}` : ''})`,
        'Prometheus logs the reason; run `promtool check config` on the files and look at its log',
        'deploy/reload',
      );
    }
  }

  private async liveGroups(): Promise<Group[]> {
    const r = await request(this.name, `${this.url}/api/v1/rules`);
    expectStatus(this.name, 'reading the rules (/api/v1/rules)', r);
    const body = r.json<{ data: { groups: { name: string; file: string; rules: ApiRule[] }[] } }>();
    return body.data.groups.map((g) => ({
      name: g.name,
      file: g.file,
      rules: g.rules.map((x) => ({ type: x.type, name: x.name, query: x.query, duration: x.duration ?? 0, labels: x.labels ?? {}, annotations: x.annotations ?? {} })),
    }));
  }

  private async activeAlerts(): Promise<ApiAlert[]> {
    const r = await request(this.name, `${this.url}/api/v1/alerts`);
    expectStatus(this.name, 'reading the alerts', r);
    return r.json<{ data: { alerts: ApiAlert[] } }>().data.alerts;
  }
}

/** Which sections of prometheus.yml differ, scrape jobs by name: `scrape job platform-api, remote_write`. */
export function configDifference(before: string, after: string): string {
  let a: Record<string, unknown>;
  let b: Record<string, unknown>;
  try {
    a = (parseYaml(before) as Record<string, unknown>) ?? {};
    b = (parseYaml(after) as Record<string, unknown>) ?? {};
  } catch {
    return 'the file on disk is not valid YAML';
  }
  const parts: string[] = [];
  const jobs = (c: Record<string, unknown>) => new Map(((c.scrape_configs as Record<string, unknown>[] | undefined) ?? []).map((j) => [String(j.job_name), j]));
  const jobsA = jobs(a);
  const jobsB = jobs(b);
  for (const name of jobsB.keys()) if (!jobsA.has(name)) parts.push(`scrape job ${name} added`);
  for (const name of jobsA.keys()) if (!jobsB.has(name)) parts.push(`scrape job ${name} removed`);
  for (const [name, job] of jobsB) if (jobsA.has(name) && !deepEqual(jobsA.get(name), job)) parts.push(`scrape job ${name}`);
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (key !== 'scrape_configs' && !deepEqual(a[key], b[key])) parts.push(key);
  }
  return parts.length ? parts.join(', ') : 'comments or formatting only';
}

function alertKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort());
}

function ruleKey(r: { type: string; name: string; labels: Record<string, string> }): string {
  if (r.type === 'alerting') return `${r.name}${r.labels.severity ? `[${r.labels.severity}]` : ''}`;
  const extra = Object.entries(r.labels).sort().map(([k, v]) => `${k}=${v}`).join(',');
  return extra ? `${r.name}{${extra}}` : r.name;
}

export interface DesiredGroup extends Group {
  /** The file's base name. */
  file: string;
}

function desiredGroups(ruleFiles: Map<string, string>): DesiredGroup[] {
  const out: DesiredGroup[] = [];
  for (const [file, content] of ruleFiles) {
    const doc = parseYaml(content) as { groups: { name: string; rules: Record<string, unknown>[] }[] };
    for (const g of doc.groups) out.push(desiredGroup(file, g));
  }
  return out;
}

/** A rule group as written to its file (parsed, or straight from the emitter) in the shape /api/v1/rules shows. */
export function desiredGroup(file: string, g: { name: string; rules: Record<string, unknown>[] }): DesiredGroup {
  return {
    name: g.name,
    file,
    rules: g.rules.map((r) => ({
      type: r.alert !== undefined ? 'alerting' : 'recording',
      name: String(r.alert ?? r.record),
      query: String(r.expr),
      duration: r.for ? parseDuration(String(r.for)) / 1000 : 0,
      labels: (r.labels as Record<string, string>) ?? {},
      annotations: (r.annotations as Record<string, string>) ?? {},
    })),
  };
}

/**
 * Prometheus serves a rule's expression re-printed from its syntax tree, so the text can differ from the file's
 * (spacing, quotes) while the rule is the same. Whitespace and quote style are ignored; when the rule file on disk is
 * already exactly the build's, the expression is taken as served from it.
 */
function ruleDiff(want: Rule, live: Rule, diskIsCurrent: boolean): string | undefined {
  const diffs: string[] = [];
  const norm = (q: string) => q.replace(/\s+/g, '').replace(/'/g, '"');
  if (norm(want.query) !== norm(live.query) && !diskIsCurrent) diffs.push(`expr: ${live.query} → ${want.query.trim()}`);
  if (want.duration !== live.duration) diffs.push(`for: ${live.duration}s → ${want.duration}s`);
  if (!deepEqual(want.labels, live.labels)) diffs.push('labels');
  if (!deepEqual(want.annotations, live.annotations)) diffs.push('annotations');
  return diffs.length ? diffs.join('; ') : undefined;
}
