import { describe, expect, it } from 'vitest';
import { ExportUsage, parseTime, queryRange, seriesOf, toCsv, toJson } from './series.ts';

const NOW = Date.UTC(2024, 0, 2, 0, 0, 0) / 1000;

describe('times and ranges', () => {
  it.each([
    ['now', NOW],
    ['now-1h', NOW - 3600],
    ['now - 90m', NOW - 5400],
    ['2024-01-01T00:00:00Z', NOW - 86400],
    ['2024-01-01T08:00:00+08:00', NOW - 86400],
    ['1704067200', NOW - 86400],
    ['1704067200.5', NOW - 86400 + 0.5],
  ])('%s', (text, seconds) => {
    expect(parseTime(text, NOW, '--from')).toBe(seconds);
  });

  it.each(['yesterday', 'now-soon', '2024-01-01', '2024-13-01T00:00:00Z', ''])('refuses %j, saying what it takes', (text) => {
    expect(() => parseTime(text, NOW, '--from')).toThrow(ExportUsage);
  });

  it('picks a step of about 250 points, and refuses more points than Prometheus answers', () => {
    expect(queryRange('now-1h', 'now', undefined, NOW)).toEqual({ start: NOW - 3600, end: NOW, step: 15 });
    expect(queryRange('now-1h', 'now', '1m', NOW).step).toBe(60);
    expect(queryRange('now-1h', 'now', '30', NOW).step).toBe(30);
    expect(() => queryRange('now-30d', 'now', '1s', NOW)).toThrow(/Prometheus answers at most 11,000; use a step of at least 236s/);
    expect(() => queryRange('now', 'now-1h', undefined, NOW)).toThrow(/--to must be later than --from/);
    expect(() => queryRange('now-1h', 'now', '0s', NOW)).toThrow(/--step/);
  });
});

const ANSWER = {
  status: 'success',
  data: {
    resultType: 'matrix',
    result: [
      { metric: { __name__: 'up', instance: 'a:9100', job: 'node' }, values: [[1704067200, '1'], [1704067215, '0']] },
      { metric: { __name__: 'up', instance: '=HYPERLINK("http://evil")', job: 'node,"x"' }, values: [[1704067200, 'NaN']] },
    ],
  },
};

describe('output', () => {
  it('writes long CSV: a column per label, __name__ first, RFC 3339 times, values as Prometheus wrote them', () => {
    expect(toCsv(seriesOf(ANSWER))).toBe(
      [
        '__name__,instance,job,timestamp,value',
        'up,a:9100,node,2024-01-01T00:00:00.000Z,1',
        'up,a:9100,node,2024-01-01T00:00:15.000Z,0',
        // A label a spreadsheet would run as a formula is made inert; quotes and commas are quoted.
        `up,"'=HYPERLINK(""http://evil"")","node,""x""",2024-01-01T00:00:00.000Z,NaN`,
      ].join('\n') + '\n',
    );
  });

  // Label names come from the metrics too: one that Object.prototype also has is an empty cell where a series lacks it.
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])('a label named %s: its own value, or an empty cell', (name) => {
    const answer = JSON.parse(
      JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { __name__: 'up', job: 'a' }, values: [[1704067200, '1']] }] } }),
    ) as { data: { result: unknown[] } };
    // JSON.parse, as the answer is read, makes `__proto__` an own label like any other.
    answer.data.result.push(JSON.parse(`{ "metric": { "__name__": "up", "job": "b", ${JSON.stringify(name)}: "v" }, "values": [[1704067200, "2"]] }`));
    const first = name < 'job';
    const row = (own: string, job: string, v: string) => `up,${first ? `${own},${job}` : `${job},${own}`},2024-01-01T00:00:00.000Z,${v}`;
    expect(toCsv(seriesOf(answer))).toBe([`__name__,${first ? `${name},job` : `job,${name}`},timestamp,value`, row('', 'a', '1'), row('v', 'b', '2')].join('\n') + '\n');
  });

  it('writes JSON with the query, the range and the series', () => {
    const range = { start: 1704067200, end: 1704067215, step: 15 };
    expect(JSON.parse(toJson('up', range, seriesOf(ANSWER)))).toEqual({
      query: 'up',
      start: '2024-01-01T00:00:00.000Z',
      end: '2024-01-01T00:00:15.000Z',
      step: 15,
      series: [
        { labels: { __name__: 'up', instance: 'a:9100', job: 'node' }, values: [[1704067200, '1'], [1704067215, '0']] },
        { labels: { __name__: 'up', instance: '=HYPERLINK("http://evil")', job: 'node,"x"' }, values: [[1704067200, 'NaN']] },
      ],
    });
  });

  it('refuses an answer that is not a matrix', () => {
    expect(() => seriesOf({ status: 'success', data: { resultType: 'vector', result: [] } })).toThrow(/expected a matrix, got vector/);
  });
});
