import { describe, expect, it } from 'vitest';
import type { SilenceDocument } from './document.ts';
import { silenceOwner } from './document.ts';
import { planSilences, type LiveSilence } from './diff.ts';

const NOW = Date.parse('2026-12-04T00:00:00Z');
const want = (name: string, fields: Partial<SilenceDocument> = {}): SilenceDocument => ({
  name,
  matchers: [{ name: 'instance', value: 'gpu-3', isRegex: false, isEqual: true }, { name: 'alertname', value: 'Gpu.+', isRegex: true, isEqual: true }],
  startsAt: '2026-12-05T01:00:00.000Z',
  endsAt: '2026-12-05T05:00:00.000Z',
  createdBy: 'alice',
  comment: `[vigil ml/${name}] OPS-1`,
  ...fields,
});
let ids = 0;
const live = (doc: SilenceDocument, fields: Partial<LiveSilence> = {}): LiveSilence => ({ id: `id-${++ids}`, ...doc, status: { state: 'pending' }, ...fields });
const kinds = (desired: SilenceDocument[], current: LiveSilence[]) => planSilences('ml', desired, current, NOW).map((a) => `${a.kind} ${'want' in a ? a.want.name : a.live.comment}`);

describe('planSilences', () => {
  it('keeps an equal silence whatever the order of its matchers and the form of its times', () => {
    expect(kinds([want('a')], [live(want('a'), { matchers: [...want('a').matchers].reverse(), startsAt: '2026-12-05T01:00:00Z' })])).toEqual(['keep a']);
  });

  it.each([
    ['matchers', { matchers: [{ name: 'instance', value: 'gpu-4', isRegex: false, isEqual: true }] }],
    ['endsAt', { endsAt: '2026-12-05T06:00:00.000Z' }],
    ['createdBy', { createdBy: 'bob' }],
    ['comment', { comment: '[vigil ml/a] OPS-2' }],
    ['startsAt', { startsAt: '2026-12-05T02:00:00.000Z' }],
  ] as [string, Partial<SilenceDocument>][])('updates a silence whose %s changed', (field, changed) => {
    const [action] = planSilences('ml', [want('a')], [live(want('a', changed))], NOW);
    expect(action).toMatchObject({ kind: 'update', detail: field });
  });

  it('an active silence that Alertmanager started later than the build says is the same silence', () => {
    const started = live(want('a', { startsAt: '2026-12-03T00:00:00.000Z' }), { startsAt: '2026-12-03T10:00:00.000Z', status: { state: 'active' } });
    expect(kinds([want('a', { startsAt: '2026-12-03T00:00:00.000Z' })], [started])).toEqual(['keep a']);
    // Pending, a later start is a real difference.
    expect(kinds([want('a')], [live(want('a'), { startsAt: '2026-12-05T02:00:00.000Z' })])).toEqual(['update a']);
  });

  it.each([
    ['a person’s silence with the same matchers', { comment: 'OPS-1', createdBy: 'alice' }],
    ['another project’s', { comment: '[vigil other/a] OPS-1' }],
    ['a marker later in the comment', { comment: 'see [vigil ml/a]' }],
    ['a marker with an upper-case name', { comment: '[vigil ml/A] x' }],
    ['a marker without its slash', { comment: '[vigil ml a] x' }],
    ['no comment at all', { comment: undefined as unknown as string }],
  ])('never plans anything for %s', (_what, fields) => {
    expect(kinds([], [live(want('a'), fields)])).toEqual([]);
    expect(kinds([want('a')], [live(want('a'), fields)])).toEqual(['create a']);
  });

  it('expires Vigil silences no entry names, extra copies of one entry, and ignores expired ones', () => {
    const copy = live(want('a'), { endsAt: '2026-12-05T09:00:00.000Z' });
    const result = kinds([want('a')], [live(want('gone')), copy, live(want('a')), live(want('old'), { status: { state: 'expired' } })]);
    expect(result.sort()).toEqual(['expire [vigil ml/a] OPS-1', 'expire [vigil ml/gone] OPS-1', 'keep a'].sort());
  });

  it('creates nothing for an entry that has ended, and expires a live copy of it', () => {
    const ended = want('a', { startsAt: '2026-12-01T00:00:00.000Z', endsAt: '2026-12-03T00:00:00.000Z' });
    expect(kinds([ended], [])).toEqual(['ended a']);
    expect(kinds([ended], [live(ended, { status: { state: 'active' } })])).toEqual(['expire [vigil ml/a] OPS-1']);
  });
});

describe('silenceOwner', () => {
  it.each([
    ['[vigil ml/gpu-3] x', { project: 'ml', name: 'gpu-3' }],
    ['[vigil ml-platform/a] ', { project: 'ml-platform', name: 'a' }],
    ['[vigil ml/gpu-3]', { project: 'ml', name: 'gpu-3' }],
    [' [vigil ml/gpu-3] x', undefined],
    ['[vigil ml/-x] x', undefined],
    ['[Vigil ml/x] x', undefined],
    [42, undefined],
  ])('%j → %j', (comment, owner) => {
    expect(silenceOwner(comment)).toEqual(owner);
  });
});
