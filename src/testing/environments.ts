import { compile, type AnalysisCaches } from '../compile.ts';
import { hasErrors } from '../diagnostics.ts';
import { environmentNames, findEnvironment } from '../env/overrides.ts';
import type { LoadResult } from '../load/index.ts';
import { planCases, probeAndEvaluate, type CaseResult, type Synthesizer } from './runner.ts';

export interface EnvironmentProof {
  environment: string;
  /** Alerts the environment overrides, in name order. */
  alerts: string[];
  /** The boundary cases generated for them from the environment's own thresholds, each probed with promtool. */
  results: CaseResult[];
  /** Overridden alerts the synthesizer has no cases for (their levels are checked, not tested). */
  untested: string[];
  /** Overridden alerts the environment disables: nothing to test. */
  disabled: string[];
}

/**
 * `vigil test` proves the shared definitions; an environment that overrides an alert (a higher threshold in prod, a
 * shorter `for` in dev) deploys rules nobody's tests have run. For each such alert, the boundary cases are generated
 * again from the environment's compiled rules and run through the real promtool: each level fires just past its
 * environment's threshold and not before.
 */
export async function proveEnvironmentOverrides(loaded: LoadResult, promtool: string, synthesize: Synthesizer, caches?: AnalysisCaches): Promise<EnvironmentProof[]> {
  const proofs: EnvironmentProof[] = [];
  for (const name of environmentNames(loaded.definitions)) {
    const overridden = overriddenAlerts(loaded, name);
    if (overridden.size === 0) continue;
    const compiled = compile(loaded, { environment: name, caches });
    if (hasErrors(compiled.diagnostics)) continue; // vigil validate reports them; the shared run has already failed
    const enabled = [...overridden].filter((a) => compiled.model.groups.some((g) => g.alerts.some((x) => x.name === a && x.enabled))).sort();
    const plan = planCases(compiled.model, loaded.dir, synthesize);
    const cases = plan.cases.filter((c) => c.alert && enabled.includes(c.alert.name));
    const results = await probeAndEvaluate(compiled.model, cases, compiled.artifacts, promtool);
    const untested = enabled.filter((a) => !cases.some((c) => c.alert!.name === a));
    const disabled = [...overridden].filter((a) => !enabled.includes(a)).sort();
    proofs.push({ environment: name, alerts: enabled, results, untested, disabled });
  }
  return proofs;
}

function overriddenAlerts(loaded: LoadResult, environment: string): Set<string> {
  const def = findEnvironment(loaded.definitions, environment);
  const alerts = (def?.value as { overrides?: { alerts?: Record<string, unknown> } } | undefined)?.overrides?.alerts;
  return new Set(alerts && typeof alerts === 'object' ? Object.keys(alerts) : []);
}
