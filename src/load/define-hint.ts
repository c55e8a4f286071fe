/** The define* helper of each kind, by the words its files are usually named with (monitoring/dashboards/x.ts). */
const HELPERS: [RegExp, string][] = [
  [/\btests?\b|rule-?tests?/, 'defineRuleTests'],
  [/dashboard/, 'defineDashboard'],
  [/recording/, 'defineRecordingRules'],
  [/alert/, 'defineAlertRules'],
  [/metric|catalog/, 'defineMetrics'],
  [/receiver/, 'defineReceivers'],
  [/route/, 'defineRoutes'],
  [/severit/, 'defineSeverities'],
  [/\benv/, 'defineEnvironment'],
  [/project/, 'defineProject'],
];

/** How to export the definition of a file that exports none: with the helper its path suggests, else any of them. */
export function defaultExportHint(file: string): string {
  const lower = file.toLowerCase();
  const helper = HELPERS.find(([words]) => words.test(lower))?.[1];
  if (helper) return `export the definition: \`export default ${helper}({ ... })\` (import { ${helper} } from 'vigil')`;
  return `export the definition: \`export default defineX({ ... })\` with the helper of its kind (${HELPERS.map(([, h]) => h).join(', ')}), imported from 'vigil'`;
}
