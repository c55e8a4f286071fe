// The packages a command requires only when it needs them, each by a name esbuild can see, so that bin/dist.mjs
// bundles them into the command line's script (and so into its code cache) instead of Node compiling their files from
// node_modules at every run. CommonJS, so that the sources (under tsx and vitest) run it as they are.
'use strict';
module.exports = {
  '@grafana/grafana-foundation-sdk/bargauge': () => require('@grafana/grafana-foundation-sdk/bargauge'),
  '@grafana/grafana-foundation-sdk/common': () => require('@grafana/grafana-foundation-sdk/common'),
  '@grafana/grafana-foundation-sdk/dashboard': () => require('@grafana/grafana-foundation-sdk/dashboard'),
  '@grafana/grafana-foundation-sdk/gauge': () => require('@grafana/grafana-foundation-sdk/gauge'),
  '@grafana/grafana-foundation-sdk/prometheus': () => require('@grafana/grafana-foundation-sdk/prometheus'),
  '@grafana/grafana-foundation-sdk/stat': () => require('@grafana/grafana-foundation-sdk/stat'),
  '@grafana/grafana-foundation-sdk/table': () => require('@grafana/grafana-foundation-sdk/table'),
  '@grafana/grafana-foundation-sdk/timeseries': () => require('@grafana/grafana-foundation-sdk/timeseries'),
  '@lezer/common': () => require('@lezer/common'),
  '@prometheus-io/lezer-promql': () => require('@prometheus-io/lezer-promql'),
  handlebars: () => require('handlebars'),
  yaml: () => require('yaml'),
};
