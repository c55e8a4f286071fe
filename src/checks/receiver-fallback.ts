import { spanOf } from '../model/types.ts';
import { fallbackChannels, fallbackOf } from '../emit/relay-fallback.ts';
import { limitedGuesses } from '../util/closest.ts';
import type { CheckContext } from './check.ts';

/**
 * A receiver's `fallback` must name another receiver the relay can deliver to (a DingTalk, WeCom robot, SMS or
 * signed-webhook channel, or email, which the relay mails), and fallbacks must not go round in a circle: a dead
 * letter would be handed on forever. Reported at the `fallback` field, under ref/receiver.
 */
export function checkFallbacks(ctx: CheckContext): void {
  const byName = new Map(ctx.model.receivers.map((r) => [r.name, r] as const));
  const guessOf = limitedGuesses(byName.keys());
  const valid = new Map<string, string>();
  for (const r of ctx.model.receivers) {
    const to = fallbackOf(r);
    if (to === undefined) continue;
    const span = spanOf(r.origin, 'fallback');
    const target = byName.get(to);
    if (!target) {
      const guess = guessOf(to);
      ctx.report({
        message: `receiver ${r.name}: fallback names receiver "${to}", which is not defined`,
        span,
        dangling: { namespace: 'receiver', name: to },
        hint: guess ? `did you mean "${guess}"?` : 'define it in a Receivers file, or remove the fallback',
      });
    } else if (to === r.name) {
      ctx.report({ message: `receiver ${r.name}: fallback names the receiver itself`, span, hint: 'name another receiver, e.g. one with sms, for when this one’s channel keeps failing' });
    } else if (fallbackChannels(target).length === 0) {
      ctx.report({
        message: `receiver ${r.name}: fallback receiver "${to}" has no channel the relay delivers (dingtalk, wecomRobot, sms, signedWebhook or email)`,
        span,
        hint: `give ${to} one of those channels, or name a receiver that has one`,
      });
    } else valid.set(r.name, to);
  }
  for (const cycle of cycles(valid)) {
    const first = byName.get(cycle[0]!)!;
    ctx.report({
      message: `fallbacks go round in a circle: ${[...cycle, cycle[0]].join(' → ')}`,
      span: spanOf(first.origin, 'fallback'),
      hint: 'end the chain at a receiver without a fallback: a dead letter would otherwise be handed on forever',
    });
  }
}

/** Each cycle of the fallback graph once, starting at its smallest name. */
function cycles(next: Map<string, string>): string[][] {
  const found: string[][] = [];
  for (const start of [...next.keys()].sort()) {
    const path = [start];
    for (let at = next.get(start); at !== undefined && path.length <= next.size; at = next.get(at)) {
      if (at === start) {
        if (path.every((name) => name >= start)) found.push(path);
        break;
      }
      if (path.includes(at)) break;
      path.push(at);
    }
  }
  return found;
}
