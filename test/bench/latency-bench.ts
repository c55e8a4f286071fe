/**
 * Alert latency benchmark: real Prometheus and Alertmanager, an in-process exporter and webhook sink
 * (latency-sink.ts). A gauge is flipped over an alert threshold and back, and the time from each flip to the firing
 * and resolved notifications at the sink is compared with the theoretical floor. Prints a markdown section for
 * docs/benchmarks.md. The last scenario also sends every notification through the Vigil relay to a DingTalk sink
 * (latency-relay.ts): metric crosses threshold → Prometheus → Alertmanager → relay → DingTalk, against the same floor.
 * Run: `npm run bench:latency` (about 5 minutes; BENCH_FLIPS overrides the 10 flips per scenario, BENCH_SCENARIOS
 * picks scenarios by a word of their name, such as `relay`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findAlertmanager, startAlertmanager, startService, type RunningService } from '../../src/testing/alertmanager-process.ts';
import { startRelayLeg, type RelayLeg } from './latency-relay.ts';
import { now, startExporter, startWebhookSink, type Exporter, type Notification, type Scrape, type WebhookSink } from './latency-sink.ts';

const FLIPS = Number(process.env.BENCH_FLIPS ?? 10);
const SCRAPE_INTERVAL_S = 1;
const EVAL_INTERVAL_S = 1;
const GROUP_WAIT_S = 0;
const GROUP_INTERVAL_S = 1;
/** The seed's bound on notification, also how long a single notification is waited for. */
const NOTIFY_TIMEOUT_MS = 30_000;
/**
 * A flip through the relay lasts at least this long: it sends two DingTalk messages, and a robot takes 20 a minute
 * (the relay keeps to 18); faster flips would measure the rate limit's digests instead of the path.
 */
const RELAY_FLIP_MIN_MS = 7_000;

interface Scenario {
  name: string;
  forSeconds: number;
  /** Prometheus flags beyond the ones every scenario needs. */
  extraFlags: string[];
  /** Every notification also goes through the Vigil relay to a DingTalk sink. */
  relay?: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'for: 0s', forSeconds: 0, extraFlags: [] },
  { name: 'for: 5s', forSeconds: 5, extraFlags: [] },
  { name: 'for: 0s, resend-delay 1s', forSeconds: 0, extraFlags: ['--rules.alert.resend-delay=1s'] },
  { name: 'for: 0s, through the relay to DingTalk', forSeconds: 0, extraFlags: [], relay: true },
];

const CHOSEN = (process.env.BENCH_SCENARIOS ?? '').split(',').map((w) => w.trim()).filter(Boolean);
const chosen = (s: Scenario) => CHOSEN.length === 0 || CHOSEN.some((word) => s.name.includes(word));

/** One flip up and back down; every time is `now()` milliseconds. */
interface Flip {
  flip: string;
  raisedAt: number;
  /** The first scrape that served the raised value. */
  highScrape: Scrape;
  /** Prometheus's evaluation timestamp at which the alert became active (pending, or firing when `for` is 0). */
  activeAt: number;
  /** Prometheus's evaluation timestamp at which the alert went firing. */
  firedAt: number;
  firingNotifiedAt: number;
  loweredAt: number;
  lowScrape: Scrape;
  /** Prometheus's evaluation timestamp at which the alert resolved. */
  resolvedAt: number;
  resolvedNotifiedAt: number;
  /** Through the relay: when the DingTalk sink accepted the firing and the resolved message. */
  firingRelayedAt?: number;
  resolvedRelayedAt?: number;
}

interface Harness {
  prometheusUrl: string;
  exporter: Exporter;
  sink: WebhookSink;
  relay?: RelayLeg;
  services: RunningService[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
// Configuration

function prometheusConfig(exporterTarget: string, alertmanagerTarget: string): string {
  return `global:
  scrape_interval: ${SCRAPE_INTERVAL_S}s
  evaluation_interval: ${EVAL_INTERVAL_S}s
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['${alertmanagerTarget}']
scrape_configs:
  - job_name: bench
    static_configs:
      - targets: ['${exporterTarget}']
`;
}

function ruleFile(forSeconds: number): string {
  return `groups:
  - name: bench
    rules:
      - alert: BenchHigh
        expr: bench_value > 50
        for: ${forSeconds}s
        labels:
          severity: critical
`;
}

/** One group per flip (`flip` is in group_by): every flip starts a new aggregation group, so group_wait applies to
 * it, and no state left by the previous flip (a group that is only deleted at the next 30 s maintenance, its
 * group_interval timer, the notification log) can delay or swallow a notification. */
function alertmanagerConfig(sinkUrl: string, moreWebhooks = ''): string {
  return `route:
  receiver: sink
  group_by: [alertname, flip]
  group_wait: ${GROUP_WAIT_S}s
  group_interval: ${GROUP_INTERVAL_S}s
  repeat_interval: 1h
receivers:
  - name: sink
    webhook_configs:
      - url: '${sinkUrl}'
        send_resolved: true
${moreWebhooks}`;
}

function prometheusFlags(dir: string, port: number, extra: string[]): string[] {
  return [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=http://127.0.0.1:${port}/`,
    '--web.enable-lifecycle',
    ...extra,
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Services

type PartialHarness = Partial<Harness> & Pick<Harness, 'services'>;

/** Fills `parts` as it goes, so that whatever was started can be stopped when a later step fails. */
async function startHarness(dir: string, scenario: Scenario, parts: PartialHarness): Promise<Harness> {
  const harness = parts as Harness;
  harness.exporter = await startExporter();
  harness.sink = await startWebhookSink();
  if (scenario.relay) harness.relay = await startRelayLeg(dir);
  await writeFile(path.join(dir, 'alertmanager.yml'), alertmanagerConfig(harness.sink.url, harness.relay?.webhookConfig));
  const am = await startAlertmanager({ configFile: path.join(dir, 'alertmanager.yml'), storageDir: path.join(dir, 'am') });
  harness.services.push(am);
  await writeFile(path.join(dir, 'prometheus.yml'), prometheusConfig(harness.exporter.target, `127.0.0.1:${am.port}`));
  await writeFile(path.join(dir, 'rules.yml'), ruleFile(scenario.forSeconds));
  const prometheus = await startService({
    name: 'prometheus',
    command: 'prometheus',
    args: (port) => prometheusFlags(dir, port, scenario.extraFlags),
    readyPath: '/-/ready',
    readyTimeoutMs: 30_000,
  });
  harness.services.push(prometheus);
  harness.prometheusUrl = prometheus.url;
  await waitUntilWired(prometheus.url, harness.exporter);
  return harness;
}

/** Prometheus has discovered the Alertmanager and scraped the exporter at least twice. */
async function waitUntilWired(prometheusUrl: string, exporter: Exporter): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${prometheusUrl}/api/v1/alertmanagers`);
    const body = (await res.json()) as { data: { activeAlertmanagers: unknown[] } };
    if (body.data.activeAlertmanagers.length > 0 && exporter.scrapes.length >= 2) return;
    await sleep(100);
  }
  throw new Error('Prometheus did not discover the Alertmanager or scrape the exporter within 30 s');
}

async function stopHarness(harness: PartialHarness): Promise<void> {
  // Prometheus first, so it does not keep sending to a stopped Alertmanager.
  for (const service of [...harness.services].reverse()) await service.stop();
  await harness.relay?.stop();
  await harness.exporter?.close();
  await harness.sink?.close();
}

// ---------------------------------------------------------------------------------------------------------------
// Flips

function firstScrapeAfter(exporter: Exporter, at: number, flip: string, value: number): Scrape {
  const scrape = exporter.scrapes.find((s) => s.at >= at && s.flip === flip && s.value === value);
  if (!scrape) throw new Error(`no scrape served flip ${flip} = ${value}`);
  return scrape;
}

/** Read from Prometheus rather than derived from `for`, so that the bench shows how long `for` really held. */
async function activeAt(prometheusUrl: string, flip: string): Promise<number> {
  const res = await fetch(`${prometheusUrl}/api/v1/alerts`);
  const body = (await res.json()) as { data: { alerts: { labels: Record<string, string>; activeAt: string }[] } };
  const alert = body.data.alerts.find((a) => a.labels.flip === flip);
  if (!alert) throw new Error(`Prometheus has no alert for flip ${flip}`);
  return Date.parse(alert.activeAt);
}

const notification = (flip: string, status: Notification['status']) => (n: Notification) => n.labels.flip === flip && n.status === status;

async function runFlip(harness: Harness, flip: string): Promise<Flip> {
  const { exporter, sink } = harness;
  // Random phases against the scrape and evaluation ticks: the loop is paced by those ticks (it acts right after a
  // notification, which follows an evaluation), so without them every flip would land at the same point of the
  // cycle and sample one latency instead of the distribution.
  await sleep(Math.random() * 1000);

  const raisedAt = now();
  exporter.set(flip, 100);
  const firing = await sink.waitFor(notification(flip, 'firing'), NOTIFY_TIMEOUT_MS);
  const active = await activeAt(harness.prometheusUrl, flip);
  const firingRelayedAt = await harness.relay?.waitFor(flip, 'firing', NOTIFY_TIMEOUT_MS);

  await sleep(Math.random() * 1000);
  const loweredAt = now();
  exporter.set(flip, 0);
  const resolved = await sink.waitFor(notification(flip, 'resolved'), NOTIFY_TIMEOUT_MS);
  const resolvedRelayedAt = await harness.relay?.waitFor(flip, 'resolved', NOTIFY_TIMEOUT_MS);

  return {
    flip,
    raisedAt,
    highScrape: firstScrapeAfter(exporter, raisedAt, flip, 100),
    activeAt: active,
    firedAt: firing.startsAt,
    firingNotifiedAt: firing.at,
    loweredAt,
    lowScrape: firstScrapeAfter(exporter, loweredAt, flip, 0),
    resolvedAt: resolved.endsAt,
    resolvedNotifiedAt: resolved.at,
    ...(firingRelayedAt !== undefined && resolvedRelayedAt !== undefined ? { firingRelayedAt, resolvedRelayedAt } : {}),
  };
}

interface ScenarioResult {
  scenario: Scenario;
  flips: Flip[];
  /** Notifications the sink received for the counted flips (one firing and one resolved each are expected). */
  notifications: number;
  /** Through the relay: DingTalk messages accepted (warm-up included) and requests the robot refused. */
  relayed?: { accepted: number; refused: number };
}

/** Waits two group_intervals so that a duplicate notification, if Alertmanager sent one, would be counted. */
async function countNotifications(sink: WebhookSink, flips: Flip[]): Promise<number> {
  await sleep(2 * GROUP_INTERVAL_S * 1000 + 500);
  const counted = new Set(flips.map((f) => f.flip));
  return sink.notifications.filter((n) => counted.has(n.labels.flip ?? '')).length;
}

async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-latency-'));
  const parts: PartialHarness = { services: [] };
  try {
    const startedAt = now();
    const harness = await startHarness(dir, scenario, parts);
    log(`${scenario.name}: services up in ${seconds(now() - startedAt)}`);
    // The first notification also pays for connection set-up on every hop; it is not counted.
    await runFlip(harness, 'warmup');
    const flips: Flip[] = [];
    for (let i = 1; i <= FLIPS; i++) {
      const startedFlip = now();
      const flip = await runFlip(harness, String(i));
      if (harness.relay) await sleep(RELAY_FLIP_MIN_MS - (now() - startedFlip));
      flips.push(flip);
      const ms = (xs: number[]) => xs.map(Math.round).join('/');
      const relayed = flip.firingRelayedAt === undefined ? '' : `; DingTalk through the relay ${ms(relayAdded(flip))} ms after the webhook (firing/resolved)`;
      log(`${scenario.name} flip ${i}: firing ${ms(firingStages(flip))} ms, resolved ${ms(resolvedStages(flip))} ms (scrape/eval/for/delivery/total)${relayed}`);
    }
    const notifications = await countNotifications(harness.sink, flips);
    return { scenario, flips, notifications, ...(harness.relay ? { relayed: harness.relay.counts() } : {}) };
  } catch (e) {
    for (const service of parts.services) log(`--- ${service.name} log (tail)\n${service.log().split('\n').slice(-20).join('\n')}`);
    throw e;
  } finally {
    const stoppingAt = now();
    await stopHarness(parts);
    log(`${scenario.name}: services stopped in ${seconds(now() - stoppingAt)}`);
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics and report

interface Summary {
  p50: number;
  p95: number;
  max: number;
}

/** Nearest-rank percentiles (with 10 samples p95 is the maximum); values in seconds. */
function summarize(ms: number[]): Summary {
  const sorted = [...ms].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]! / 1000;
  return { p50: rank(0.5), p95: rank(0.95), max: sorted.at(-1)! / 1000 };
}

interface Path {
  label: string;
  floorSeconds: number;
  floorFormula: string;
  summary: Summary;
}

function paths({ scenario, flips }: ScenarioResult): Path[] {
  const f = scenario.forSeconds;
  const relayed = scenario.relay
    ? [
        {
          label: 'flip → firing DingTalk message, through the relay',
          floorSeconds: SCRAPE_INTERVAL_S + EVAL_INTERVAL_S + f + GROUP_WAIT_S,
          floorFormula: `${SCRAPE_INTERVAL_S} + ${EVAL_INTERVAL_S} + ${f} + ${GROUP_WAIT_S}`,
          summary: summarize(flips.map((x) => x.firingRelayedAt! - x.raisedAt)),
        },
        {
          label: 'flip back → resolved DingTalk message, through the relay',
          floorSeconds: SCRAPE_INTERVAL_S + EVAL_INTERVAL_S + GROUP_INTERVAL_S,
          floorFormula: `${SCRAPE_INTERVAL_S} + ${EVAL_INTERVAL_S} + ${GROUP_INTERVAL_S} (group_interval)`,
          summary: summarize(flips.map((x) => x.resolvedRelayedAt! - x.loweredAt)),
        },
      ]
    : [];
  return [
    {
      label: 'flip → alert firing in Prometheus (trigger)',
      floorSeconds: SCRAPE_INTERVAL_S + EVAL_INTERVAL_S + f,
      floorFormula: `${SCRAPE_INTERVAL_S} + ${EVAL_INTERVAL_S} + ${f}`,
      summary: summarize(flips.map((x) => x.firedAt - x.raisedAt)),
    },
    {
      label: 'flip → firing notification',
      floorSeconds: SCRAPE_INTERVAL_S + EVAL_INTERVAL_S + f + GROUP_WAIT_S,
      floorFormula: `${SCRAPE_INTERVAL_S} + ${EVAL_INTERVAL_S} + ${f} + ${GROUP_WAIT_S}`,
      summary: summarize(flips.map((x) => x.firingNotifiedAt - x.raisedAt)),
    },
    {
      label: 'flip back → resolved notification',
      floorSeconds: SCRAPE_INTERVAL_S + EVAL_INTERVAL_S + GROUP_INTERVAL_S,
      floorFormula: `${SCRAPE_INTERVAL_S} + ${EVAL_INTERVAL_S} + ${GROUP_INTERVAL_S} (group_interval)`,
      summary: summarize(flips.map((x) => x.resolvedNotifiedAt - x.loweredAt)),
    },
    ...relayed,
  ];
}

/** Milliseconds from the webhook notification to the DingTalk message of the same flip: firing, resolved. */
function relayAdded(x: Flip): number[] {
  return [x.firingRelayedAt! - x.firingNotifiedAt, x.resolvedRelayedAt! - x.resolvedNotifiedAt];
}

/** What the relay adds to Alertmanager's own webhook (both notified by one receiver at once), in ms. */
function relayTable(results: ScenarioResult[]): string {
  const rows = results
    .filter((r) => r.scenario.relay)
    .flatMap(({ scenario, flips }) =>
      (['firing', 'resolved'] as const).map((status, i) => {
        const added = flips.map((x) => relayAdded(x)[i]!);
        const s = summarize(added);
        return `| ${scenario.name} | ${status} | ${Math.round(s.p50 * 1000)} | ${Math.round(s.p95 * 1000)} | ${Math.round(s.max * 1000)} |`;
      }),
    );
  if (rows.length === 0) return '';
  return [
    'Added by the relay: the DingTalk message after the webhook notification Alertmanager sent at the same moment (ms):',
    '',
    '| scenario | notification | p50 | p95 | max |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const fmt = (s: number) => `${s.toFixed(2)} s`;
const signed = (s: number) => `${s >= 0 ? '+' : '−'}${Math.abs(s).toFixed(2)} s`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function latencyTable(results: ScenarioResult[]): string {
  const rows = results.flatMap((r) =>
    paths(r).map(
      (p) =>
        `| ${r.scenario.name} | ${p.label} | ${fmt(p.floorSeconds)} (${p.floorFormula}) | ${fmt(p.summary.p50)} | ${fmt(p.summary.p95)} | ${fmt(p.summary.max)} | ${signed(p.summary.p50 - p.floorSeconds)} / ${signed(p.summary.p95 - p.floorSeconds)} |`,
    ),
  );
  return ['| scenario | path | floor | p50 | p95 | max | p50 / p95 − floor |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

/** Where each notification's time went: mean (min–max) over the flips, in milliseconds. */
function breakdownTable(results: ScenarioResult[]): string {
  const cell = (ms: number[]) => `${Math.round(mean(ms))} (${Math.round(Math.min(...ms))}–${Math.round(Math.max(...ms))})`;
  const rows = results.flatMap(({ scenario, flips }) => {
    const row = (what: string, stages: (x: Flip) => number[]) =>
      `| ${scenario.name} | ${what} | ${[0, 1, 2, 3, 4].map((i) => cell(flips.map((x) => stages(x)[i]!))).join(' | ')} |`;
    return [row('firing', firingStages), row('resolved', resolvedStages)];
  });
  return [
    '| scenario | notification | wait for scrape | scrape → evaluation | `for` (activeAt → firing) | evaluation → sink | total |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** Milliseconds: wait for scrape, scrape → evaluation, `for`, evaluation → sink, total. */
function firingStages(x: Flip): number[] {
  return [
    x.highScrape.at - x.raisedAt,
    x.activeAt - x.highScrape.at,
    x.firedAt - x.activeAt,
    x.firingNotifiedAt - x.firedAt,
    x.firingNotifiedAt - x.raisedAt,
  ];
}

function resolvedStages(x: Flip): number[] {
  return [x.lowScrape.at - x.loweredAt, x.resolvedAt - x.lowScrape.at, 0, x.resolvedNotifiedAt - x.resolvedAt, x.resolvedNotifiedAt - x.loweredAt];
}

function verdictTable(results: ScenarioResult[]): string {
  const yes = (ok: boolean) => (ok ? 'yes' : '**no**');
  const rows = results.flatMap((r) => {
    const [trigger, firing, resolved, ...relayed] = paths(r);
    const relayRows = relayed.map((p) => `| ${r.scenario.name} | ${p.label}: p95 within 1 s of floor (#10 goal) | ${signed(p.summary.p95 - p.floorSeconds)} | ${yes(p.summary.p95 <= p.floorSeconds + 1)} |`);
    return [
      `| ${r.scenario.name} | trigger < 10 s (seed), worst flip | ${fmt(trigger!.summary.max)} | ${yes(trigger!.summary.max < 10)} |`,
      `| ${r.scenario.name} | notify < 30 s (seed), worst flip of firing and resolved | ${fmt(Math.max(firing!.summary.max, resolved!.summary.max))} | ${yes(Math.max(firing!.summary.max, resolved!.summary.max) < 30)} |`,
      `| ${r.scenario.name} | firing p95 within 1 s of floor (goal) | ${signed(firing!.summary.p95 - firing!.floorSeconds)} | ${yes(firing!.summary.p95 <= firing!.floorSeconds + 1)} |`,
      `| ${r.scenario.name} | resolved p95 within 1 s of floor (goal) | ${signed(resolved!.summary.p95 - resolved!.floorSeconds)} | ${yes(resolved!.summary.p95 <= resolved!.floorSeconds + 1)} |`,
      ...relayRows,
    ];
  });
  return ['| scenario | bound | measured | met |', '|---|---|---|---|', ...rows].join('\n');
}

function notificationCounts(results: ScenarioResult[]): string {
  return results
    .map((r) => {
      const relayed = r.relayed ? `, ${r.relayed.accepted} DingTalk messages through the relay (${2 * (r.flips.length + 1)} expected, warm-up included), ${r.relayed.refused} refused by the robot` : '';
      return `${r.scenario.name}: ${r.notifications} notifications for ${r.flips.length} flips (${2 * r.flips.length} expected)${relayed}`;
    })
    .join('; ');
}

function versionOf(binary: string): string {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return /version (\S+?)(\+|\s)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
}

function report(results: ScenarioResult[], elapsedMs: number): string {
  const am = findAlertmanager();
  const machine = `${os.cpus().length} cores, Node ${process.versions.node}, Prometheus ${versionOf('prometheus')}, Alertmanager ${am?.version ?? 'unknown'}`;
  return `## Alert latency: metric flip to notification

\`\`\`sh
npm run bench:latency     # node --import tsx test/bench/latency-bench.ts; BENCH_FLIPS=${FLIPS} flips per scenario; took ${Math.round(elapsedMs / 1000)} s
\`\`\`

The bench runs a real Prometheus and a real Alertmanager on 127.0.0.1 (free ports, temporary storage, stopped by PID
afterwards) and two tiny HTTP servers of its own: an exporter serving \`bench_value{flip="<n>"}\` and a webhook sink
that timestamps every POST. Each flip sets the gauge from 0 to 100 (rule \`BenchHigh: bench_value > 50\`, label
\`severity: critical\`), waits for the firing notification, sets it back to 0 and waits for the resolved one. One
warm-up flip per scenario is not counted; a random 0–1 s pause before each change of the gauge spreads the changes
over the scrape and evaluation cycle. Every flip uses a new \`flip\` label value and Alertmanager groups by \`[alertname, flip]\`, so
each flip is a new alert and a new aggregation group.

- Prometheus: \`scrape_interval: ${SCRAPE_INTERVAL_S}s\`, \`evaluation_interval: ${EVAL_INTERVAL_S}s\`. Flags: \`--config.file\`,
  \`--storage.tsdb.path=<temp>\`, \`--web.listen-address=127.0.0.1:<port>\` (loopback, free port),
  \`--web.external-url=http://127.0.0.1:<port>/\` (no host name in generator URLs), \`--web.enable-lifecycle\` (asked for
  by the issue; the bench uses neither \`/-/reload\` nor \`/-/quit\` and it does not affect latency). Everything else is
  default, including \`--rules.alert.resend-delay=1m\`: it only paces re-sending of alerts that are *still* firing (a new
  firing alert and a resolution are sent at the evaluation that produces them), which the third scenario, with
  \`--rules.alert.resend-delay=1s\`, checks.
- Alertmanager: \`group_by: [alertname, flip]\`, \`group_wait: ${GROUP_WAIT_S}s\`, \`group_interval: ${GROUP_INTERVAL_S}s\`, \`repeat_interval: 1h\`, webhook
  with \`send_resolved: true\`. Flags: \`--config.file\`, \`--storage.path=<temp>\`, \`--web.listen-address=127.0.0.1:<port>\`,
  \`--cluster.listen-address=\` (empty: no clustering, so no gossip settle time and no peer-position wait before
  notifying), \`--web.external-url\`.
- Sink: Node \`http\` with \`keepAliveTimeout\` 120 s (\`headersTimeout\` 125 s), longer than the 90 s Alertmanager's Go
  client keeps a connection idle; with Node's default 5 s, a notification sent just as Node closes the idle socket
  fails with ECONNRESET and is retried with back-off (a 6-flip trial with the default did not hit that race).
- Through the relay (last scenario): the same receiver also posts to a Vigil relay (SQLite store, in the bench's
  process) serving the relay.yml \`vigil build\` wrote for a project whose receiver is on DingTalk; the relay signs and
  sends each notice to a DingTalk sink that checks the signature and takes 20 messages a minute, so flips there last
  at least ${RELAY_FLIP_MIN_MS / 1000} s. Its paths have the same floors: the relay adds no wait of its own.
- Floor: the sum of the waits the configuration allows at most — firing: scrape interval + evaluation interval +
  \`for\` + \`group_wait\`; resolved: scrape interval + evaluation interval + \`group_interval\` (the group has already
  flushed once, so the resolution waits for its next group_interval tick, not group_wait).

Measured ${new Date().toISOString().slice(0, 10)} on the project machine (${machine}); ${FLIPS} flips per scenario,
nearest-rank percentiles${FLIPS <= 20 ? ` (with ${FLIPS} flips p95 is the maximum)` : ''}:

${latencyTable(results)}

Where the time goes, in ms, mean (min–max) over the flips. "Wait for scrape" ends when the exporter served the new
value; "scrape → evaluation" ends at the evaluation that saw it (the alert's \`activeAt\` from \`/api/v1/alerts\`, or
\`endsAt\` of the resolved notification); \`for\` is \`startsAt\` (Prometheus's \`FiredAt\`) − \`activeAt\`; "evaluation →
sink" is Prometheus's notifier, Alertmanager and the webhook POST:

${breakdownTable(results)}

${relayTable(results)}
${verdictTable(results)}

Notifications received: ${notificationCounts(results)}.
`;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function main(): Promise<void> {
  const started = now();
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS.filter(chosen)) results.push(await runScenario(scenario));
  console.log(report(results, now() - started));
}

await main();
