import { randomUUID } from 'node:crypto';
import { dingtalk } from '../channels/dingtalk.ts';
import { templatedChannelsOf } from '../channels/index.ts';
import { wecomRobot } from '../channels/wecom-robot.ts';
import { alertAnnotations } from '../emit/prometheus-rules.ts';
import { carriesSeverityLabel, levelLabels } from '../model/level-labels.ts';
import { keySpanOf, spanOf, type AlertLevel, type AlertModel, type MessageTemplateModel, type Model } from '../model/types.ts';
import { dingtalkRenderedBody } from '../relay/channels/dingtalk.ts';
import { markupProblems, renderTemplate, chooseTemplate, specificity, templateMatches, TemplateError, TITLED_CHANNELS, ESCAPING, linksOnlyPrinted, viewUrl, type CompiledTemplate, type TemplateChannel } from '../relay/channels/template.ts';
import type { Notice } from '../relay/channels/types.ts';
import { wecomRobotRenderedContent } from '../relay/channels/wecom-robot.ts';
import type { AlertRecord } from '../relay/types.ts';
import { levelRouting } from '../routing/levels.ts';
import type { Check, CheckContext } from './check.ts';
import { compiledTemplate, noticeKeyOf, renderOutcome, type RenderOutcome, type RenderSlot } from './template-message-renders.ts';

/**
 * Message templates (kind Templates) are rendered here, at build time, in the relay's own strict mode, against a
 * sample notice of every alert level that can reach them — through the routes, or through an escalation step — in
 * every language the relay may run in. What would go wrong in the relay goes wrong here first, at its line: a name
 * the view lacks (a label the alert's series do not carry), a message over the channel's size limit, markup the
 * channel would show broken.
 */
export const templateMessageCheck: Check = {
  id: 'template/message',
  description: 'Relay message templates compile, render against every alert that can reach them, fit their channel and leave its markup whole; they name existing receivers and severities, and no two are equally specific for the same notices.',
  severity: 'error',
  dependsOn: ['Routes', 'Severities', 'Receivers', 'Project'],
  run(ctx) {
    const templates = ctx.model.templates;
    if (templates.length === 0) return;
    const compiled = new Map<MessageTemplateModel, CompiledTemplate>();
    const names = new Map<string, MessageTemplateModel>();
    for (const t of templates) {
      const first = names.get(t.name);
      if (first) ctx.report({ message: `template name ${t.name} is used twice`, span: spanOf(t.origin, 'name'), hint: 'give each template its own name', related: [{ message: 'first used here', span: spanOf(first.origin, 'name') }] });
      else names.set(t.name, t);
      checkRefs(ctx, t);
      if (t.title !== undefined && !TITLED_CHANNELS.includes(t.channel)) {
        ctx.report({ message: `template ${t.name}: ${t.channel} messages have no title`, span: keySpanOf(t.origin, 'title'), hint: 'remove title (only dingtalk and email messages have one)' });
      }
      const template = compiledTemplate(t);
      if (template instanceof TemplateError) reportTemplateError(ctx, t, template, 'does not compile');
      else compiled.set(t, template);
    }
    const ambiguous = reportOverlaps(ctx, templates);
    renderSamples(ctx, compiled, ambiguous);
  },
};

function checkRefs(ctx: CheckContext, t: MessageTemplateModel): void {
  const receivers = new Set(ctx.model.receivers.map((r) => r.name));
  const severities = new Set(ctx.model.severities.map((s) => s.name));
  t.receivers?.forEach((name, i) => {
    if (!receivers.has(name)) ctx.report({ code: 'ref/receiver', message: `template ${t.name} names receiver ${name}, which is not defined`, span: spanOf(t.origin, 'receivers', i), hint: 'name a receiver of a Receivers definition', dangling: { namespace: 'receiver', name } });
  });
  t.severities?.forEach((name, i) => {
    if (!severities.has(name)) ctx.report({ code: 'ref/severity', message: `template ${t.name} names severity ${name}, which is not defined`, span: spanOf(t.origin, 'severities', i), hint: `one of ${[...severities].join(', ')}`, dangling: { namespace: 'severity', name } });
  });
}

/** Two templates that could both serve one notice, equally specific: which one the relay takes would be an accident. */
function reportOverlaps(ctx: CheckContext, templates: readonly MessageTemplateModel[]): Set<MessageTemplateModel> {
  const ambiguous = new Set<MessageTemplateModel>();
  const overlap = (a?: string[], b?: string[]) => !a || !b || a.some((x) => b.includes(x));
  templates.forEach((a, i) => {
    for (const b of templates.slice(0, i)) {
      if (a.channel !== b.channel || specificity(a) !== specificity(b)) continue;
      if (!overlap(a.receivers, b.receivers) || !overlap(a.severities, b.severities)) continue;
      if (a.language && b.language && a.language !== b.language) continue;
      ambiguous.add(a);
      ctx.report({
        code: 'template/ambiguous',
        message: `templates ${b.name} and ${a.name} both serve ${a.channel} notices${a.receivers ? ` to ${a.receivers.filter((r) => !b.receivers || b.receivers.includes(r)).join(', ')}` : ''}${a.severities ? ` of ${a.severities.filter((s) => !b.severities || b.severities.includes(s)).join(', ')}` : ''}, and neither is more specific`,
        span: spanOf(a.origin, 'name'),
        hint: 'narrow one of them (receivers, severities or language), or merge them',
        related: [{ message: `${b.name} is here`, span: spanOf(b.origin, 'name') }],
      });
    }
  });
  return ambiguous;
}

interface Reach {
  alert: AlertModel;
  level: AlertLevel;
  receiver: string;
  kinds: Notice['kind'][];
}

/**
 * Every (alert level, receiver) a notice can go: routed ones fire and resolve, escalation tiers get escalations (the
 * relay finds the steps by the severity label, so a level without one is never escalated).
 */
function reaches(model: Model): Reach[] {
  const out: Reach[] = [];
  for (const row of levelRouting(model)) {
    for (const receiver of new Set(row.result.receivers)) out.push({ alert: row.alert, level: row.level, receiver, kinds: ['firing', 'resolved'] });
  }
  const rows = levelRouting(model);
  for (const severity of model.severities) {
    const tiers = new Set(severity.escalation.flatMap((step) => step.receivers));
    for (const row of rows) {
      if (row.level.severity !== severity.name || !carriesSeverityLabel(row.level)) continue;
      for (const receiver of tiers) out.push({ alert: row.alert, level: row.level, receiver, kinds: ['escalation'] });
    }
  }
  return out;
}

/**
 * The channels of a receiver the relay writes, so a template can (SMS only through an HTTP gateway: the clouds send
 * their own templates), for a routed notice and for an escalation: each receiver's once per compile, not per alert.
 */
function templateChannelsOf(model: Model): (receiver: string, escalation: boolean) => TemplateChannel[] {
  const known = new Map<string, TemplateChannel[]>();
  return (receiver, escalation) => {
    const key = `${escalation ? 'e' : 'r'}${receiver}`;
    let channels = known.get(key);
    if (!channels) {
      const r = model.receivers.find((x) => x.name === receiver);
      known.set(key, (channels = r ? (templatedChannelsOf(r, model.project, escalation) as TemplateChannel[]) : []));
    }
    return channels;
  };
}

function renderSamples(ctx: CheckContext, compiled: Map<MessageTemplateModel, CompiledTemplate>, ambiguous: Set<MessageTemplateModel>): void {
  const model = ctx.model;
  const relay = model.project?.relay;
  const languages: ('zh' | 'en')[] = relay?.language ? [relay.language] : ['zh', 'en'];
  // The confirm/close links' base (with publicUrl only).
  const linksBase = relay?.publicUrl ? relay.publicUrl.replace(/\/+$/, '') : undefined;
  const used = new Set<MessageTemplateModel>();
  const outranked = new Map<MessageTemplateModel, MessageTemplateModel>();
  const reported = new Set<string>();
  const rendered = new Set<string>();
  const templateChannels = templateChannelsOf(model);
  for (const reach of reaches(model)) {
    const samples = new Map<MessageTemplateModel, SampleAlert>();
    for (const kind of reach.kinds) {
      for (const channel of templateChannels(reach.receiver, kind === 'escalation')) {
        for (const language of languages) {
          const target = { channel, receiver: reach.receiver, severity: relaySeverity(reach.level), language };
          const t = chooseTemplate(model.templates, target);
          if (!t) continue;
          used.add(t);
          for (const other of model.templates) if (other !== t && templateMatches(other, target)) outranked.set(other, t);
          const template = compiled.get(t);
          const key = `${t.name}\u0000${reach.alert.name}\u0000${reach.level.severity}\u0000${kind}\u0000${language}`;
          if (!template || rendered.has(key)) continue;
          rendered.add(key);
          let sample = samples.get(t);
          if (!sample) samples.set(t, (sample = sampleAlert(ctx, t, reach)));
          const notice = sampleNotice(ctx, sample, reach, kind, language, linksBase);
          // The same notice in each language: its key is made once.
          let noticeKey = sample.noticeKeys.get(kind);
          if (noticeKey === undefined) sample.noticeKeys.set(kind, (noticeKey = noticeKeyOf(notice)));
          const problem = renderProblem(ctx, t, template, notice, linksBase, noticeKey);
          // One report per template and problem: fifty alerts missing the same label are one mistake.
          if (problem && !reported.has(`${t.name}\u0000${problem.id}`)) {
            reported.add(`${t.name}\u0000${problem.id}`);
            problem.report();
          }
        }
      }
    }
  }
  for (const t of model.templates) {
    if (used.has(t) || !compiled.has(t) || ambiguous.has(t)) continue;
    const winner = outranked.get(t);
    if (winner) {
      ctx.report({ code: 'template/unused', severity: 'warning', message: `template ${t.name} serves no notice: every notice it matches goes to the more specific template ${winner.name}`, span: spanOf(t.origin, 'name'), hint: `narrow or remove one of them`, related: [{ message: `${winner.name} is here`, span: spanOf(winner.origin, 'name') }] });
      continue;
    }
    const why = t.channel === 'sms' && model.project?.relay?.sms?.provider !== 'http' ? ' (SMS templates serve an HTTP gateway only: Aliyun and Tencent send their own registered templates)' : t.channel === 'email' ? ' (the relay mails escalation tiers only: Alertmanager sends other email)' : '';
    ctx.report({ code: 'template/unused', severity: 'warning', message: `template ${t.name} serves no notice: no alert reaches a receiver it names with its channel and severities${why}`, span: spanOf(t.origin, 'name'), hint: 'check channel, receivers and severities, or remove the template' });
  }
}

const SAMPLE_START = Date.UTC(2024, 0, 1, 0, 0, 0);

/** The labels and annotations of a sample alert: the same in each notice of one reach for one template. */
interface SampleAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The key of its notice of each kind (noticeKeyOf), made at its first render. */
  noticeKeys: Map<Notice['kind'], string>;
}

/** An alert of this level as the relay would get it: its labels, the series' labels, its annotations. */
function sampleAlert(ctx: CheckContext, t: MessageTemplateModel, reach: Reach): SampleAlert {
  const fixed = levelLabels(reach.alert, reach.level);
  const { labels, complete } = ctx.labels.ofAlert(reach.alert);
  // Series whose labels are not all known (a selector keeping every label of an external metric) may carry whatever
  // the template reads: only what is certain is reported.
  const names = complete ? [...labels] : [...labels, ...labelsRead(t)];
  const sampleLabels: Record<string, string> = {};
  for (const name of [...new Set(names)].sort()) sampleLabels[name] = `${name}-1`;
  Object.assign(sampleLabels, fixed);
  return { labels: sampleLabels, annotations: alertAnnotations(ctx.model, reach.alert, reach.level), noticeKeys: new Map() };
}

/** The notice the relay would build for one alert of this level (`sample`: its labels and annotations). */
function sampleNotice(ctx: CheckContext, sample: SampleAlert, reach: Reach, kind: Notice['kind'], language: 'zh' | 'en', linksBase: string | undefined): Notice {
  const alert: AlertRecord = {
    id: 'sample',
    fingerprint: '0000000000000000',
    startsAt: SAMPLE_START,
    ...(kind === 'resolved' ? { endsAt: SAMPLE_START + 600_000 } : {}),
    status: kind === 'resolved' ? 'resolved' : 'open',
    alertname: reach.alert.name,
    severity: relaySeverity(reach.level),
    labels: sample.labels,
    annotations: sample.annotations,
    generatorURL: '',
    receiver: reach.receiver,
    createdAt: SAMPLE_START,
    updatedAt: SAMPLE_START,
  };
  return {
    kind,
    receiver: reach.receiver,
    alerts: [alert],
    externalURL: '',
    language,
    timeZone: ctx.model.project?.relay?.timeZone ?? 'UTC',
    ...(linksBase !== undefined ? { links: () => ({ confirm: `${linksBase}/a/sample-confirm-token`, close: `${linksBase}/a/sample-close-token` }) } : {}),
  };
}

/** The severity the relay reads from an alert's `severity` label: none (and no escalation) for a level without one. */
function relaySeverity(level: AlertLevel): string {
  return carriesSeverityLabel(level) ? level.severity : '';
}

/** The label names a template reads as `labels.<name>`. */
function labelsRead(t: MessageTemplateModel): string[] {
  return [...`${t.title ?? ''}\n${t.body}`.matchAll(/\blabels\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}

interface Problem {
  id: string;
  report(): void;
}

/** Each measure takes the fields render() rendered with the relay's renderTemplate: nothing is rendered twice. */
const LIMITS: Partial<Record<TemplateChannel, { bytes: number; of: string; measure(notice: Notice, rendered: { title?: string; body: string }): number }>> = {
  dingtalk: {
    bytes: dingtalk.limits.messageBytes!,
    of: "DingTalk's limit on the request body",
    measure: (notice, rendered) => Buffer.byteLength(dingtalkRenderedBody(notice, { webhook: '', atMobiles: [] }, { shown: notice.alerts.length, withMentions: false }, rendered), 'utf8'),
  },
  wecomRobot: {
    bytes: wecomRobot.limits.messageBytes!,
    of: "WeCom's limit on markdown content",
    measure: (notice, rendered) => Buffer.byteLength(wecomRobotRenderedContent({ webhook: '', mentions: [] }, { shown: notice.alerts.length, withMentions: false }, rendered.body), 'utf8'),
  },
};

function renderProblem(ctx: CheckContext, t: MessageTemplateModel, template: CompiledTemplate, notice: Notice, linksBase: string | undefined, noticeKey: string): Problem | undefined {
  const outcome = renderOutcome(t, notice, linksBase, (probed, slot) => render(t, template, probed, linksBase !== undefined ? slot : undefined), noticeKey);
  if (outcome === undefined) return undefined;
  const alert = notice.alerts[0]!;
  const about = `alert ${alert.alertname} (${alert.severity}, ${notice.kind}, to ${notice.receiver}, ${notice.language})`;
  if ('fails' in outcome) {
    const e = outcome.fails;
    return { id: `render:${e.field}:${e.message}`, report: () => reportTemplateError(ctx, t, e, `fails for ${about}`, notice) };
  }
  if ('bytes' in outcome) {
    const { bytes } = outcome;
    const limit = LIMITS[t.channel]!;
    return {
      id: 'size',
      report: () => ctx.report({ code: 'template/message', message: `template ${t.name} renders ${bytes.toLocaleString('en-US')} bytes for ${about}, over ${limit.of} (${limit.bytes.toLocaleString('en-US')} bytes)`, span: spanOf(t.origin, 'body'), hint: 'shorten the template: the relay cuts long groups with "… and N more", but one alert must fit' }),
    };
  }
  const problems = outcome.markup;
  return {
    id: `markup:${problems.join('|')}`,
    report: () => ctx.report({ code: 'template/message', message: `template ${t.name} renders broken ${t.channel} markup for ${about}: ${problems.join('; ')}`, span: spanOf(t.origin, 'body'), hint: 'close what the template opens; put optional links inside {{#if …}}' }),
  };
}

/**
 * Renders the template as the relay would, then measures it against its channel's limit and markup. `linked`: the slot
 * renderOutcome gives for a notice with links (see renderedWithLinks).
 */
function render(t: MessageTemplateModel, template: CompiledTemplate, notice: Notice, linked?: RenderSlot): RenderOutcome {
  let rendered: { title?: string; body: string };
  try {
    rendered = linked !== undefined ? renderedWithLinks(t, template, notice, linked) : renderTemplate(template, notice, { shown: notice.alerts.length, withMentions: false });
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return { fails: e };
  }
  const limit = LIMITS[t.channel];
  const bytes = limit?.measure(notice, rendered) ?? 0;
  if (limit && bytes > limit.bytes) return { bytes };
  const problems = markupProblems(t.channel, rendered.body);
  return problems.length > 0 ? { markup: problems } : undefined;
}

/**
 * Links no real notice has, which the view prints as they are: where they show in a text, a link was printed. Random
 * per process: a template that spelled a fixed stand-in out of its own text (or labels) would have that text replaced.
 */
const STAND_IN_MARK = `vigil-link-${randomUUID()}`;
const STAND_IN = { confirm: `https://${STAND_IN_MARK}.invalid/confirm`, close: `https://${STAND_IN_MARK}.invalid/close` };
/**
 * linksOnlyPrinted by the template's title and body (a pure function of them, a Handlebars parse of each): every
 * environment's compile has its own template objects with the same texts. At most KNOWN_ONLY_PRINTED titles, and as
 * many bodies per title.
 */
const knownOnlyPrinted = new Map<string | undefined, Map<string, boolean>>();
const KNOWN_ONLY_PRINTED = 1000;

function onlyPrintsLinks(t: MessageTemplateModel): boolean {
  let byBody = knownOnlyPrinted.get(t.title);
  if (!byBody) {
    if (knownOnlyPrinted.size >= KNOWN_ONLY_PRINTED) knownOnlyPrinted.clear();
    knownOnlyPrinted.set(t.title, (byBody = new Map()));
  }
  let known = byBody.get(t.body);
  if (known === undefined) {
    if (byBody.size >= KNOWN_ONLY_PRINTED) byBody.clear();
    byBody.set(t.body, (known = linksOnlyPrinted(t)));
  }
  return known;
}

interface LinkedTexts {
  rendered: { title?: string; body: string };
  readLinks: boolean;
  readLanguage: boolean;
}

/**
 * The environments of a project differ in their public URL, so each renders every template that prints the confirm
 * and close links again (≈ 75 renders per environment of the example). For a template that only prints or tests the
 * links (linksOnlyPrinted), the texts are made once per notice with stand-in links and each base's are those texts
 * with its links put where the stand-ins are: the same texts a render gives (the title reads no link; the body differs
 * only where one is printed, each escaped as the view escapes it). Otherwise, or when a link would be empty, the
 * stand-in shows up in the notice, or the stand-in render fails, the template is rendered for the notice itself.
 * The reads of the links and of the language are made again on `notice` (renderOutcome's probe) as the render made them.
 */
function renderedWithLinks(t: MessageTemplateModel, template: CompiledTemplate, notice: Notice, slot: RenderSlot): { title?: string; body: string } {
  const shape = { shown: notice.alerts.length, withMentions: false };
  const links = notice.links;
  if (!links || !onlyPrintsLinks(t) || notice.alerts.length !== 1 || slot.key.includes(STAND_IN_MARK)) return renderTemplate(template, notice, shape);
  let texts = slot.kept as LinkedTexts | undefined;
  if (!texts) {
    const made: LinkedTexts = { rendered: { body: '' }, readLinks: false, readLanguage: false };
    const standIn = Object.defineProperties({} as Notice, {
      ...Object.getOwnPropertyDescriptors(notice),
      language: { enumerable: true, get: () => ((made.readLanguage = true), notice.language) },
      links: { enumerable: true, value: (alert: Parameters<typeof links>[0]) => ((made.readLinks = true), links(alert), STAND_IN) },
    });
    try {
      made.rendered = renderTemplate(template, standIn, shape);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      return renderTemplate(template, notice, shape);
    }
    slot.kept = texts = made;
    if (!made.readLinks) return made.rendered;
  } else if (texts.readLanguage) {
    void notice.language;
  }
  if (!texts.readLinks) return texts.rendered;
  const escaping = ESCAPING[t.channel];
  const own = links(notice.alerts[0]!);
  const pairs = (['confirm', 'close'] as const).map((k) => [viewUrl(escaping, STAND_IN[k]), viewUrl(escaping, own?.[k])] as const);
  if (pairs.some(([standIn, value]) => standIn === '' || value === '' || value.includes(STAND_IN_MARK))) return renderTemplate(template, notice, shape);
  let body = texts.rendered.body;
  for (const [standIn, value] of pairs) body = body.split(standIn).join(value);
  return texts.rendered.title === undefined ? { body } : { title: texts.rendered.title, body };
}

function reportTemplateError(ctx: CheckContext, t: MessageTemplateModel, e: TemplateError, what: string, notice?: Notice): void {
  const text = e.field === 'title' ? (t.title ?? '') : t.body;
  const start = e.line === undefined ? undefined : offsetOf(text, e.line, e.column ?? 1);
  const span = start === undefined ? spanOf(t.origin, e.field) : t.origin.def.locateInString([...t.origin.path, e.field], start, start + 1);
  const missing = /^"([^"]+)" not defined/.exec(e.message)?.[1];
  const alert = notice?.alerts[0];
  const carried = alert ? Object.keys(alert.labels).filter((l) => l !== 'alertname' && l !== 'severity').sort().join(', ') : '';
  ctx.report({
    message: `template ${t.name}, ${e.field}, ${what}: ${missing ? `"${missing}" is not defined${alert && !Object.hasOwn(alert.labels, missing) ? ` (the alert's series carry ${carried || 'no labels'})` : ''}` : e.message}`,
    span,
    hint: missing
      ? `guard it with {{#if …${missing}}}…{{/if}}, keep the label in the expression's aggregation, or use one of the view's names (docs/en/relay.md#templates)`
      : 'Handlebars with if, unless, each, with and lookup; no other helpers, partials or decorators (docs/en/relay.md#templates)',
  });
}

/** The offset of a 1-based line and column in `text`. */
function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next === -1) return offset;
    offset = next + 1;
  }
  return Math.min(text.length, offset + column - 1);
}
