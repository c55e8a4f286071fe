import { createHash } from 'node:crypto';
import type { Model } from '../model/types.ts';
import { GENERATED_HEADER, goYaml, sortedRecord, type Artifact } from './artifact.ts';
import { ruleGroupBodies } from './prometheus-rules.ts';

export const PROMETHEUS_RULE_MANIFESTS_PATH = 'kubernetes/prometheusrules.yaml';

/**
 * The rule groups as prometheus-operator `PrometheusRule` manifests, one per group (the same groups, byte for byte the
 * same rules as prometheus/rules/), for clusters where the operator loads rules: written when the Project has
 * `prometheusRule`.
 */
export function emitPrometheusRuleManifests(model: Model): Artifact[] {
  const settings = model.project?.prometheusRule;
  if (!settings) return [];
  const groups = ruleGroupBodies(model);
  const documents = groups.map((g) =>
    goYaml({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: {
        name: manifestName(model.project!.name, g.group.name),
        ...(settings.namespace ? { namespace: settings.namespace } : {}),
        ...(settings.labels && Object.keys(settings.labels).length ? { labels: sortedRecord(settings.labels) } : {}),
      },
      spec: { groups: [g.body] },
    }),
  );
  const sources = [...new Set([model.project!.origin?.def.file, ...groups.flatMap((g) => g.members.map((m) => m.origin.def.file))].filter((f): f is string => f !== undefined))];
  return [{ path: PROMETHEUS_RULE_MANIFESTS_PATH, content: `# ${GENERATED_HEADER}\n${documents.join('---\n')}`, sources }];
}

/**
 * `<project>-<group>` as a Kubernetes object name (lower-case letters, digits and '-', at most 253 characters); a
 * name that had to change carries 8 hex digits of its sha256, so two groups never share a manifest.
 */
export function manifestName(project: string, group: string): string {
  const wanted = `${project}-${group}`;
  const dns = wanted.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '') || 'rules';
  if (dns === wanted && dns.length <= 253) return dns;
  return `${dns.slice(0, 240).replace(/-+$/, '')}-${createHash('sha256').update(wanted, 'utf8').digest('hex').slice(0, 8)}`;
}
