import type { Definition, Path } from '../../load/definition.ts';
import type { Diagnostic } from '../../diagnostics.ts';
import type { Route as RouteSpec, RoutesSpec } from '../../spec/types.gen.ts';
import { parseMatcher } from '../matchers.ts';
import type { MatcherModel, RouteModel } from '../types.ts';
import { spanOf } from '../types.ts';
import { at, type KindMapper } from './mapper.ts';

export const mapRoutes: KindMapper = (def, { model, diagnostics }) => {
  if (model.routes) return; // the second one is reported by project/singleton
  const r = def.value as RoutesSpec;
  const matchers = (path: Path, list: readonly string[] | undefined) => matchersOf(def, path, list, diagnostics);
  const mapRoute = (spec: RouteSpec, path: Path): RouteModel => ({
    matchers: matchers([...path, 'matchers'], spec.matchers),
    receivers: spec.receivers ?? (spec.receiver ? [spec.receiver] : []),
    continue: spec.continue === true,
    groupBy: spec.groupBy,
    groupWait: spec.groupWait,
    groupInterval: spec.groupInterval,
    repeatInterval: spec.repeatInterval,
    defaultOk: spec.defaultOk === true,
    muteTimeIntervals: spec.muteTimeIntervals ?? [],
    activeTimeIntervals: spec.activeTimeIntervals ?? [],
    routes: (spec.routes ?? []).map((child, i) => mapRoute(child, [...path, 'routes', i])),
    origin: at(def, path),
  });
  const root: RouteModel = {
    matchers: [],
    receivers: [r.receiver],
    continue: false,
    groupBy: r.groupBy,
    groupWait: r.groupWait,
    groupInterval: r.groupInterval,
    repeatInterval: r.repeatInterval,
    defaultOk: false,
    muteTimeIntervals: [],
    activeTimeIntervals: [],
    routes: (r.routes ?? []).map((child, i) => mapRoute(child, ['routes', i])),
    origin: at(def, ['receiver']),
  };
  model.routes = {
    root,
    inhibit: (r.inhibit ?? []).map((rule, i) => ({
      sourceMatchers: matchers(['inhibit', i, 'sourceMatchers'], rule.sourceMatchers),
      targetMatchers: matchers(['inhibit', i, 'targetMatchers'], rule.targetMatchers),
      equal: rule.equal ?? [],
      origin: at(def, ['inhibit', i]),
    })),
    timeIntervals: Object.entries(r.timeIntervals ?? {}).map(([name, intervals]) => ({ name, intervals, origin: at(def, ['timeIntervals', name]) })),
    origin: at(def),
  };
};

/** Parses each matcher; one that does not parse becomes a route/matcher diagnostic at its characters, and is left out. */
function matchersOf(def: Definition, path: Path, list: readonly string[] | undefined, diagnostics: Diagnostic[]): MatcherModel[] {
  const out: MatcherModel[] = [];
  (list ?? []).forEach((text, i) => {
    const parsed = parseMatcher(text);
    const origin = at(def, [...path, i]);
    if ('error' in parsed) {
      diagnostics.push({
        code: 'route/matcher',
        severity: 'error',
        message: parsed.error,
        span: parsed.start === undefined ? spanOf(origin) : def.locateInString(origin.path, parsed.start, parsed.end ?? parsed.start + 1),
        hint: parsed.hint ?? 'matchers look like severity="critical", team=~"ml|infra" or service!="test"',
      });
    } else out.push({ ...parsed, text, origin });
  });
  return out;
}
