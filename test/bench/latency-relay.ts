/**
 * The relay leg of the alert latency benchmark (latency-bench.ts): Alertmanager's receiver also posts each
 * notification to a Vigil relay, which delivers it to a DingTalk sink that checks what DingTalk checks (signature,
 * timestamp window, 20 messages a minute). The relay serves the relay.yml `vigil build` wrote for the base fixture
 * project with its `oncall` receiver on DingTalk, from a SQLite store, in this process; the sink stamps each message it
 * accepts on the bench's clock, `now()`.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { secretReader } from '../../src/relay/secrets.ts';
import { startRelay, type RunningRelay } from '../../src/relay/server.ts';
import { openSqliteStore } from '../../src/relay/store/sqlite.ts';
import type { RelayStore } from '../../src/relay/types.ts';
import { freePort } from '../../src/testing/alertmanager-process.ts';
import { startDingtalkSink, type DingtalkSink } from '../doubles/dingtalk-sink.ts';
import { REPO, runVigilAsync } from '../helpers/cli.ts';
import { now } from './latency-sink.ts';

const ROBOT = { token: 'bench-robot', secret: 'SECbench0123456789' };
const RECEIVER = 'oncall';

export interface RelayLeg {
  /** An entry of Alertmanager's `webhook_configs` (YAML, indented for `receivers[].webhook_configs`) posting to the relay. */
  webhookConfig: string;
  /** When the DingTalk sink accepted the first message about `flip` in `status`; rejects after `timeoutMs`. */
  waitFor(flip: string, status: 'firing' | 'resolved', timeoutMs: number): Promise<number>;
  /** Messages the robot accepted, and requests it refused (a bad signature, throttled, …). */
  counts(): { accepted: number; refused: number };
  stop(): Promise<void>;
}

/** The English title's status word, and the flip's label as the message lists it (`flip=12`, not `flip=1`). */
const STATUS_WORD = { firing: '[FIRING]', resolved: '[RESOLVED]' };
const mentionsFlip = (text: string, flip: string) => new RegExp(`flip=${flip}(?![0-9])`).test(text);

async function buildRelayProject(dir: string, port: number, tokenFile: string): Promise<string> {
  const monitoring = path.join(dir, 'monitoring');
  await cp(path.join(REPO, 'test/fixtures/base'), monitoring, { recursive: true });
  const edit = async (file: string, change: (text: string) => string) => writeFile(path.join(monitoring, file), change(await readFile(path.join(monitoring, file), 'utf8')));
  await edit('project.yaml', (t) => t.replace(/^relay: .*$/m, `relay: { url: "http://127.0.0.1:${port}", token: { file: "${tokenFile}" } }`));
  await edit('receivers.yaml', (t) => t.replace('    sms: { to: ["+8613800000000"] }', '    dingtalk: { webhook: { env: BENCH_DT }, secret: { env: BENCH_DT_SECRET } }'));
  const out = path.join(dir, 'generated');
  const build = await runVigilAsync(['build', monitoring, '--out', out], dir);
  if (build.code !== 0) throw new Error(`vigil build of the relay project failed:\n${build.stderr}`);
  return out;
}

export async function startRelayLeg(dir: string): Promise<RelayLeg> {
  const port = await freePort();
  const tokenFile = path.join(dir, 'relay-token');
  await writeFile(tokenFile, 'bench-notify-token\n');
  const buildDir = await buildRelayProject(dir, port, tokenFile);
  let sink: DingtalkSink | undefined;
  let store: RelayStore | undefined;
  let relay: RunningRelay | undefined;
  const stop = async () => {
    await relay?.stop();
    await store?.close();
    await sink?.close();
  };
  try {
    sink = await startDingtalkSink({ robots: [ROBOT], now });
    store = openSqliteStore(path.join(dir, 'relay.db'));
    await store.migrate();
    relay = await startRelay(
      {
        store,
        buildDir,
        requireNotifyToken: true,
        secrets: secretReader({ BENCH_DT: sink.url(ROBOT.token), BENCH_DT_SECRET: ROBOT.secret }),
        language: 'en',
        timeZone: 'UTC',
        log: (line) => {
          if (/error|failed/i.test(line)) process.stderr.write(`relay: ${line}\n`);
        },
      },
      { host: '127.0.0.1', port },
    );
  } catch (e) {
    await stop();
    throw e;
  }
  const robot = sink;
  const find = (flip: string, status: 'firing' | 'resolved') =>
    robot.messages(ROBOT.token).find((m) => {
      const text = JSON.stringify(m.body);
      return text.includes(STATUS_WORD[status]) && mentionsFlip(text, flip);
    });
  return {
    webhookConfig: `      - url: 'http://127.0.0.1:${port}/api/v1/notify/dingtalk/${RECEIVER}'
        send_resolved: true
        http_config:
          authorization:
            credentials_file: '${tokenFile}'
`,
    async waitFor(flip, status, timeoutMs) {
      const deadline = now() + timeoutMs;
      for (;;) {
        const message = find(flip, status);
        if (message) return message.at;
        if (now() > deadline) throw new Error(`no ${status} DingTalk message for flip ${flip} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    counts: () => ({ accepted: robot.messages(ROBOT.token).length, refused: robot.requests.filter((r) => r.outcome !== 0).length }),
    stop,
  };
}
