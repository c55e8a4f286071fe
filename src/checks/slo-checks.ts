import type { Check } from './check.ts';
import { sloBurnRateCheck } from './slo-burn-rate.ts';
import { sloDuplicateCheck } from './slo-duplicate.ts';
import { sloObjectiveCheck } from './slo-objective.ts';
import { sloQueryCheck } from './slo-query.ts';
import { sloSliMetricCheck } from './slo-sli-metric.ts';
import { sloShortWindowCheck } from './slo-short-window.ts';
import { sloWindowCheck } from './slo-window.ts';

/** The checks of kind SLOs (slo/…); their alert levels' severities are ref/severity's, their queries the promql/ checks'. */
export const SLO_CHECKS: readonly Check[] = [sloBurnRateCheck, sloDuplicateCheck, sloObjectiveCheck, sloQueryCheck, sloSliMetricCheck, sloWindowCheck, sloShortWindowCheck];
