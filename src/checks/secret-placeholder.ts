import { stringsForSecretChecks } from './walk-strings.ts';
import type { Check } from './check.ts';

/** What deploy writes into a generated file where a secret goes: `${NAME}` or `${file:/path}`, or anything like them. */
const PLACEHOLDER_SHAPE = /\$\{[^}]*\}?/g;

/**
 * Grafana expands `${variable}` in dashboard queries, titles and links: placeholders mean something there, and
 * dashboards never pass through the secret filling of deploy.
 */
const GRAFANA_KINDS = new Set(['Dashboard']);

/**
 * Deploy fills secrets only at the places secrets.json names, so placeholder-shaped text elsewhere is never
 * expanded; it is still an error where a definition writes it, because it reads as a secret that will be filled in
 * (and would be, by any tool that expands placeholders over the whole file).
 */
export const secretPlaceholderCheck: Check = {
  id: 'secret/placeholder',
  description: 'No definition value looks like a secret placeholder (`${NAME}`, `${file:/path}`): secrets are { env } or { file } references.',
  severity: 'error',
  run() {},
  // Each document on its own: per file.
  perFileReadsDocumentsOnly: true,
  perFile(ctx, file) {
    for (const { kind, def } of file.documents) {
      if (GRAFANA_KINDS.has(kind)) continue;
      // The walk is shared with secret/literal; this check reads the values and keys that hold `${`.
      for (const { text, path, isKey } of stringsForSecretChecks(def.value)) {
        if (!text.includes('${')) continue;
        for (const m of text.matchAll(PLACEHOLDER_SHAPE)) {
          ctx.report({
            message: `${isKey ? 'key' : 'value'} contains the secret placeholder ${JSON.stringify(m[0].slice(0, 60))}: Vigil never expands placeholders written in definitions`,
            span: isKey ? def.locateKey(path()) : def.locateInString(path(), m.index, m.index + m[0].length),
            hint: 'reference a secret where the field takes one ({ env: NAME } or { file: /path }); to mean the text itself, write it without "${"',
          });
          if (isKey) break;
        }
      }
    }
  },
};
