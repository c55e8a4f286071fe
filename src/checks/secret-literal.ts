import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

const SECRET_QUERY = /[?&](access_token|token|key|secret|password|sign|signature|apikey|api_key)=/i;

/**
 * Secrets are references ({ env } / { file }); the schema stage rejects strings where a reference belongs. This check
 * catches secrets smuggled into other strings: credentials in URLs.
 */
export const secretLiteralCheck: Check = {
  id: 'secret/literal',
  description: 'No secret is written in a definition: no credentials or tokens inside URLs.',
  severity: 'error',
  run(ctx) {
    const urls: { url: string; span: ReturnType<typeof spanOf>; where: string }[] = [];
    for (const r of ctx.model.receivers) {
      if (r.channels.webhook) urls.push({ url: r.channels.webhook.url, span: spanOf(r.origin, 'webhook', 'url'), where: `receiver ${r.name} webhook url` });
    }
    const project = ctx.model.project;
    if (project?.relay && project.origin) urls.push({ url: project.relay.url, span: spanOf(project.origin, 'relay', 'url'), where: 'project relay url' });
    if (project?.grafana.url && project.origin) urls.push({ url: project.grafana.url, span: spanOf(project.origin, 'grafana', 'url'), where: 'project grafana url' });
    for (const { url, span, where } of urls) {
      if (/^[a-z]+:\/\/[^/@\s]+:[^/@\s]*@/i.test(url)) {
        ctx.report({ message: `${where} contains a password`, span, hint: 'remove the user:password part; use a bearerToken { env: NAME } reference' });
      } else if (SECRET_QUERY.test(url)) {
        ctx.report({ message: `${where} carries a token in its query string`, span, hint: 'move the token into a secret reference ({ env: NAME } or { file: /path }) — e.g. the receiver\'s bearerToken' });
      }
    }
  },
};
