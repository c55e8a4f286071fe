// Test data factories: valid definitions, project files, Alertmanager webhook payloads, relay events and promtool
// series, defaults filled in so a test states only what differs.
export * from './definitions.ts';
export * from './files.ts';
export * from './merge.ts';
export * from './series.ts';
export * from './webhook.ts';
