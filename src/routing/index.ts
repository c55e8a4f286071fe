export { expandRoot, expandRoute, type ExpandedRoute } from './expand.ts';
export { formatMatcher, matchesAll, parseAlertmanagerMatcher, parseAlertmanagerMatchers, quoteMatcherValue, type SimpleMatcher } from './matchers.ts';
export { routeAlert, routeEmittedConfig, type Delivery, type EmittedRoutingResult, type RoutingResult } from './route.ts';
