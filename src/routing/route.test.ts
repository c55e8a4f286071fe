import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { emitAlertmanager } from '../emit/alertmanager.ts';
import type { RoutesModel } from '../model/types.ts';
import { fixtureFiles, modelOf, routingCases } from '../../test/fixtures/alertmanager/model.ts';
import { expandRoot } from './expand.ts';
import { routeAlert, routeEmittedConfig } from './route.ts';

function routesOf(yaml: string): RoutesModel {
  const model = modelOf({ 'routes.yaml': yaml });
  return model.routes!;
}

const FORMAT_EXAMPLE = fixtureFiles('routing')['test/fixtures/alertmanager/routing/sugar-nested.yaml']!;

describe('expandRoot', () => {
  it('turns receivers [a, b] into siblings joined by continue; children and the route continue go to the last', () => {
    const routes = routesOf(`
apiVersion: vigil/v1
kind: Routes
receiver: root
routes:
  - matchers: ['team="a"']
    receivers: [x, y, z]
    continue: true
    routes:
      - matchers: ['severity="critical"']
        receivers: [p]
  - matchers: ['team="b"']
`);
    const root = expandRoot(routes.root);
    expect(root.receiver).toBe('root');
    expect(root.routes.map((r) => [r.receiver, r.continue, r.routes.length, r.sibling, r.siblings])).toEqual([
      ['x', true, 0, 0, 3],
      ['y', true, 0, 1, 3],
      ['z', true, 1, 2, 3],
      [undefined, false, 0, 0, 1],
    ]);
    expect(root.routes[0]!.source).toBe(root.routes[2]!.source);
    expect(root.routes[0]!.matchers).toEqual(root.routes[2]!.matchers);
  });
});

describe('routeAlert', () => {
  const routes = routesOf(FORMAT_EXAMPLE);
  it.each([
    [{ severity: 'critical', team: 'ml-platform' }, ['oncall', 'ml-team']],
    [{ severity: 'warning', team: 'ml-platform' }, ['ml-team']],
    [{ severity: 'warning', team: 'ml-platform', service: 'inference' }, ['ops-wecom']],
    // the first matching route without continue wins: info of ml-platform never reaches audit
    [{ severity: 'info', team: 'ml-platform' }, ['ml-team']],
    [{ severity: 'info', team: 'other' }, ['audit']],
    [{ severity: 'warning', team: 'other' }, ['ml-team']],
    [{}, ['ml-team']],
  ])('%j → %j', (labels, receivers) => {
    expect(routeAlert(routes, labels).receivers).toEqual(receivers);
  });

  it('reports the path of Vigil routes to each delivery', () => {
    const r = routeAlert(routes, { severity: 'warning', team: 'ml-platform', service: 'inference' });
    expect(r.deliveries).toHaveLength(1);
    expect(r.deliveries[0]!.path.map((p) => p.origin.path.join('.'))).toEqual(['receiver', 'routes.1', 'routes.1.routes.0']);
    expect(r.deliveries[0]!.origins[2]!.def.file).toBe('routes.yaml');
    expect(r.matched).toEqual([routes.root, routes.root.routes[1], routes.root.routes[1]!.routes[0]]);
    const sugar = routeAlert(routes, { severity: 'critical' });
    expect(sugar.deliveries.map((d) => [d.receiver, d.node.sibling])).toEqual([
      ['oncall', 0],
      ['ml-team', 1],
    ]);
    expect(sugar.matched).toEqual([routes.root, routes.root.routes[0]]);
  });

  it('says when an alert reaches only the default receiver, and whether that is intended', () => {
    const fell = routeAlert(routes, { severity: 'warning', team: 'other' });
    expect(fell).toMatchObject({ fellThrough: true, reachesOnlyRoot: true, matchedDefaultOk: false });
    const info = routeAlert(routes, { severity: 'info', team: 'other' });
    expect(info).toMatchObject({ fellThrough: false, reachesOnlyRoot: false, matchedDefaultOk: true });
    // a route that names the root's receiver itself was made for the alert
    const viaRoute = routeAlert(routes, { severity: 'warning', team: 'ml-platform' });
    expect(viaRoute).toMatchObject({ receivers: ['ml-team'], fellThrough: false, reachesOnlyRoot: false, matchedDefaultOk: false });
    expect(viaRoute.deliveries[0]!.receiverFrom).toBe(routes.root.routes[1]);
    const crit = routeAlert(routes, { severity: 'critical' });
    expect(crit).toMatchObject({ fellThrough: false, reachesOnlyRoot: false });
  });

  it('inherits the receiver of the nearest ancestor that has one', () => {
    const r = routesOf(`
apiVersion: vigil/v1
kind: Routes
receiver: root
routes:
  - matchers: ['team="a"']
    receiver: team-a
    routes:
      - matchers: ['service="x"']
        routes:
          - matchers: ['env="prod"']
  - matchers: ['team="b"']
`);
    expect(routeAlert(r, { team: 'a', service: 'x', env: 'prod' }).receivers).toEqual(['team-a']);
    // a matching route that only inherits still leaves the alert with the default receiver
    const b = routeAlert(r, { team: 'b' });
    expect(b).toMatchObject({ receivers: ['root'], fellThrough: false, reachesOnlyRoot: true, matchedDefaultOk: false });
    expect(b.deliveries[0]!.receiverFrom).toBe(r.root);
    expect(routeAlert(r, { team: 'a', service: 'x', env: 'prod' }).deliveries[0]!.receiverFrom).toBe(r.root.routes[0]);
  });

  it('lists a receiver twice when two routes deliver to it, as Alertmanager does', () => {
    const r = routesOf(`
apiVersion: vigil/v1
kind: Routes
receiver: root
routes:
  - { matchers: ['a="1"'], receivers: [x], continue: true }
  - { matchers: ['b="1"'], receivers: [x, y] }
`);
    expect(routeAlert(r, { a: '1', b: '1' }).receivers).toEqual(['x', 'x', 'y']);
    expect(routeAlert(r, { a: '1' }).receivers).toEqual(['x']);
  });
});

describe('routeEmittedConfig', () => {
  it('agrees with routeAlert on the emitted configuration of every routing fixture', () => {
    let compared = 0;
    for (const { file, model, labelSets } of routingCases(1000)) {
      const emitted = parse(emitAlertmanager(model, { identityLabels: () => [] }).artifacts[0]!.content) as { route: object };
      for (const labels of labelSets) {
        expect(routeEmittedConfig(emitted.route, labels).receivers, `${file} ${JSON.stringify(labels)}`).toEqual(routeAlert(model.routes!, labels).receivers);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('understands legacy match / match_re and receiver inheritance', () => {
    const route = { receiver: 'r', routes: [{ match: { a: '1' }, routes: [{ match_re: { b: 'x|y' }, continue: true }, { receiver: 'z' }] }] };
    expect(routeEmittedConfig(route, { a: '1', b: 'x' })).toEqual({
      receivers: ['r', 'z'],
      deliveries: [
        { receiver: 'r', index: [0, 0] },
        { receiver: 'z', index: [0, 1] },
      ],
    });
    expect(routeEmittedConfig(route, { a: '2' }).deliveries).toEqual([{ receiver: 'r', index: [] }]);
  });
});

describe('many sibling routes (looked up by the label most of them test for equality)', () => {
  // An independent transcription of Alertmanager 0.25's dispatch.Route.Match over the emitted form: every child tried.
  type Raw = { matchers?: string[]; receiver?: string; continue?: boolean; routes?: Raw[] };
  function reference(route: Raw, labels: Record<string, string>): { receiver: string; index: number[] }[] {
    const out: { receiver: string; index: number[] }[] = [];
    const value = (l: string) => (Object.hasOwn(labels, l) ? labels[l]! : '');
    const ok = (text: string) => {
      const m = /^(\w+)(=~|!~|!=|=)"(.*)"$/.exec(text)!;
      const v = value(m[1]!);
      const re = new RegExp(`^(?:${m[3]})$`);
      return m[2] === '=' ? v === m[3] : m[2] === '!=' ? v !== m[3] : m[2] === '=~' ? re.test(v) : !re.test(v);
    };
    const visit = (node: Raw, index: number[], inherited: string, root: boolean): boolean => {
      if (!root && !(node.matchers ?? []).every(ok)) return false;
      const receiver = node.receiver ?? inherited;
      let any = false;
      for (const [i, child] of (node.routes ?? []).entries()) {
        const hit = visit(child, [...index, i], receiver, false);
        any ||= hit;
        if (hit && !child.continue) break;
      }
      if (!any) out.push({ receiver, index });
      return true;
    };
    visit(route, [], route.receiver ?? '', true);
    return out;
  }

  /** A deterministic pseudo-random source (tests must not depend on the run). */
  function random(seed: number): () => number {
    let s = seed >>> 0;
    return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  }

  it('gives every label set the deliveries of trying each child in turn (2,000 random trees and label sets)', () => {
    const next = random(12);
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    const values = ['a', 'b', 'c', '', 'd'];
    const matcher = (): string => {
      const op = next() < 0.6 ? '=' : pick(['!=', '=~', '!~']);
      const label = next() < 0.7 ? 'team' : pick(['env', 'tier', 'constructor']);
      return `${label}${op}"${op.includes('~') ? pick(['a|b', '.*', 'c', '']) : pick(values)}"`;
    };
    const tree = (depth: number): Raw => {
      const children = depth > 1 ? 0 : Math.floor(next() * 24);
      return {
        matchers: Array.from({ length: 1 + Math.floor(next() * 2) }, matcher),
        ...(next() < 0.7 ? { receiver: `r${Math.floor(next() * 50)}` } : {}),
        ...(next() < 0.2 ? { continue: true } : {}),
        ...(children ? { routes: Array.from({ length: children }, () => tree(depth + 1)) } : {}),
      };
    };
    let indexed = 0;
    for (let t = 0; t < 200; t++) {
      const route: Raw = { receiver: 'root', routes: Array.from({ length: 8 + Math.floor(next() * 40) }, () => tree(1)) };
      indexed += route.routes!.filter((r) => r.matchers!.some((m) => /^team="/.test(m))).length * 2 >= route.routes!.length ? 1 : 0;
      for (let l = 0; l < 10; l++) {
        const labels: Record<string, string> = {};
        for (const name of ['team', 'env', 'tier']) if (next() < 0.8) labels[name] = pick(values);
        expect(routeEmittedConfig(route, labels).deliveries, JSON.stringify({ route, labels })).toEqual(reference(route, labels));
      }
    }
    // Most trees were looked up by `team`, not tried child by child.
    expect(indexed).toBeGreaterThan(100);
  });

  it('routes alerts through one route per team in time linear in the teams', () => {
    const teams = (n: number) =>
      routesOf(['apiVersion: vigil/v1', 'kind: Routes', 'receiver: root', 'routes:', ...Array.from({ length: n }, (_, i) => `  - { matchers: ['team="t${i}"'], receiver: r${i} }`)].join('\n'));
    const cpu = (n: number) => {
      const routes = teams(n);
      expect(routeAlert(routes, { team: 't0' }).receivers).toEqual(['r0']);
      const started = process.cpuUsage();
      for (let i = 0; i < n; i++) if (routeAlert(routes, { team: `t${i}` }).receivers[0] !== `r${i}`) throw new Error(`team t${i} is misrouted`);
      const used = process.cpuUsage(started);
      return used.user + used.system;
    };
    cpu(500);
    const small = Math.min(cpu(2_000), cpu(2_000), cpu(2_000));
    const large = Math.min(cpu(8_000), cpu(8_000), cpu(8_000));
    // 4× the teams and 4× the alerts: 16× the work tried child by child, about 4× looked up.
    expect(large / small).toBeLessThan(8);
  });
});
