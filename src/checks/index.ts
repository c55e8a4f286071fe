import type { Check } from './check.ts';
import { alertInhibitionLabelsCheck } from './alert-inhibition-labels.ts';
import { alertLevelsCheck } from './alert-levels.ts';
import { alertNameStyleCheck } from './alert-name-style.ts';
import { alertRequiredLabelsCheck } from './alert-required-labels.ts';
import { alertSummaryCheck } from './alert-summary.ts';
import { dashboardJsonCheck } from './dashboard-json.ts';
import { durationRangeCheck } from './duration-range.ts';
import { envDuplicateCheck } from './env-duplicate.ts';
import { envPathsCheck } from './env-paths.ts';
import { envScrapeCheck } from './env-scrape.ts';
import { envSecretsDirCheck } from './env-secrets-dir.ts';
import { liveLabelMissingCheck, liveSeriesMissingCheck, liveTypeMismatchCheck, liveUnreachableCheck } from './live.ts';
import { metricBucketsCheck } from './metric-buckets.ts';
import { metricNamingCheck } from './metric-naming.ts';
import { outputFileNameCheck } from './output-file-name.ts';
import { projectSingletonCheck } from './project-singleton.ts';
import { promqlAbsentAlwaysCheck } from './promql-absent-always.ts';
import { promqlCounterCompareCheck } from './promql-counter-compare.ts';
import { promqlQuantileUnreachableCheck } from './promql-quantile-unreachable.ts';
import { promqlJobUnknownCheck } from './promql-job-unknown.ts';
import { promqlLabelUnknownCheck } from './promql-label-unknown.ts';
import { promqlRangeShortCheck } from './promql-range-short.ts';
import { promqlRateGaugeCheck } from './promql-rate-gauge.ts';
import { promqlRateHistogramCheck } from './promql-rate-histogram.ts';
import { promqlSyntaxCheck } from './promql-syntax.ts';
import { receiverDeliveryCheck } from './receiver-delivery.ts';
import { refDashboardCheck } from './ref-dashboard.ts';
import { refMetricCheck } from './ref-metric.ts';
import { refReceiverCheck } from './ref-receiver.ts';
import { refSeverityCheck } from './ref-severity.ts';
import { refTimeIntervalCheck } from './ref-time-interval.ts';
import { routeGroupByCheck } from './route-group-by.ts';
import { routeUnlabelledSeverityCheck } from './route-unlabelled-severity.ts';
import { routeUnreachableSeverityCheck } from './route-unreachable-severity.ts';
import { ruleDuplicateCheck } from './rule-duplicate.ts';
import { ruleUnsupportedCheck } from './rule-unsupported.ts';
import { secretLiteralCheck } from './secret-literal.ts';
import { secretPlaceholderCheck } from './secret-placeholder.ts';
import { severityEscalationCheck } from './severity-escalation.ts';
import { silenceDuplicateCheck } from './silence-duplicate.ts';
import { silenceEnvironmentCheck } from './silence-environment.ts';
import { silenceExpiredCheck } from './silence-expired.ts';
import { silenceMatcherCheck } from './silence-matcher.ts';
import { silenceMaxDurationCheck } from './silence-max-duration.ts';
import { silenceNoMatchCheck } from './silence-no-match.ts';
import { silenceWindowCheck } from './silence-window.ts';
import { SLO_CHECKS } from './slo-checks.ts';
import { templateLabelCheck } from './template-label.ts';
import { templateMessageCheck } from './template-message.ts';
import { templateSyntaxCheck } from './template-syntax.ts';
import { testRefsCheck } from './test-refs.ts';
import { testRoutesCheck } from './test-routes.ts';
import { testUnlabelledSeverityCheck } from './test-unlabelled-severity.ts';
import { thresholdOrderCheck } from './threshold-order.ts';

/** Every check, sorted by id. Adding a check = one module + one line here + its fixture test. */
export const CHECKS: readonly Check[] = [
  alertInhibitionLabelsCheck,
  alertLevelsCheck,
  alertNameStyleCheck,
  alertRequiredLabelsCheck,
  alertSummaryCheck,
  dashboardJsonCheck,
  durationRangeCheck,
  envDuplicateCheck,
  envPathsCheck,
  envScrapeCheck,
  envSecretsDirCheck,
  liveLabelMissingCheck,
  liveSeriesMissingCheck,
  liveTypeMismatchCheck,
  liveUnreachableCheck,
  metricBucketsCheck,
  metricNamingCheck,
  outputFileNameCheck,
  projectSingletonCheck,
  promqlAbsentAlwaysCheck,
  promqlCounterCompareCheck,
  promqlJobUnknownCheck,
  promqlLabelUnknownCheck,
  promqlQuantileUnreachableCheck,
  promqlRangeShortCheck,
  promqlRateGaugeCheck,
  promqlRateHistogramCheck,
  promqlSyntaxCheck,
  receiverDeliveryCheck,
  refDashboardCheck,
  refMetricCheck,
  refReceiverCheck,
  refSeverityCheck,
  refTimeIntervalCheck,
  routeGroupByCheck,
  routeUnlabelledSeverityCheck,
  routeUnreachableSeverityCheck,
  ruleDuplicateCheck,
  ruleUnsupportedCheck,
  secretLiteralCheck,
  secretPlaceholderCheck,
  severityEscalationCheck,
  silenceDuplicateCheck,
  silenceEnvironmentCheck,
  silenceExpiredCheck,
  silenceMatcherCheck,
  silenceMaxDurationCheck,
  silenceNoMatchCheck,
  silenceWindowCheck,
  ...SLO_CHECKS,
  templateLabelCheck,
  templateMessageCheck,
  templateSyntaxCheck,
  testRefsCheck,
  testRoutesCheck,
  testUnlabelledSeverityCheck,
  thresholdOrderCheck,
].sort((a, b) => (a.id < b.id ? -1 : 1));
