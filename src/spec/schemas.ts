// The JSON Schemas, imported so that they travel with the code (bundled CLI, library use) instead of being read
// from disk at a path relative to this file.
import common from './schemas/common.schema.json' with { type: 'json' };
import project from './schemas/project.schema.json' with { type: 'json' };
import metrics from './schemas/metrics.schema.json' with { type: 'json' };
import severities from './schemas/severities.schema.json' with { type: 'json' };
import alertRules from './schemas/alert-rules.schema.json' with { type: 'json' };
import recordingRules from './schemas/recording-rules.schema.json' with { type: 'json' };
import slos from './schemas/slos.schema.json' with { type: 'json' };
import receivers from './schemas/receivers.schema.json' with { type: 'json' };
import routes from './schemas/routes.schema.json' with { type: 'json' };
import dashboard from './schemas/dashboard.schema.json' with { type: 'json' };
import ruleTests from './schemas/rule-tests.schema.json' with { type: 'json' };
import environment from './schemas/environment.schema.json' with { type: 'json' };
import templates from './schemas/templates.schema.json' with { type: 'json' };
import silences from './schemas/silences.schema.json' with { type: 'json' };
import type { KindName } from './kinds.ts';

export const COMMON_SCHEMA: object = common;

export const KIND_SCHEMAS: Record<KindName, object> = {
  Project: project,
  Metrics: metrics,
  Severities: severities,
  AlertRules: alertRules,
  RecordingRules: recordingRules,
  SLOs: slos,
  Receivers: receivers,
  Routes: routes,
  Dashboard: dashboard,
  RuleTests: ruleTests,
  Environment: environment,
  Templates: templates,
  Silences: silences,
};
