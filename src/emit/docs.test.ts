import { describe, expect, it } from 'vitest';
import { compileBase } from '../../test/helpers/model.ts';
import { ALERT_CATALOGUE_PATH } from './docs.ts';

describe('alert catalogue', () => {
  it('lists every alert with its levels, thresholds and the receivers each level reaches', async () => {
    const result = await compileBase();
    const doc = result.artifacts.find((a) => a.path === ALERT_CATALOGUE_PATH)!.content;
    expect(doc).toContain('2 alerts, 3 alert levels.');
    expect(doc).toContain('| [QueueDeep](#queuedeep) | app | critical, warning | app |  |');
    expect(doc).toContain('| critical | `> 500` | 2m | oncall, team |');
    expect(doc).toContain('| warning | `> 100` | 5m | team |');
    expect(doc).toContain('| critical | expression | 1m | oncall, team |');
    expect(doc).toContain('- Runbook: <https://runbooks.example.com/queue-deep>');
  });
});
