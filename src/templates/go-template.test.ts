import { describe, expect, it } from 'vitest';
import { analyzeGoTemplate } from './go-template.ts';

describe('analyzeGoTemplate', () => {
  it.each([
    'plain text',
    '{{ $labels.instance }} at {{ $value | humanizePercentage }}',
    '{{ if gt $value 0.9 }}high{{ else }}ok{{ end }}',
    '{{ range $k, $v := $labels }}{{ $k }}={{ $v }} {{ end }}',
    '{{- with query "up" }}{{ . | first | value }}{{ end -}}',
    '{{ printf "%.2f" $value }} {{ .Labels.job }} {{/* comment */}}',
    '{{ $externalLabels.cluster }} {{ $externalURL }}',
  ])('accepts %s', (text) => {
    expect(analyzeGoTemplate(text).problems).toEqual([]);
  });

  it.each([
    ['{{ $labels.instance }', 'unclosed action', 0],
    ['{{ $value | humanise }}', 'function "humanise" not defined', 12],
    ['{{ if $value }}x', 'never closed', 3],
    ['x {{ end }}', 'unexpected {{ end }}', 5],
    ['{{ $lables.job }}', 'undefined variable "$lables"', 3],
  ])('rejects %s', (text, message, start) => {
    const { problems } = analyzeGoTemplate(text);
    expect(problems[0]?.message).toContain(message);
    expect(problems[0]?.start).toBe(start);
  });

  it('lists the labels a template reads, with positions', () => {
    const text = '{{ $labels.gpu }} on {{ .Labels.instance }}';
    const refs = analyzeGoTemplate(text).labelRefs;
    expect(refs.map((r) => r.name)).toEqual(['gpu', 'instance']);
    expect(text.slice(refs[0]!.start, refs[0]!.end)).toBe('gpu');
    expect(text.slice(refs[1]!.start, refs[1]!.end)).toBe('instance');
  });
});
