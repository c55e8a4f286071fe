// Model serving: traffic, errors, latency, queues and model loading.
//
// A TypeScript dashboard: it default-exports defineDashboard(builder), where
// builder is a Grafana Foundation SDK DashboardBuilder. Vigil checks every
// query below against the metric catalogue (monitoring/metrics/) like a YAML
// dashboard's. Most panels read the recording rules of
// monitoring/recording/inference.yaml.
import { defineDashboard } from 'vigil';
import {
  DashboardBuilder,
  DashboardCursorSync,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGaugePanelBuilder } from '@grafana/grafana-foundation-sdk/bargauge';
import {
  BarGaugeDisplayMode,
  BigValueColorMode,
  BigValueGraphMode,
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  VizLegendOptionsBuilder,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as GaugePanelBuilder } from '@grafana/grafana-foundation-sdk/gauge';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** The project's Prometheus datasource (project.yaml grafana.datasourceUid). */
const prometheus: DataSourceRef = { type: 'prometheus', uid: 'prometheus' };

/** Every query filters on the two dashboard variables the same way. */
const selected = 'service=~"$service"';
const selectedModel = 'service=~"$service", model=~"$model"';

/**
 * Panel thresholds mirroring the warning and critical levels of the alerts in
 * monitoring/alerts/inference.yaml (YAML dashboards say `thresholdsFrom:`;
 * here they are spelled out, so keep the two in step).
 */
const levels = {
  InferenceErrorRatioHigh: { warning: 0.01, critical: 0.05 },
  InferenceLatencyP95High: { warning: 0.5, critical: 1 },
  InferenceLatencyP99High: { warning: 1, critical: 2.5 },
  InferenceQueueDepthHigh: { warning: 50, critical: 200 },
} as const;

/** Green below the warning level, orange from it, red from the critical level. */
function alertThresholds(level: { warning: number; critical: number }): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: 'green' },
    { value: level.warning, color: 'orange' },
    { value: level.critical, color: 'red' },
  ]);
}

/** A range query over the Prometheus datasource. */
function query(expr: string, legend?: string): DataqueryBuilder {
  const q = new DataqueryBuilder().datasource(prometheus).expr(expr);
  return legend === undefined ? q : q.legendFormat(legend);
}

/** An instant query: for stat, gauge, bar gauge and table panels. */
function instant(expr: string, legend?: string): DataqueryBuilder {
  return query(expr, legend).instant();
}

/** A timeseries panel with a table legend showing mean and max on the right. */
function timeseries(title: string, unit: string): TimeseriesPanelBuilder {
  return new TimeseriesPanelBuilder()
    .title(title)
    .datasource(prometheus)
    .unit(unit)
    .height(8)
    .span(12)
    .fillOpacity(10)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.Table)
        .placement(LegendPlacement.Right)
        .calcs(['mean', 'max']),
    );
}

/** Draw the thresholds as dashed lines on a timeseries panel. */
function dashedThresholds(): GraphThresholdsStyleConfigBuilder {
  return new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed);
}

/** Reduce each series to its last value (stat, gauge, bar gauge). */
function lastValue(): ReduceDataOptionsBuilder {
  return new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);
}

const builder = new DashboardBuilder('Inference overview')
  .uid('inference-overview')
  .description('Model serving on the ML platform: traffic, errors, latency, queues and model loading.')
  .tags(['inference', 'serving'])
  .refresh('30s')
  .time({ from: 'now-6h', to: 'now' })
  .tooltip(DashboardCursorSync.Crosshair)
  .withVariable(
    new QueryVariableBuilder('service')
      .label('Service')
      .datasource(prometheus)
      .query('label_values(inference_requests_total, service)')
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true),
  )
  .withVariable(
    new QueryVariableBuilder('model')
      .label('Model')
      .datasource(prometheus)
      .query('label_values(inference_requests_total{service=~"$service"}, model)')
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true),
  )

  // --- Traffic and errors -------------------------------------------------
  .withRow(new RowBuilder('Traffic and errors'))
  .withPanel(
    new StatPanelBuilder()
      .title('Requests')
      .datasource(prometheus)
      .unit('reqps')
      .height(6)
      .span(6)
      .graphMode(BigValueGraphMode.Area)
      .colorMode(BigValueColorMode.None)
      .reduceOptions(lastValue())
      .withTarget(query(`sum(service:inference_requests:rate5m{${selected}})`)),
  )
  .withPanel(
    new GaugePanelBuilder()
      .title('Error ratio by service')
      .description('Share of 5xx responses over 5 minutes; colours follow InferenceErrorRatioHigh.')
      .datasource(prometheus)
      .unit('percentunit')
      .min(0)
      .max(0.1)
      .height(6)
      .span(12)
      .showThresholdMarkers(true)
      .reduceOptions(lastValue())
      .thresholds(alertThresholds(levels.InferenceErrorRatioHigh))
      .withTarget(instant(`service:inference_errors:ratio_rate5m{${selected}}`, '{{service}}')),
  )
  .withPanel(
    new StatPanelBuilder()
      .title('Models loaded')
      .datasource(prometheus)
      .unit('none')
      .height(6)
      .span(6)
      .graphMode(BigValueGraphMode.None)
      .reduceOptions(lastValue())
      .withTarget(instant(`sum(inference_models_loaded{${selected}})`)),
  )
  .withPanel(
    timeseries('Requests by service', 'reqps').withTarget(
      query(`service:inference_requests:rate5m{${selected}}`, '{{service}}'),
    ),
  )
  .withPanel(
    timeseries('Responses by code', 'reqps').withTarget(
      query(
        `sum by (code) (rate(inference_requests_total{${selectedModel}}[$__rate_interval]))`,
        '{{code}}',
      ),
    ),
  )
  .withPanel(
    timeseries('Error ratio', 'percentunit')
      .span(24)
      .thresholds(alertThresholds(levels.InferenceErrorRatioHigh))
      .thresholdsStyle(dashedThresholds())
      .withTarget(query(`service:inference_errors:ratio_rate5m{${selected}}`, '{{service}}')),
  )

  // --- Latency ------------------------------------------------------------
  .withRow(new RowBuilder('Latency'))
  .withPanel(
    timeseries('p95 latency by service', 's')
      .thresholds(alertThresholds(levels.InferenceLatencyP95High))
      .thresholdsStyle(dashedThresholds())
      .withTarget(
        query(
          `histogram_quantile(0.95, service_le:inference_request_duration_seconds_bucket:rate5m{${selected}})`,
          '{{service}}',
        ),
      ),
  )
  .withPanel(
    timeseries('p99 latency by service', 's')
      .thresholds(alertThresholds(levels.InferenceLatencyP99High))
      .thresholdsStyle(dashedThresholds())
      .withTarget(
        query(
          `histogram_quantile(0.99, service_le:inference_request_duration_seconds_bucket:rate5m{${selected}})`,
          '{{service}}',
        ),
      ),
  )
  .withPanel(
    timeseries('p95 latency by model', 's').withTarget(
      query(
        `histogram_quantile(0.95, sum by (model, le) (service_model_le:inference_request_duration_seconds_bucket:rate5m{${selectedModel}}))`,
        '{{model}}',
      ),
    ),
  )
  .withPanel(
    timeseries('Mean latency by service', 's').withTarget(
      query(
        `sum by (service) (rate(inference_request_duration_seconds_sum{${selectedModel}}[$__rate_interval]))` +
          ` / sum by (service) (rate(inference_request_duration_seconds_count{${selectedModel}}[$__rate_interval]))`,
        '{{service}}',
      ),
    ),
  )

  // --- Queues and models --------------------------------------------------
  .withRow(new RowBuilder('Queues and models'))
  .withPanel(
    timeseries('Deepest replica queue', 'short')
      .description('Largest queue of any replica, per model; colours follow InferenceQueueDepthHigh.')
      .thresholds(alertThresholds(levels.InferenceQueueDepthHigh))
      .thresholdsStyle(dashedThresholds())
      .withTarget(
        query(`max by (service, model) (inference_queue_depth{${selectedModel}})`, '{{service}} {{model}}'),
      ),
  )
  .withPanel(
    timeseries('Median batch size', 'short').withTarget(
      query(
        `histogram_quantile(0.5, sum by (service, le) (rate(inference_batch_size_bucket{${selectedModel}}[$__rate_interval])))`,
        '{{service}}',
      ),
    ),
  )
  .withPanel(
    new BarGaugePanelBuilder()
      .title('Requests by model')
      .datasource(prometheus)
      .unit('reqps')
      .height(8)
      .span(12)
      .orientation(VizOrientation.Horizontal)
      .displayMode(BarGaugeDisplayMode.Gradient)
      .reduceOptions(lastValue())
      .withTarget(
        instant(`sort_desc(service_model:inference_requests:rate5m{${selectedModel}})`, '{{service}} {{model}}'),
      ),
  )
  .withPanel(
    new TablePanelBuilder()
      .title('Model load failures (24h)')
      .description('Models that failed to load at least once in the last day, by reason.')
      .datasource(prometheus)
      .unit('short')
      .height(8)
      .span(12)
      .thresholds(
        new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
          { value: null, color: 'orange' },
          { value: 3, color: 'red' }, // InferenceModelLoadFailures goes critical at 3
        ]),
      )
      .withTarget(
        instant(
          `sort_desc(sum by (service, model, reason) (increase(inference_model_load_failures_total{${selectedModel}}[24h])) > 0)`,
        ).format(PromQueryFormat.Table),
      ),
  );

export default defineDashboard(builder);
