// Runtime for the services that export the catalogue's metrics: serve a registry, or push it from a batch job.
export { serveMetrics, type MetricsServer, type MetricsServerOptions } from './metrics-server.ts';
export { cachedExposition, type CachedExposition, type ExpositionChunks, type StreamedExposition } from './exposition/cached-exposition.ts';
export {
  deleteFromGateway,
  groupPath,
  pushAddToGateway,
  pushPeriodically,
  pushToGateway,
  PushgatewayError,
  type PeriodicPush,
  type PushOptions,
} from './pushgateway.ts';
