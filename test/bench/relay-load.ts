/**
 * The client side of the relay benchmark (relay-bench.ts), run as a child process so that the relay's work cannot
 * delay the clock that times it: an SMS gateway sink (what `relay.sms: { provider: http }` posts to) that timestamps
 * every message's arrival, and an open-loop generator that posts Alertmanager webhooks (version 4, one alert each) at
 * a fixed rate. Sending and receipt are read from one clock, this process's.
 *
 * Each notification is named by its alert's summary, `bench <run> <seq>`: the relay's SMS text carries it in
 * `params.summary`, a webhook posted straight to the sink (the baseline) in `alerts[0].annotations.summary`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoadRequest {
  type: 'load';
  run: number;
  /** Where the webhooks go, in turn: the relay's notify endpoints (one per receiver), or the sink for the baseline. */
  urls: string[];
  token?: string;
  rate: number;
  seconds: number;
  /** How long to wait for deliveries after the last answer when none arrives any more. */
  drainQuietMs: number;
}

export interface LoadResult {
  type: 'result';
  run: number;
  sent: number;
  /** ms from sending the POST to its full answer, per notification; null when it failed. */
  answeredMs: (number | null)[];
  /** ms from sending the POST to the sink's receipt of its message, per notification; null when never delivered. */
  deliveredMs: (number | null)[];
  /** Answers by HTTP status ("error" for a request that got none). */
  statuses: Record<string, number>;
  firstErrors: string[];
  /** Messages the sink received more than once. */
  duplicates: number;
  /** How late the generator sent, ms behind its schedule: p99 and max. */
  lateP99Ms: number;
  lateMaxMs: number;
  /** ms from the first POST to the last one sent, to the last answer, and to the last delivery. */
  sendSpanMs: number;
  answerSpanMs: number;
  deliverySpanMs: number;
}

export type ToParent = { type: 'ready'; sinkUrl: string } | LoadResult;

const now = (): number => performance.now();

interface Run {
  sentAt: Float64Array;
  receivedAt: Float64Array;
  duplicates: number;
  delivered: number;
}

const runs = new Map<number, Run>();

function summaryOf(body: unknown): string | undefined {
  const b = body as { params?: { summary?: unknown }; alerts?: { annotations?: { summary?: unknown } }[] };
  const summary = b.params?.summary ?? b.alerts?.[0]?.annotations?.summary;
  return typeof summary === 'string' ? summary : undefined;
}

function recordReceipt(body: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return;
  }
  const [word, runText, seqText] = (summaryOf(parsed) ?? '').split(' ');
  const run = runs.get(Number(runText));
  const seq = Number(seqText);
  if (word !== 'bench' || !run || !(seq >= 0 && seq < run.receivedAt.length)) return;
  if (!Number.isNaN(run.receivedAt[seq]!)) {
    run.duplicates++;
    return;
  }
  run.receivedAt[seq] = now();
  run.delivered++;
}

async function startSink(): Promise<string> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      recordReceipt(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"sent"}');
    });
  });
  // Longer than any client keeps an idle connection, so no message races a socket close.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function webhook(run: number, seq: number): string {
  const fingerprint = (run * 1_000_000 + seq).toString(16).padStart(16, '0');
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="RelayBench", seq="${seq}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'oncall',
    groupLabels: { alertname: 'RelayBench', seq: String(seq) },
    commonLabels: { alertname: 'RelayBench', severity: 'critical', team: 'app', seq: String(seq) },
    commonAnnotations: { summary: `bench ${run} ${seq}` },
    externalURL: 'http://alertmanager.bench:9093',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'RelayBench', severity: 'critical', team: 'app', seq: String(seq) },
        annotations: { summary: `bench ${run} ${seq}` },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.bench:9090/graph',
        fingerprint,
      },
    ],
  });
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN);

/** Posts `rate × seconds` webhooks on a fixed schedule, never waiting for an answer before the next (open loop). */
async function load(request: LoadRequest): Promise<LoadResult> {
  const total = Math.round(request.rate * request.seconds);
  const run: Run = { sentAt: new Float64Array(total).fill(NaN), receivedAt: new Float64Array(total).fill(NaN), duplicates: 0, delivered: 0 };
  runs.set(request.run, run);
  const answeredAt = new Float64Array(total).fill(NaN);
  const statuses: Record<string, number> = {};
  const firstErrors: string[] = [];
  const late: number[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const targets = request.urls.map((u) => new URL(u));
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(request.token ? { Authorization: `Bearer ${request.token}` } : {}) };
  let answered = 0;
  let allAnswered!: () => void;
  const done = new Promise<void>((resolve) => (allAnswered = resolve));
  const settle = (status: string, error?: string) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (error && firstErrors.length < 5) firstErrors.push(error);
    if (++answered === total) allAnswered();
  };

  const send = (seq: number) => {
    const body = webhook(request.run, seq);
    const req = http.request(targets[seq % targets.length]!, { method: 'POST', agent, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ok = res.statusCode! >= 200 && res.statusCode! < 300;
        if (ok) answeredAt[seq] = now();
        settle(String(res.statusCode), ok ? undefined : `${res.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`);
      });
    });
    req.on('error', (e) => settle('error', e.message));
    run.sentAt[seq] = now();
    req.end(body);
  };

  const interval = 1000 / request.rate;
  const start = now() + 20;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      while (next < total && start + next * interval <= t) {
        late.push(t - (start + next * interval));
        send(next++);
      }
      if (next < total) setTimeout(tick, Math.max(0, start + next * interval - now()));
      else resolve();
    };
    setTimeout(tick, 20);
  });
  await done;

  // Deliveries may trail the answers: wait while they keep coming.
  let lastCount = -1;
  let quietSince = now();
  while (run.delivered < total) {
    if (run.delivered !== lastCount) {
      lastCount = run.delivered;
      quietSince = now();
    } else if (now() - quietSince > request.drainQuietMs) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  agent.destroy();

  const span = (times: Float64Array) => Math.max(...Array.from(times).filter((x) => !Number.isNaN(x))) - run.sentAt[0]!;
  const since = (times: Float64Array) => Array.from(times, (t, i) => (Number.isNaN(t) ? null : t - run.sentAt[i]!));
  late.sort((a, b) => a - b);
  return {
    type: 'result',
    run: request.run,
    sent: total,
    answeredMs: since(answeredAt),
    deliveredMs: since(run.receivedAt),
    statuses,
    firstErrors,
    duplicates: run.duplicates,
    lateP99Ms: percentile(late, 99),
    lateMaxMs: late[late.length - 1] ?? NaN,
    sendSpanMs: span(run.sentAt),
    answerSpanMs: span(answeredAt),
    deliverySpanMs: span(run.receivedAt),
  };
}

const sinkUrl = await startSink();
const reply = (message: ToParent) => process.send!(message);
process.on('message', (message: LoadRequest) => {
  if (message.type === 'load') void load(message).then(reply);
});
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready', sinkUrl });
