import { describe, expect, it } from 'vitest';
import { rollBack } from './deploy.ts';
import type { Target } from './target.ts';

type Outcome = 'clean' | 'fails' | 'throws' | 'fails-named';

function target(name: string, outcome: Outcome, order: string[]): Target {
  return {
    name,
    plan: async () => ({ target: name, changes: [], notes: [] }),
    apply: async () => undefined,
    verify: async () => undefined,
    async rollback() {
      order.push(name);
      if (outcome === 'throws') throw new Error('connection reset');
      if (outcome === 'fails') return ['/srv/x.yml: EACCES'];
      if (outcome === 'fails-named') return [`${name}: reload after restoring the files failed: HTTP 403`];
      return [];
    },
  };
}

/** Every combination of outcomes for three touched targets: each target is reported exactly once, truthfully. */
const OUTCOMES: Outcome[] = ['clean', 'fails', 'throws', 'fails-named'];
const table = OUTCOMES.flatMap((a) => OUTCOMES.flatMap((b) => OUTCOMES.map((c) => [a, b, c] as const)));

describe('rollBack: one true outcome per target', () => {
  for (const outcomes of table) {
    it(outcomes.join(', '), async () => {
      const order: string[] = [];
      const names = ['alertmanager', 'prometheus prom-a', 'grafana'];
      const touched = names.map((n, i) => target(n, outcomes[i]!, order));
      const result = await rollBack(touched);
      expect(order).toEqual([...names].reverse());
      names.forEach((name, i) => {
        const clean = outcomes[i] === 'clean';
        expect(result.rolledBack.includes(name), name).toBe(clean);
        expect(result.rollbackIncomplete.includes(name), name).toBe(!clean);
        const lines = result.rollbackFailures.filter((f) => f.startsWith(`${name}:`));
        expect(lines.length, name).toBe(clean ? 0 : 1);
        if (!clean) expect(lines[0]).not.toMatch(new RegExp(`^${name}: ${name}:`));
      });
    });
  }
});
