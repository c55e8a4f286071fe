export { expandRoot, expandRoute, type ExpandedRoute } from './expand.ts';
export { compareMatchers, formatMatcher, sortMatchers, matchesAll, parseAlertmanagerMatcher, parseAlertmanagerMatchers, quoteMatcherValue, type SimpleMatcher } from './matchers.ts';
export { routeAlert, routeEmittedConfig, type Delivery, type EmittedRoutingResult, type RoutingResult } from './route.ts';
