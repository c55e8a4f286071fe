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
