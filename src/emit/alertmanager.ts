import { SecretPlaceholder, secretSlotsOf, type SecretUse } from './secret-slots.ts';
import type { AlertModel, InhibitModel, Model, ReceiverModel, RouteModel, RoutesModel, RuleGroupModel, SecretRef, SeverityModel } from '../model/types.ts';
import type { FileItems, FileScopes } from '../compile-scopes.ts';
import type { HttpClientConfig, TimeInterval } from '../spec/types.gen.ts';
import { expandRoot, type ExpandedRoute } from '../routing/expand.ts';
import { formatMatcher, sortMatchers, type SimpleMatcher } from '../routing/matchers.ts';
import { GENERATED_HEADER, goYaml, uniqueSorted, type Artifact } from './artifact.ts';
import { withLazyContent } from '../build/manifest.ts';
import { WrittenItems, yamlScalar } from './yaml-writer.ts';
import { goTemplateText, TEMPLATE_NAMES, VIGIL_TEMPLATE } from './alertmanager-templates.ts';
import { severityRank, type SeverityRank } from '../model/severity-rank.ts';
import { carriesSeverityLabel, labelledSeverities } from '../model/level-labels.ts';
import { channelsOf, missingSettings, type AlertmanagerWriter } from '../channels/index.ts';
import { integrationConfigs, writeIntegrationConfig } from '../channels/alertmanager-integrations.ts';

import { ALERTMANAGER_CONFIG_PATH, ALERTMANAGER_TEMPLATE_PATH } from '../build/paths.ts';
export { ALERTMANAGER_CONFIG_PATH, ALERTMANAGER_TEMPLATE_PATH };
/**
 * Where alertmanager.yml says `{ env: NAME }` secrets are (one file per variable, written by deploy, mode 0600) when
 * no Environment names the directory the servers read: the shared tree, or peers whose secrets directories differ.
 */
export const ALERTMANAGER_SECRETS_DIR = '/etc/alertmanager/secrets';

/** Alertmanager's own defaults, written out on the root route so the file says what happens. */
export const ROOT_TIMING_DEFAULTS = { groupWait: '30s', groupInterval: '5m', repeatInterval: '4h' } as const;

export interface AlertmanagerOptions {
  /**
   * Labels that identify one instance of an alert (besides alertname and severity): the automatic inhibition's `equal`.
   * Undefined when they are not known: the alert then gets no automatic inhibition.
   */
  identityLabels(alert: AlertModel): string[] | undefined;
  /** Per-file parts of earlier compiles to reuse (see compile-scopes.ts). */
  scopes?: FileScopes;
}

/**
 * `alertmanager/alertmanager.yml` and `alertmanager/templates/vigil.tmpl` from the model. Pure and deterministic.
 * Secrets are never written: see SecretUse. Channels that cannot work without project settings (email without
 * `smtp`, dingtalk/sms without `relay`) are left out; the receiver/delivery check reports them.
 */
export function emitAlertmanager(model: Model, options: AlertmanagerOptions): { artifacts: Artifact[]; secrets: SecretUse[] } {
  const template = { path: ALERTMANAGER_TEMPLATE_PATH, content: VIGIL_TEMPLATE, sources: [] };
  const scopes = options.scopes;
  const kept = scopes?.memoised ? keptInhibitions(model, options, scopes) : undefined;
  if (kept?.inputs !== undefined) {
    // The file reads the project-wide facts and each file's inhibitions only: taken whole from an earlier compile
    // when no file's inhibitions (nor the groups they fall into) changed.
    const made = scopes!.memoDocument('alertmanager.yml', kept.inputs, () => alertmanagerConfig(model, options, kept.parts));
    return { artifacts: [withLazyContent({ path: ALERTMANAGER_CONFIG_PATH, sources: made.sources, secrets: made.secrets }, made.sha256, made.text), template], secrets: made.secrets };
  }
  const made = alertmanagerConfig(model, options, kept?.parts);
  return { artifacts: [{ path: ALERTMANAGER_CONFIG_PATH, content: made.content, sources: made.sources, secrets: made.secrets }, template], secrets: made.secrets };
}

/** Each file's level inhibitions (see levelInhibitions), as a memoPart each, and what names them all for memoDocument. */
function keptInhibitions(model: Model, options: AlertmanagerOptions, scopes: FileScopes): { parts: KeptInhibitions; inputs?: string } {
  const rank = severityRank(model);
  const lines = new InhibitionLines();
  const make = (file: FileItems) =>
    file.groups.map((g) => {
      const from: string[] = [];
      const written = groupInhibitionItems(g, rank, options, from, lines);
      return { text: written.text, count: written.count, sources: from };
    });
  return scopes.groupFileParts('inhibitions', make, (file) => String(file.groups.length));
}

/** Per definition file, the YAML lines of its groups' level inhibitions, one entry per group in file order. */
type KeptInhibitions = Map<string, () => { text: string; count: number; sources: string[] }[]>;

function alertmanagerConfig(model: Model, options: AlertmanagerOptions, kept: KeptInhibitions | undefined): { content: string; sources: string[]; secrets: SecretUse[] } {
  const secrets: SecretUse[] = [];
  const sources: string[] = [];
  const project = model.project;
  if (project?.origin) sources.push(project.origin.def.file);

  const secretsDir = model.environment?.alertmanagerServerSecretsDir ?? ALERTMANAGER_SECRETS_DIR;
  const config: Record<string, unknown> = { global: globalSection(model, secrets, secretsDir) };

  if (model.routes) {
    sources.push(model.routes.origin.def.file);
    if (model.severities.length > 0) sources.push(model.severities[0]!.origin.def.file);
    config.route = rootRoute(model.routes.root, model.severities);
  }

  const inhibit = [...levelInhibitions(model, options, sources, kept), ...(model.routes?.inhibit ?? []).map(inhibitRule)];
  if (inhibit.some((rule) => !(rule instanceof WrittenItems) || rule.count > 0)) config.inhibit_rules = inhibit;
  if (model.routes?.timeIntervals?.length) config.time_intervals = timeIntervals(model.routes);

  const seen = new Set<string>();
  const receivers = [...model.receivers]
    .filter((r) => (seen.has(r.name) ? false : (seen.add(r.name), true)))
    .sort((a, b) => compare(a.name, b.name));
  for (const r of receivers) sources.push(r.origin.def.file);
  config.receivers = receivers.map((r) => receiver(model, r, secrets, secretsDir));
  // Vigil's own first: the project's files may use its templates, and a later definition of a name wins.
  config.templates = ['templates/*.tmpl', ...(project?.alertmanager?.templates ?? [])];

  const uses = [...secrets, ...secretSlotsOf(ALERTMANAGER_CONFIG_PATH, config)];
  return { content: goYaml(config, GENERATED_HEADER), sources: uniqueSorted(sources), secrets: uses };
}

function globalSection(model: Model, secrets: SecretUse[], secretsDir: string): Record<string, unknown> {
  const settings = model.project?.alertmanager;
  const global: Record<string, unknown> = { resolve_timeout: settings?.resolveTimeout ?? '5m' };
  if (settings?.httpConfig) global.http_config = httpConfig(settings.httpConfig, 'global.http_config', secrets, secretsDir);
  if (settings?.smtpHello !== undefined) global.smtp_hello = settings.smtpHello;
  if (settings?.wechatApiUrl !== undefined) global.wechat_api_url = settings.wechatApiUrl;
  const smtp = model.project?.smtp;
  if (smtp) {
    global.smtp_smarthost = smtp.smarthost;
    global.smtp_from = goTemplateText(smtp.from); // the default of email_configs.from, a template
    if (smtp.authUsername !== undefined) global.smtp_auth_username = smtp.authUsername;
    if (smtp.authPassword) global.smtp_auth_password_file = secretFile(smtp.authPassword, 'global.smtp_auth_password_file', undefined, secrets, secretsDir);
    global.smtp_require_tls = smtp.requireTls ?? true;
  }
  return global;
}

/** Alertmanager's http_config from the definition's camelCase one; its secrets become `*_file` paths. */
function httpConfig(spec: HttpClientConfig, field: string, secrets: SecretUse[], secretsDir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (spec.proxyUrl !== undefined) out.proxy_url = spec.proxyUrl;
  if (spec.followRedirects !== undefined) out.follow_redirects = spec.followRedirects;
  if (spec.enableHttp2 !== undefined) out.enable_http2 = spec.enableHttp2;
  if (spec.basicAuth) {
    out.basic_auth = { username: spec.basicAuth.username, password_file: secretFile(spec.basicAuth.password, `${field}.basic_auth.password_file`, undefined, secrets, secretsDir) };
  }
  if (spec.authorization) {
    out.authorization = {
      type: spec.authorization.type ?? 'Bearer',
      credentials_file: secretFile(spec.authorization.credentials, `${field}.authorization.credentials_file`, undefined, secrets, secretsDir),
    };
  }
  const tls = spec.tlsConfig;
  if (tls) {
    const t: Record<string, unknown> = {};
    if (tls.caFile !== undefined) t.ca_file = tls.caFile;
    if (tls.certFile !== undefined) t.cert_file = tls.certFile;
    if (tls.keyFile !== undefined) t.key_file = tls.keyFile;
    if (tls.serverName !== undefined) t.server_name = tls.serverName;
    if (tls.insecureSkipVerify !== undefined) t.insecure_skip_verify = tls.insecureSkipVerify;
    if (tls.minVersion !== undefined) t.min_version = tls.minVersion;
    out.tls_config = t;
  }
  return out;
}

/** A secret for a field that has a `*_file` variant in Alertmanager 0.25: the path of the file holding it. */
function secretFile(ref: SecretRef, field: string, receiver: string | undefined, secrets: SecretUse[], secretsDir: string): string {
  const path = ref.file ?? `${secretsDir.replace(/\/+$/, '')}/${ref.env}`;
  secrets.push(clean({ artifact: ALERTMANAGER_CONFIG_PATH, env: ref.env, file: ref.file, receiver, field, as: 'file', path }));
  return path;
}

function receiver(model: Model, r: ReceiverModel, secrets: SecretUse[], secretsDir: string): Record<string, unknown> {
  const out: Record<string, unknown> = { name: r.name };
  const write: AlertmanagerWriter = {
    text: goTemplateText,
    template: (key) => `{{ template "${TEMPLATE_NAMES[key]}" . }}`,
    placeholder: (ref, field) => new SecretPlaceholder(ref, field, r.name),
    file: (ref, field) => secretFile(ref, field, r.name, secrets, secretsDir),
  };
  const relayUrl = model.project?.relay?.url.replace(/\/+$/, '') ?? '';
  for (const { channel, spec } of channelsOf(r)) {
    if (missingSettings(channel, model.project).length > 0) continue;
    const sendResolved = spec.sendResolved ?? r.sendResolved;
    const block = channel.alertmanager(spec, { receiver: r.name, sendResolved, relayUrl, relayToken: model.project?.relay?.token, write });
    ((out[block.list] ??= []) as unknown[]).push(block.config);
  }
  for (const { list, configs } of integrationConfigs(r.integrations)) {
    for (const config of configs) ((out[list] ??= []) as unknown[]).push(writeIntegrationConfig(list, config, write));
  }
  return out;
}

function rootRoute(root: RouteModel, severities: SeverityModel[]): Record<string, unknown> {
  const expanded = expandRoot(root);
  const out: Record<string, unknown> = { receiver: expanded.receiver };
  if (root.groupBy) out.group_by = uniqueSorted(root.groupBy);
  out.group_wait = root.groupWait ?? ROOT_TIMING_DEFAULTS.groupWait;
  out.group_interval = root.groupInterval ?? ROOT_TIMING_DEFAULTS.groupInterval;
  out.repeat_interval = root.repeatInterval ?? ROOT_TIMING_DEFAULTS.repeatInterval;
  if (expanded.routes.length > 0) out.routes = expanded.routes.map((r) => childRoute(r, severities));
  return out;
}

/**
 * One emitted child route. `receivers: [a, b]` on a Vigil route has already become sibling nodes joined by
 * `continue` (see expandRoute in src/routing/expand.ts; its child routes refine the last sibling only).
 */
function childRoute(node: ExpandedRoute, severities: SeverityModel[]): Record<string, unknown> {
  const source = node.source;
  const out: Record<string, unknown> = {};
  if (node.receiver !== undefined) out.receiver = node.receiver;
  // In the order Alertmanager keeps them, so the file reads as /api/v2/status shows it.
  if (node.matchers.length > 0) out.matchers = sortMatchers(node.matchers).map(formatMatcher);
  if (node.continue) out.continue = true;
  if (source.groupBy) out.group_by = uniqueSorted(source.groupBy);
  const level = fixedSeverity(node.matchers, severities);
  const groupWait = source.groupWait ?? level?.groupWait;
  const groupInterval = source.groupInterval ?? level?.groupInterval;
  const repeatInterval = source.repeatInterval ?? level?.repeatInterval;
  if (groupWait !== undefined) out.group_wait = groupWait;
  if (groupInterval !== undefined) out.group_interval = groupInterval;
  if (repeatInterval !== undefined) out.repeat_interval = repeatInterval;
  if (source.muteTimeIntervals?.length) out.mute_time_intervals = source.muteTimeIntervals;
  if (source.activeTimeIntervals?.length) out.active_time_intervals = source.activeTimeIntervals;
  if (node.routes.length > 0) out.routes = node.routes.map((r) => childRoute(r, severities));
  return out;
}

/** The severity level a route's own matchers pin with `severity="x"`, if exactly one and it is declared. */
export function fixedSeverity(matchers: readonly SimpleMatcher[], severities: readonly SeverityModel[]): SeverityModel | undefined {
  const values = new Set(matchers.filter((m) => m.label === 'severity' && m.op === '=').map((m) => m.value));
  if (values.size !== 1) return undefined;
  const [name] = values;
  return severities.find((s) => s.name === name);
}

/**
 * The automatic level inhibition: for an alert with levels critical > warning > info, `critical` mutes `warning` and
 * `info`, and `warning` mutes `info`, of the same alert and identity labels. Levels not declared in Severities are
 * left out (the severity reference check reports them), and so are levels whose alerts carry no severity label: no
 * matcher can tell them apart.
 */
function levelInhibitions(model: Model, options: AlertmanagerOptions, sources: string[], kept: KeptInhibitions | undefined): (Record<string, unknown> | WrittenItems)[] {
  const rank = severityRank(model);
  const rules: (Record<string, unknown> | WrittenItems)[] = [];
  if (kept === undefined) {
    const lines = new InhibitionLines();
    for (const group of model.groups) rules.push(groupInhibitionItems(group, rank, options, sources, lines));
    return rules;
  }
  // An alert's rules read the alert, the severities and its identity labels (its expressions, the catalogue and the
  // recording rules): written per definition file, as the YAML lines of inhibit_rules' items, and taken from an
  // earlier compile of the same file and project-wide facts when there was one (keptInhibitions). In the model's
  // order of groups.
  const next = new Map<string, number>();
  for (const g of model.groups) {
    const file = g.origin.def.file;
    const at = next.get(file) ?? 0;
    next.set(file, at + 1);
    const made = kept.get(file)!()[at]!;
    rules.push(new WrittenItems(made.text, made.count, INHIBIT_RULE_INDENT));
    sources.push(...made.sources);
  }
  return rules;
}

/** inhibit_rules is a key of alertmanager.yml's top-level mapping: its items are written two spaces in. */
const INHIBIT_RULE_INDENT = '  ';

/**
 * A group's level inhibitions as inhibit_rules' items, written straight to text: exactly listItems(groupInhibitions(…))
 * (alertmanager.test.ts compares the two), without the 20,000 rule objects and matcher arrays of a large project. The
 * matcher lines of a severity ladder and the `equal` lines of an identity are written once.
 */
export function groupInhibitionItems(group: RuleGroupModel, rank: SeverityRank, options: AlertmanagerOptions, sources: string[], lines = new InhibitionLines()): WrittenItems {
  // Each alert's rules one string, the group's joined once (not an array of every line).
  const items: string[] = [];
  let count = 0;
  for (const alert of group.alerts) {
    if (!alert.enabled) continue;
    const ladder = lines.ladderOf(alert, rank);
    if (ladder.length === 0) continue;
    const identity = options.identityLabels(alert);
    // Without the full identity, one firing (say, of one queue) would mute another's: no inhibition is the safe side.
    if (!identity) continue;
    sources.push(alert.origin.def.file);
    const name = `\n${MATCHER_ITEM}${alertnameMatcher(alert.name)}`;
    const equal = lines.equal(identity);
    let text = '';
    for (const step of ladder) {
      text += `${items.length > 0 || text !== '' ? '\n' : ''}${INHIBIT_RULE_INDENT}- source_matchers:${name}${step.source}${RULE_KEY_INDENT}target_matchers:${name}${step.target}${equal}`;
      count++;
    }
    items.push(text);
  }
  return new WrittenItems(items.join(''), count, INHIBIT_RULE_INDENT);
}

/**
 * `alertname="<name>"` as a matcher item's YAML scalar. A name of letters, digits, `_`, `:`, `.` and `-` (nearly every
 * one; 10,000 in a large project) is quoted as it stands, and the matcher is plain YAML: it starts with `a`, holds no
 * space, control or `#` and ends with `"`, so none of yamlScalar's tests can fail (alertmanager.test.ts compares).
 */
export function alertnameMatcher(name: string): string {
  if (SIMPLE_NAME.test(name)) return `alertname="${name}"`;
  return yamlScalar(formatMatcher({ label: 'alertname', op: '=', value: name }), MATCHER_INDENT);
}

const SIMPLE_NAME = /^[A-Za-z0-9_:.-]*$/;

/** Where an inhibition rule's keys and its matchers' items are written. */
const RULE_KEY_INDENT = '    ';
const MATCHER_ITEM = '      - ';
/** A matcher item's scalar: what a multi-line one would be indented by (formatMatcher writes none). */
const MATCHER_INDENT = '        ';

/**
 * The lines that many inhibition rules repeat: a ladder's severity matchers, an identity's `equal`. Each made once,
 * and found again by its severities (its labels) one by one, without a key made of them.
 */
export class InhibitionLines {
  private readonly ladders = new Trie<{ source: string; target: string }[]>();
  private readonly equals = new Trie<string>();

  /** An alert's ladder: its labelled severities' (see labelledSeverities) as rank.ladder orders them. */
  ladderOf(alert: AlertModel, rank: SeverityRank): { source: string; target: string }[] {
    // Two levels that both carry their severity (the common case): looked up without the arrays.
    const levels = alert.levels;
    if (levels.length === 2 && carriesSeverityLabel(levels[0]!) && carriesSeverityLabel(levels[1]!)) {
      const a = levels[0]!.severity;
      const b = levels[1]!.severity;
      if (a !== b && rank.declares(a) && rank.declares(b)) {
        const pair = rank.compare(a, b) <= 0 ? ([a, b] as const) : ([b, a] as const);
        const steps = this.ladders.at(pair);
        return steps !== undefined ? steps : this.ladder([...pair]);
      }
    }
    return this.ladder(rank.ladder(labelledSeverities(alert)));
  }

  /** Per step of the ladder (all but its last severity), the source's severity matcher line and the target's. */
  ladder(levels: readonly string[]): { source: string; target: string }[] {
    if (levels.length < 2) return [];
    let steps = this.ladders.at(levels);
    if (!steps) {
      steps = levels.slice(0, -1).map((level, i) => {
        const lower = levels.slice(i + 1);
        const target =
          lower.length === 1
            ? formatMatcher({ label: 'severity', op: '=', value: lower[0]! })
            : formatMatcher({ label: 'severity', op: '=~', value: lower.map(escapeRegex).join('|') });
        return { source: `\n${matcherLine(formatMatcher({ label: 'severity', op: '=', value: level }))}\n`, target: `\n${matcherLine(target)}` };
      });
      this.ladders.set(levels, steps);
    }
    return steps;
  }

  /** The `equal:` key and its items for an alert's identity labels, after a line break ('' when it has none to list). */
  equal(identity: readonly string[]): string {
    let text = this.equals.at(identity);
    if (text === undefined) {
      const labels = uniqueSorted(identity.filter((l) => l !== 'alertname' && l !== 'severity'));
      text = labels.length === 0 ? '' : `\n${[`${RULE_KEY_INDENT}equal:`, ...labels.map(matcherLine)].join('\n')}`;
      this.equals.set(identity, text);
    }
    return text;
  }
}

/** Values by lists of strings, found by walking the list (no key made of it). */
class Trie<T> {
  private readonly root: TrieNode<T> = { next: new Map() };
  at(path: readonly string[]): T | undefined {
    let node: TrieNode<T> | undefined = this.root;
    for (let i = 0; i < path.length && node; i++) node = node.next.get(path[i]!);
    return node?.value;
  }
  set(path: readonly string[], value: T): void {
    let node = this.root;
    for (const step of path) {
      let child = node.next.get(step);
      if (!child) node.next.set(step, (child = { next: new Map() }));
      node = child;
    }
    node.value = value;
  }
}

interface TrieNode<T> {
  next: Map<string, TrieNode<T>>;
  value?: T;
}

function matcherLine(text: string): string {
  return `${MATCHER_ITEM}${yamlScalar(text, MATCHER_INDENT)}`;
}

/** The same rules as data: what groupInhibitionItems writes (kept as the reference its test compares with). */
export function groupInhibitions(group: RuleGroupModel, rank: ReturnType<typeof severityRank>, options: AlertmanagerOptions, sources: string[]): Record<string, unknown>[] {
  const rules: Record<string, unknown>[] = [];
  for (const alert of group.alerts) {
    if (!alert.enabled) continue;
    const levels = rank.ladder(labelledSeverities(alert));
    if (levels.length < 2) continue;
    const identity = options.identityLabels(alert);
    // Without the full identity, one firing (say, of one queue) would mute another's: no inhibition is the safe side.
    if (!identity) continue;
    sources.push(alert.origin.def.file);
    const equal = uniqueSorted(identity.filter((l) => l !== 'alertname' && l !== 'severity'));
    const name = formatMatcher({ label: 'alertname', op: '=', value: alert.name });
    levels.slice(0, -1).forEach((level, i) => {
      const lower = levels.slice(i + 1);
      const target =
        lower.length === 1
          ? formatMatcher({ label: 'severity', op: '=', value: lower[0]! })
          : formatMatcher({ label: 'severity', op: '=~', value: lower.map(escapeRegex).join('|') });
      // alertname before severity: already the order Alertmanager sorts matchers into.
      const rule: Record<string, unknown> = {
        source_matchers: [name, formatMatcher({ label: 'severity', op: '=', value: level })],
        target_matchers: [name, target],
      };
      if (equal.length > 0) rule.equal = equal;
      rules.push(rule);
    });
  }
  return rules;
}

/** `time_intervals:` sorted by name, each spec in Alertmanager's field names. */
function timeIntervals(routes: RoutesModel): Record<string, unknown>[] {
  return [...(routes.timeIntervals ?? [])]
    .sort((a, b) => compare(a.name, b.name))
    .map((t) => ({ name: t.name, time_intervals: t.intervals.map(timeInterval) }));
}

function timeInterval(spec: TimeInterval): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (spec.times) out.times = spec.times.map((t) => ({ start_time: t.startTime, end_time: t.endTime }));
  if (spec.weekdays) out.weekdays = spec.weekdays;
  if (spec.daysOfMonth) out.days_of_month = spec.daysOfMonth;
  if (spec.months) out.months = spec.months;
  if (spec.years) out.years = spec.years;
  if (spec.location !== undefined) out.location = spec.location;
  return out;
}

function inhibitRule(rule: InhibitModel): Record<string, unknown> {
  const out: Record<string, unknown> = {
    source_matchers: sortMatchers(rule.sourceMatchers).map(formatMatcher),
    target_matchers: sortMatchers(rule.targetMatchers).map(formatMatcher),
  };
  if (rule.equal.length > 0) out.equal = uniqueSorted(rule.equal);
  return out;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function clean(use: SecretUse): SecretUse {
  const out = {} as SecretUse;
  for (const [k, v] of Object.entries(use)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}
