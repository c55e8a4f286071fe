// lazy-packages.cjs: each package's name → a function that requires it (its exports are typed where it is used).
declare const lazyPackages: Readonly<Record<
  | '@grafana/grafana-foundation-sdk/bargauge'
  | '@grafana/grafana-foundation-sdk/common'
  | '@grafana/grafana-foundation-sdk/dashboard'
  | '@grafana/grafana-foundation-sdk/gauge'
  | '@grafana/grafana-foundation-sdk/prometheus'
  | '@grafana/grafana-foundation-sdk/stat'
  | '@grafana/grafana-foundation-sdk/table'
  | '@grafana/grafana-foundation-sdk/timeseries'
  | '@lezer/common'
  | '@prometheus-io/lezer-promql'
  | 'handlebars'
  | 'yaml',
  () => unknown
>>;
export = lazyPackages;
