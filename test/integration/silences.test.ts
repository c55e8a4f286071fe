// kind: Silences against a real Alertmanager 0.25 through API v2: plan, deploy (create, update, expire), verify,
// rollback, and silences Vigil did not make — a person's, another project's — left exactly as they were.
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AlertmanagerPeer } from '../../src/build/environment.ts';
import { DeployError } from '../../src/deploy/errors.ts';
import { SilencesAdapter } from '../../src/deploy/silences.ts';
import type { SilenceDocument, SilencesFile } from '../../src/silences/document.ts';
import type { LiveSilence } from '../../src/silences/diff.ts';
import { hasCommand, REPO, runOnBuild, runVigilAsync } from '../helpers/cli.ts';
import { serviceScope, type RunningAlertmanager } from '../helpers/services.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const HOUR = 3_600_000;
const at = (ms: number) => new Date(ms).toISOString();
const now = Date.now();

function entry(name: string, fields: Partial<SilenceDocument> = {}): SilenceDocument {
  return {
    name,
    matchers: [{ name: 'instance', value: 'gpu-3:9400', isRegex: false, isEqual: true }],
    startsAt: at(now + HOUR),
    endsAt: at(now + 3 * HOUR),
    createdBy: 'alice@example.com',
    comment: `[vigil ml/${name}] OPS-123 GPU replacement`,
    ...fields,
  };
}

const file = (silences: SilenceDocument[]): SilencesFile => ({ generator: 'vigil', project: 'ml', silences });

describe('silences synced with a real Alertmanager', () => {
  const scope = serviceScope();
  let am: RunningAlertmanager;
  let peers: AlertmanagerPeer[];
  const adapter = (silences: SilenceDocument[]) => new SilencesAdapter({ peers, file: file(silences) });

  const live = async (): Promise<LiveSilence[]> => (await (await fetch(`${am.url}/api/v2/silences`)).json()) as LiveSilence[];
  const current = async () => (await live()).filter((s) => s.status.state !== 'expired');
  const post = async (s: Omit<SilenceDocument, 'name'>): Promise<string> => {
    const r = await fetch(`${am.url}/api/v2/silences`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(s) });
    expect(r.status, await r.clone().text()).toBe(200);
    return ((await r.json()) as { silenceID: string }).silenceID;
  };
  const plan = async (silences: SilenceDocument[]) => {
    const a = adapter(silences);
    return { a, plan: await a.plan() };
  };
  const deploy = async (silences: SilenceDocument[]) => {
    const { a, plan: p } = await plan(silences);
    await a.apply();
    await a.verify();
    return p;
  };

  // Silences a person or another tool made: identical matchers, look-alike markers, another project's marker.
  const FOREIGN: [string, Omit<SilenceDocument, 'name'>][] = [
    ['a person, same matchers and window', { ...entry('x'), comment: 'OPS-123 GPU replacement', createdBy: 'bob' }],
    ['a person, marker not at the start', { ...entry('x'), comment: 'see [vigil ml/gpu-3-maintenance]' }],
    ['another project', { ...entry('x'), comment: '[vigil other/gpu-3-maintenance] theirs' }],
    ['a look-alike marker', { ...entry('x'), comment: '[vigil ml gpu-3-maintenance] typo' }],
    ['createdBy says vigil', { ...entry('x'), createdBy: 'vigil', comment: 'made by hand' }],
  ];
  const foreignIds: string[] = [];

  beforeAll(async () => {
    const dir = await scope.tempDir();
    const configFile = path.join(dir, 'alertmanager.yml');
    await writeFile(configFile, 'route: { receiver: none }\nreceivers: [{ name: none }]\n');
    am = await scope.startAlertmanager({ configFile });
    peers = [{ url: am.url, reloadUrl: `${am.url}/-/reload` }];
    for (const [, s] of FOREIGN) foreignIds.push(await post(s));
  }, 60_000);

  const foreignUntouched = async () => {
    const byId = new Map((await live()).map((s) => [s.id, s]));
    FOREIGN.forEach(([what, s], i) => {
      const l = byId.get(foreignIds[i]!);
      expect(l?.status.state, what).toBe('pending');
      expect({ comment: l?.comment, createdBy: l?.createdBy, endsAt: Date.parse(l!.endsAt) }, what).toEqual({ comment: s.comment, createdBy: s.createdBy, endsAt: Date.parse(s.endsAt) });
    });
  };

  it('plans and creates the missing silences; foreign ones are not in the plan', async () => {
    const { plan: p } = await plan([entry('gpu-3-maintenance'), entry('db-window', { matchers: [{ name: 'alertname', value: 'Db.+', isRegex: true, isEqual: true }] })]);
    expect(p.changes.map((c) => `${c.kind} ${c.object}`)).toEqual(['add silence gpu-3-maintenance', 'add silence db-window']);
    await deploy([entry('gpu-3-maintenance'), entry('db-window', { matchers: [{ name: 'alertname', value: 'Db.+', isRegex: true, isEqual: true }] })]);
    const mine = (await current()).filter((s) => s.comment.startsWith('[vigil ml/'));
    expect(mine.map((s) => s.comment).sort()).toEqual(['[vigil ml/db-window] OPS-123 GPU replacement', '[vigil ml/gpu-3-maintenance] OPS-123 GPU replacement']);
    await foreignUntouched();
  });

  it('a second deploy of the same build changes nothing', async () => {
    const { plan: p } = await plan([entry('gpu-3-maintenance'), entry('db-window', { matchers: [{ name: 'alertname', value: 'Db.+', isRegex: true, isEqual: true }] })]);
    expect(p.changes).toEqual([]);
    expect(p.notes).toContain('2 silences unchanged');
  });

  it('updates a changed silence and expires one removed from the definitions', async () => {
    const longer = entry('gpu-3-maintenance', { endsAt: at(now + 5 * HOUR), comment: '[vigil ml/gpu-3-maintenance] OPS-124 longer' });
    const p = await deploy([longer]);
    expect(p.changes.map((c) => `${c.kind} ${c.object}`)).toEqual(['change silence gpu-3-maintenance', 'remove silence db-window']);
    expect(p.changes[0]!.detail).toContain('endsAt, comment');
    const mine = (await current()).filter((s) => s.comment.startsWith('[vigil ml/'));
    expect(mine).toHaveLength(1);
    expect(Date.parse(mine[0]!.endsAt)).toBe(now + 5 * HOUR);
    await foreignUntouched();
  });

  it('Alertmanager 0.25 updates a pending silence in place, and replaces an active one whose matchers change', async () => {
    const pending = entry('in-place', { startsAt: at(now + HOUR) });
    await deploy([entry('gpu-3-maintenance', { endsAt: at(now + 5 * HOUR), comment: '[vigil ml/gpu-3-maintenance] OPS-124 longer' }), pending]);
    const id = (await current()).find((s) => s.comment.startsWith('[vigil ml/in-place]'))!.id;
    await deploy([entry('gpu-3-maintenance', { endsAt: at(now + 5 * HOUR), comment: '[vigil ml/gpu-3-maintenance] OPS-124 longer' }), { ...pending, endsAt: at(now + 2 * HOUR) }]);
    expect((await current()).filter((s) => s.comment.startsWith('[vigil ml/in-place]')).map((s) => s.id)).toEqual([id]);

    const active = entry('active', { startsAt: at(now - HOUR) });
    await deploy([entry('gpu-3-maintenance', { endsAt: at(now + 5 * HOUR), comment: '[vigil ml/gpu-3-maintenance] OPS-124 longer' }), active]);
    const before = (await current()).find((s) => s.comment.startsWith('[vigil ml/active]'))!;
    expect(before.status.state).toBe('active');
    await deploy([entry('gpu-3-maintenance', { endsAt: at(now + 5 * HOUR), comment: '[vigil ml/gpu-3-maintenance] OPS-124 longer' }), { ...active, matchers: [{ name: 'instance', value: 'gpu-4:9400', isRegex: false, isEqual: true }] }]);
    const after = (await current()).filter((s) => s.comment.startsWith('[vigil ml/active]'));
    expect(after).toHaveLength(1);
    expect(after[0]!.id).not.toBe(before.id);
    expect((await live()).find((s) => s.id === before.id)!.status.state).toBe('expired');
  });

  it('an active silence whose start has passed is the same silence (Alertmanager starts it at creation)', async () => {
    const started = entry('started', { startsAt: at(now - HOUR) });
    await deploy([entry('gpu-3-maintenance', { endsAt: at(now + 5 * HOUR), comment: '[vigil ml/gpu-3-maintenance] OPS-124 longer' }), started]);
    const { plan: p } = await plan([entry('gpu-3-maintenance', { endsAt: at(now + 5 * HOUR), comment: '[vigil ml/gpu-3-maintenance] OPS-124 longer' }), started]);
    expect(p.changes).toEqual([]);
  });

  it('an entry whose endsAt has passed creates nothing, and is named in a note', async () => {
    const ended = entry('ended', { startsAt: at(now - 3 * HOUR), endsAt: at(now - HOUR) });
    const { plan: p } = await plan([ended]);
    expect(p.changes.some((c) => c.object === 'silence ended')).toBe(false);
    expect(p.notes.join('\n')).toContain('silence ended ended at');
  });

  it('rollback restores the previous Vigil-owned state', async () => {
    const before = (await current()).filter((s) => s.comment.startsWith('[vigil ml/')).map((s) => [s.comment, Date.parse(s.endsAt)]).sort();
    const { a } = await plan([entry('gpu-3-maintenance', { endsAt: at(now + 6 * HOUR) }), entry('new-one')]);
    await a.apply();
    expect((await current()).filter((s) => s.comment.startsWith('[vigil ml/'))).toHaveLength(2);
    expect(await a.rollback()).toEqual([]);
    const after = (await current()).filter((s) => s.comment.startsWith('[vigil ml/')).map((s) => [s.comment, Date.parse(s.endsAt)]).sort();
    expect(after).toEqual(before);
    await foreignUntouched();
  });

  it('expires every Vigil silence when the definitions hold none, and still leaves the foreign ones', async () => {
    const p = await deploy([]);
    expect(p.changes.every((c) => c.kind === 'remove')).toBe(true);
    expect((await current()).filter((s) => s.comment.startsWith('[vigil ml/'))).toEqual([]);
    await foreignUntouched();
  });

  it('an unreachable Alertmanager is a clear DeployError', async () => {
    const a = new SilencesAdapter({ peers: [{ url: 'http://127.0.0.1:1', reloadUrl: 'http://127.0.0.1:1/-/reload' }], file: file([]) });
    const e = await a.plan().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DeployError);
    expect((e as DeployError).code).toBe('deploy/unreachable');
  });
});

describe('vigil plan and deploy with a Silences definition, from the build', () => {
  const scope = serviceScope();
  let stack: Stack;
  let dir: string;
  let envFile: string;
  const silencesYaml = (entries: string) => `apiVersion: vigil/v1\nkind: Silences\nsilences:\n${entries}`;
  const maintenance = (endsAt: string) =>
    `  - name: node-maintenance\n    matchers: ['alertname="TargetDown"', 'instance="gpu-3:9100"']\n    startsAt: ${at(now + HOUR)}\n    endsAt: ${endsAt}\n    createdBy: alice@example.com\n    comment: OPS-123 node swap\n`;
  const vigil = (args: string[]) => runOnBuild([...args.slice(0, 1), path.join(dir, 'monitoring'), '--environment-file', envFile, ...args.slice(1)], REPO, { VIGIL_TEST_WECOM_SECRET: 'wecom-secret-value' });
  const am = () => stack.alertmanagers[0]!.service.url;

  beforeAll(async () => {
    // prom-b runs without --web.enable-lifecycle: a deploy to it fails at its reload, after the silences were written.
    stack = await startStack(scope, { prometheus: 2, lifecycle: [true, false], alertmanagers: 1 });
    dir = await scope.tempDir();
    await cp(path.join(REPO, 'test/fixtures/deploy/monitoring'), path.join(dir, 'monitoring'), { recursive: true });
    envFile = path.join(dir, 'env.yaml');
    await writeFile(envFile, stack.environment({ replicas: ['prom-a'] }));
    // A person's silence with hostile text: never in the plan, never touched.
    const r = await fetch(`${am()}/api/v2/silences`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ matchers: [{ name: 'alertname', value: 'TargetDown', isRegex: false, isEqual: true }], startsAt: at(now + HOUR), endsAt: at(now + 2 * HOUR), createdBy: '</details><img src=x>', comment: '```\n+ silence forged\n[vigil deploy-fixture/evil` <b>x</b>' }) });
    expect(r.status).toBe(200);
  }, 120_000);

  it('plan lists the silence to create (exit 3), in text and markdown, and deploy creates it', async () => {
    await writeFile(path.join(dir, 'monitoring/silences.yaml'), silencesYaml(maintenance(at(now + 3 * HOUR))));
    const plan = await vigil(['plan']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(3);
    expect(plan.stdout).toContain('alertmanager silences: 1 to add, 0 to change, 0 to remove');
    expect(plan.stdout).toContain(`+ silence node-maintenance: ${at(now + HOUR)} → ${at(now + 3 * HOUR)}`);
    const markdown = await vigil(['plan', '--format', 'markdown']);
    expect(markdown.stdout).toContain('| alertmanager silences | 1 | 0 | 0 |');
    expect(markdown.stdout).not.toContain('<img');
    expect(markdown.stdout).not.toContain('forged');
    const deploy = await vigil(['deploy']);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain('alertmanager silences: verified');
    const live = ((await (await fetch(`${am()}/api/v2/silences`)).json()) as LiveSilence[]).filter((s) => s.comment.startsWith('[vigil deploy-fixture/node-maintenance]'));
    expect(live.map((s) => [s.comment, s.createdBy, s.status.state])).toEqual([['[vigil deploy-fixture/node-maintenance] OPS-123 node swap', 'alice@example.com', 'pending']]);
    const again = await vigil(['plan']);
    expect(again.code, again.stdout).toBe(0);
  }, 120_000);

  it('a changed end is an update, and emptying the definition expires the silence; the person’s silence stays', async () => {
    await writeFile(path.join(dir, 'monitoring/silences.yaml'), silencesYaml(maintenance(at(now + 4 * HOUR))));
    const plan = await vigil(['plan']);
    expect(plan.stdout).toContain('~ silence node-maintenance: endsAt');
    expect((await vigil(['deploy'])).code).toBe(0);
    await writeFile(path.join(dir, 'monitoring/silences.yaml'), 'apiVersion: vigil/v1\nkind: Silences\nsilences: []\n');
    const expire = await vigil(['plan']);
    expect(expire.stdout).toContain('- silence node-maintenance: no longer in the definitions: expire');
    expect((await vigil(['deploy'])).code).toBe(0);
    const live = (await (await fetch(`${am()}/api/v2/silences`)).json()) as LiveSilence[];
    expect(live.filter((s) => s.status.state !== 'expired').map((s) => s.createdBy)).toEqual(['</details><img src=x>']);
  }, 120_000);

  it('a deploy that fails after the silences were written rolls them back with the rest', async () => {
    await writeFile(path.join(dir, 'monitoring/silences.yaml'), silencesYaml(maintenance(at(now + 3 * HOUR))));
    await writeFile(envFile, stack.environment({ replicas: ['prom-b'] }));
    const deploy = await vigil(['deploy']);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(1);
    expect(deploy.stderr).toContain('alertmanager silences: verified');
    expect(deploy.stderr).toMatch(/rolled back: .*alertmanager silences/);
    const live = (await (await fetch(`${am()}/api/v2/silences`)).json()) as LiveSilence[];
    expect(live.filter((s) => s.status.state !== 'expired').map((s) => s.createdBy)).toEqual(['</details><img src=x>']);
  }, 120_000);
});

describe.skipIf(!hasCommand('promtool'))('vigil test shows what each silence mutes', () => {
  const scope = serviceScope();

  it('in text and json: the levels, whether series labels decide, and the receivers they would reach', async () => {
    const dir = await scope.tempDir();
    await cp(path.join(REPO, 'test/fixtures/tests/project'), path.join(dir, 'monitoring'), { recursive: true });
    const entry = (name: string, matchers: string) => `  - name: ${name}\n    matchers: [${matchers}]\n    startsAt: 2099-01-01T01:00:00Z\n    duration: 4h\n    createdBy: alice\n    comment: OPS-1\n`;
    await writeFile(
      path.join(dir, 'monitoring/silences.yaml'),
      `apiVersion: vigil/v1\nkind: Silences\nsilences:\n${entry('node', `'alertname="TargetDown"', 'instance="gpu-3:9100"'`)}${entry('app-team', `'team="app"'`)}`,
    );
    const env = { VIGIL_TEST_SYNTHESIZER: 'off' };
    const text = await runVigilAsync(['test'], dir, env);
    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(text.stdout).toContain(
      [
        '  silences     2 silences',
        '    app-team 2099-01-01T01:00:00.000Z → 2099-01-01T05:00:00.000Z: mutes 3 alert levels',
        '      QueueDeep critical → oncall, team',
        '      QueueDeep warning → team',
        '      TargetDown critical → oncall, team',
        '    node 2099-01-01T01:00:00.000Z → 2099-01-01T05:00:00.000Z: mutes 1 alert level',
        '      TargetDown critical where instance matches → oncall, team',
      ].join('\n'),
    );
    const json = await runVigilAsync(['test', '--check', '--format', 'json'], dir, env);
    const report = JSON.parse(json.stdout) as { silences: { name: string; mutes: { alert: string; level: string; extent: string; dependsOn: string[] }[] }[] };
    expect(report.silences.map((s) => [s.name, s.mutes.map((m) => `${m.alert} ${m.level} ${m.extent} ${m.dependsOn.join(',')}`)])).toEqual([
      ['app-team', ['QueueDeep critical always ', 'QueueDeep warning always ', 'TargetDown critical always ']],
      ['node', ['TargetDown critical some instance']],
    ]);
  }, 120_000);
});
