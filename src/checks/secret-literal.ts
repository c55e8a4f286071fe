import type { Path } from '../load/definition.ts';
import type { Check } from './check.ts';
import { findUrlSecrets, isPlainLink, type UrlInText } from './secret-url.ts';
import { stringsForSecretChecks } from './walk-strings.ts';
import { INTEGRATION_SECRETS, isIntegrationSecretPath, literalIntegrationSecrets } from '../channels/alertmanager-integrations.ts';
import { spanOf } from '../model/types.ts';

/**
 * Secrets are references ({ env } / { file }); the schema stage rejects strings where a reference belongs. This check
 * catches secrets smuggled into other strings: credentials in URLs, in every string value of every definition kind
 * (walked generically, so a new field or kind is covered without touching this file).
 */
export const secretLiteralCheck: Check = {
  id: 'secret/literal',
  description: 'No secret is written in a definition: no credentials or tokens in any URL of any definition.',
  severity: 'error',
  perFileReadsDocumentsOnly: true,
  perFile(ctx, file) {
    for (const { kind, def } of file.documents) {
      // The walk is shared with secret/placeholder; this check reads string values that may hold a URL.
      for (const { text, path: pathOf, isKey } of stringsForSecretChecks(def.value)) {
        if (isKey || !mayHoldUrl(text)) continue;
        const secrets = urlSecretsOf(text);
        if (secrets.length === 0) continue;
        const path = pathOf();
        // Reported below as a secret written literally, whatever its text.
        if (kind === 'Receivers' && isIntegrationSecretPath(path)) continue;
        for (const found of secrets) {
          const whole = found.start === 0 && found.end === text.length;
          const span = whole ? def.locate(path) : def.locateInString(path, found.start, found.end);
          // The message names the field and the kind of secret, never the value; an environment's override and the
          // definition it lands in produce the same message at the same place, so compiles agree and dedupe it.
          ctx.report({
            message: `${fieldName(path)}: the URL${found.host ? ` to ${found.host}` : ''} carries ${found.secrets.map((s) => s.kind).join('; ')}`,
            span: { ...span, file: def.fileAt?.(path) ?? span.file },
            hint: hintFor(kind, path),
            conceal: true,
          });
        }
      }
    }
  },
  run(ctx) {
    // Secret fields of Alertmanager's own integrations: the schema takes a string there so that this check, which
    // cannot be turned off, is the one to refuse it, with the field's name and the reference to write instead.
    for (const r of ctx.model.receivers) {
      for (const { path, field } of literalIntegrationSecrets(r.integrations)) {
        const key = String(path[path.length - 1]);
        const list = path[0] as keyof typeof INTEGRATION_SECRETS;
        const file = INTEGRATION_SECRETS[list].find((f) => `${list}.${f.path.join('.')}` === field)?.file;
        ctx.report({
          message: `receiver ${r.name}: ${field} is a secret written in the definition`,
          span: spanOf(r.origin, 'alertmanager', ...path),
          conceal: true,
          hint: `write ${key}: { env: NAME } (or { file: /path }); alertmanager.yml then gets ${file ? `${file}, a path deploy writes the secret to` : 'a placeholder deploy fills'}`,
        });
      }
    }
  },
};

/**
 * The detector is a pure function of the text, and the shared tree and every environment's compile read the same
 * strings: each is scanned once (bounded in count and text length, so a huge project cannot grow the memo without limit).
 */
const MEMO_LIMIT = 100_000;
const memo = new Map<string, UrlInText[]>();
const NO_SECRETS: UrlInText[] = Object.freeze([]) as unknown as UrlInText[];
const MEMO_MAX_TEXT = 4096;
function urlSecretsOf(text: string): UrlInText[] {
  // A plain link (a runbook per alert) is answered at once: no use keeping 10,000 distinct ones in the memo.
  if (isPlainLink(text)) return NO_SECRETS;
  if (text.length > MEMO_MAX_TEXT) return findUrlSecrets(text);
  let found = memo.get(text);
  if (!found) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(text, (found = findUrlSecrets(text)));
  }
  return found;
}

/** Every string value that may hold a URL, with its path; iterative, so deep or huge definitions cannot overflow. */
/** A cheap test before the detector: a scheme, user-info, or a path with parameters. */
function mayHoldUrl(text: string): boolean {
  return text.includes(':') && (text.includes('//') || text.includes('@') || /(?:https?|wss?|ftp):/i.test(text))
    || (text.startsWith('/') && /[?#;]/.test(text));
}

function fieldName(path: Path): string {
  for (let i = path.length - 1; i >= 0; i--) if (typeof path[i] === 'string') return String(path[i]);
  return 'value';
}

/** An Environment's overrides are the shared kinds' fields: the same hint as where they land. */
const OVERRIDE_KINDS: Record<string, string> = { alerts: 'AlertRules', recordingRules: 'RecordingRules', receivers: 'Receivers', routes: 'Routes', dashboards: 'Dashboard' };

const REFERENCE = 'a secret is only ever a reference: { env: NAME } or { file: /path }';

function hintFor(kind: string, path: Path): string {
  if (kind === 'Environment' && path[0] === 'overrides' && typeof path[1] === 'string' && Object.hasOwn(OVERRIDE_KINDS, path[1])) {
    return hintFor(OVERRIDE_KINDS[path[1]]!, path[1] === 'routes' ? path.slice(2) : path.slice(3));
  }
  const at = path.filter((p): p is string => typeof p === 'string');
  if (kind === 'Receivers' && at.includes('webhook')) {
    return 'move the token out of the URL into a secret reference: bearerToken: { env: NAME } (or { file: /path }); a URL that is itself the credential belongs in a field that takes a reference, e.g. dingtalk.webhook: { env: NAME }';
  }
  if (kind === 'Project' && at[0] === 'grafana') {
    return "write Grafana's bare base URL: it is copied into every alert's dashboard_url; Grafana's API token belongs to an Environment: grafana.token: { env: NAME }";
  }
  if (kind === 'Environment' && at[0] === 'grafana') return "write the URL without credentials; Grafana's API token is grafana.token: { env: NAME }";
  if (kind === 'Environment' && at[0] === 'influxdb') return 'write the URL without credentials; use influxdb.username and influxdb.password: { env: NAME }';
  if (kind === 'Environment' || kind === 'Project') return `write the address without credentials (it is copied into the generated configuration); ${REFERENCE}`;
  if (kind === 'AlertRules' || kind === 'Dashboard' || kind === 'RecordingRules') {
    return `link to a page that needs no credential in its URL: everyone who receives the alert or opens the dashboard reads it; ${REFERENCE}`;
  }
  return `move the secret into a secret reference: { env: NAME } or { file: /path }`;
}
