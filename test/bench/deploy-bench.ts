// Deploy benchmark: 10,000 alerting rules (5,000 two-level alerts) deployed to a live Prometheus 2.42 and verified,
// then a one-rule change (all 10,000 reloaded and verified again), then the no-op redeploy. The goal is < 5 s for a
// verified deploy; promtool check rules on the same files runs in the same session for scale.
//   node --import tsx test/bench/deploy-bench.ts
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildView } from '../../src/build/read.ts';
import { compile } from '../../src/compile.ts';
import { deployEnvironment } from '../../src/deploy/deploy.ts';
import { loadDirectory } from '../../src/load/index.ts';
import { findAlertmanager, startService, type RunningService } from '../../src/testing/alertmanager-process.ts';
import { writeSyntheticProject } from './synthetic.ts';

const ALERTS = 5_000;

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vigil-deploy-bench-'));
  const services: RunningService[] = [];
  try {
    const defs = path.join(root, 'monitoring');
    await writeSyntheticProject(defs, ALERTS, 0);
    const promDir = path.join(root, 'prometheus');
    const rulesDir = path.join(promDir, 'rules');
    await mkdir(rulesDir, { recursive: true });
    const promConfig = path.join(promDir, 'prometheus.yml');
    await writeFile(promConfig, `global:\n  evaluation_interval: 30s\nrule_files:\n  - ${rulesDir}/*.yml\n`);
    const prometheus = await startService({
      name: 'prometheus',
      command: 'prometheus',
      args: (port) => [`--config.file=${promConfig}`, `--storage.tsdb.path=${path.join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-lifecycle'],
      readyPath: '/-/ready',
      readyTimeoutMs: 30_000,
    });
    services.push(prometheus);
    const amDir = path.join(root, 'alertmanager');
    await mkdir(amDir, { recursive: true });
    const amConfig = path.join(amDir, 'alertmanager.yml');
    await writeFile(amConfig, 'route:\n  receiver: x\nreceivers:\n  - name: x\n');
    const am = await startService({
      name: 'alertmanager',
      command: findAlertmanager()?.binary ?? 'prometheus-alertmanager',
      args: (port) => [`--config.file=${amConfig}`, `--storage.path=${path.join(amDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
      readyPath: '/-/ready',
    });
    services.push(am);
    await writeFile(
      path.join(defs, 'environment.yaml'),
      `apiVersion: vigil/v1\nkind: Environment\nname: bench\nprometheus:\n  - { url: "${prometheus.url}", rulesDir: "${rulesDir}" }\nalertmanager: { configFile: "${amConfig}", peers: ["${am.url}"] }\nscrape:\n  app: { targets: ["127.0.0.1:9"] }\n`,
    );

    let t = performance.now();
    const loaded = await loadDirectory(defs);
    const compiled = compile(loaded, { environment: 'bench' });
    const compileMs = performance.now() - t;
    if (compiled.diagnostics.some((d) => d.severity === 'error')) throw new Error(compiled.diagnostics.map((d) => d.message).join('\n'));
    const build = buildView(compiled.artifacts);
    const environment = build.environment!;
    const rules = compiled.artifacts.filter((a) => a.path.startsWith('prometheus/rules/'));
    const ruleCount = rules.reduce((n, a) => n + (a.content.match(/^\s+- alert: /gm)?.length ?? 0), 0);

    // The log is kept to its last 256 KiB, so reloads are told apart by their timestamp, not counted.
    const LOAD_LINE = /ts=(\S+) .*?Completed loading of configuration file.*?totalDuration=([0-9.]+)(ms|s)/g;
    let lastLoad = [...prometheus.log().matchAll(LOAD_LINE)].at(-1)?.[1];
    const deploy = async (artifacts = compiled.artifacts) => {
      const start = performance.now();
      const marks = new Map<string, number>();
      const report = await deployEnvironment({ environment, build: artifacts === compiled.artifacts ? build : buildView(artifacts) }, { progress: (l) => marks.set(l, performance.now() - start) });
      if (report.failure) throw new Error(report.failure.error.message);
      const ms = performance.now() - start;
      const planned = marks.get('planned') ?? 0;
      const promStart = marks.get([...marks.keys()].find((k) => k.startsWith('prometheus') && k.includes('applying')) ?? '') ?? planned;
      const promDone = marks.get([...marks.keys()].find((k) => k.startsWith('prometheus') && k.endsWith('verified')) ?? '') ?? promStart;
      // Prometheus' own time to load the configuration and rules, from its log line of this reload (the line may reach
      // this process a moment after the reload's HTTP response).
      await new Promise((r) => setTimeout(r, 200));
      const last = [...prometheus.log().matchAll(LOAD_LINE)].at(-1);
      const reloadMs = last && last[1] !== lastLoad ? Number(last[2]) * (last[3] === 's' ? 1000 : 1) : 0;
      lastLoad = last?.[1];
      return { ms, changes: report.plans.reduce((n, p) => n + p.changes.length, 0), planned, prometheus: promDone - promStart, reloadMs };
    };
    const changed = compiled.artifacts.map((a) => (a.path === rules[0]!.path ? { ...a, content: a.content.replace(/> 0\.7$/m, '> 0.75') } : a));
    const rows: [string, { ms: number; changes: number; planned: number; prometheus: number; reloadMs: number }][] = [];
    rows.push(['first deploy (every rule new)', await deploy()]);
    for (let i = 0; i < 3; i++) {
      rows.push([`one rule changed (#${i + 1})`, await deploy(changed)]);
      rows.push([`changed back (#${i + 1})`, await deploy()]);
    }
    for (let i = 0; i < 3; i++) rows.push([`no-op redeploy (#${i + 1})`, await deploy()]);

    const files = (await readdir(rulesDir)).filter((f) => f.endsWith('.yml')).map((f) => path.join(rulesDir, f));
    t = performance.now();
    const check = spawnSync('promtool', ['check', 'rules', ...files], { encoding: 'utf8' });
    const promtoolMs = performance.now() - t;
    if (check.status !== 0) throw new Error(check.stderr);

    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`## Deploy: ${ruleCount.toLocaleString('en')} rules to a live Prometheus, verified\n`);
    console.log(`Compile of the environment (${ALERTS} alerts, ${files.length} rule files): ${s(compileMs)}. promtool check rules on the deployed files, same run: ${s(promtoolMs)}.\n`);
    console.log('| deploy | changes | total: secrets, lock, plan ∥ pre-flight, write, reload, verify | of which plan ∥ pre-flight | of which Prometheus write + reload + verify | of which Prometheus loading the rules (its log) | goal < 5 s |');
    console.log('|---|---:|---:|---:|---:|---:|---|');
    for (const [name, r] of rows) console.log(`| ${name} | ${r.changes} | ${s(r.ms)} | ${s(r.planned)} | ${s(r.prometheus)} | ${r.reloadMs ? s(r.reloadMs) : '—'} | ${r.ms < 5000 ? 'met' : 'NOT met'} |`);
  } finally {
    for (const svc of services.reverse()) await svc.stop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
