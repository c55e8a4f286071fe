/**
 * Just enough of Go's text/template to check Prometheus annotation templates: balanced actions and blocks, known
 * functions, known variables, and which `$labels.x` / `.Labels.x` a template reads.
 */
export interface TemplateProblem {
  message: string;
  start: number;
  end: number;
  hint?: string;
}

export interface TemplateAnalysis {
  problems: TemplateProblem[];
  labelRefs: { name: string; start: number; end: number }[];
}

const BUILTINS = ['and', 'or', 'not', 'len', 'index', 'print', 'printf', 'println', 'html', 'js', 'urlquery', 'call', 'slice', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];
/** Functions Prometheus adds for alert templates (template/template.go, 2.42). */
const PROMETHEUS_FUNCS = [
  'query', 'first', 'label', 'value', 'strvalue', 'sortByLabel', 'args', 'tmpl', 'safeHtml', 'match', 'reReplaceAll', 'title',
  'toUpper', 'toLower', 'graphLink', 'tableLink', 'stripPort', 'stripDomain', 'humanize', 'humanize1024', 'humanizeDuration',
  'humanizePercentage', 'humanizeTimestamp', 'toTime', 'pathPrefix', 'externalURL', 'parseDuration',
];
const KNOWN_FUNCS = new Set([...BUILTINS, ...PROMETHEUS_FUNCS]);
const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue', 'nil', 'true', 'false']);
const OPENERS = new Set(['if', 'range', 'with', 'define', 'block']);
const PROMETHEUS_VARS = new Set(['$labels', '$value', '$externalLabels', '$externalURL', '$']);

export function analyzeGoTemplate(text: string): TemplateAnalysis {
  const problems: TemplateProblem[] = [];
  const labelRefs: TemplateAnalysis['labelRefs'] = [];
  const open: { keyword: string; start: number; end: number }[] = [];
  const declared = new Set<string>();
  let pos = 0;
  for (;;) {
    const start = text.indexOf('{{', pos);
    if (start === -1) break;
    const close = findClose(text, start + 2);
    if (close === -1) {
      problems.push({ message: 'unclosed action: "{{" without "}}"', start, end: start + 2, hint: 'close the action with }}' });
      break;
    }
    const inner = text.slice(start + 2, close);
    const innerStart = start + 2;
    pos = close + 2;
    const trimmed = inner.replace(/^-\s/, '  ').replace(/\s-$/, '  ');
    if (/^\s*\/\*/.test(trimmed)) continue; // comment
    if (trimmed.trim() === '') {
      problems.push({ message: 'empty action "{{}}"', start, end: close + 2 });
      continue;
    }
    for (const token of tokenize(trimmed, innerStart)) {
      if (token.kind === 'word') {
        if (KEYWORDS.has(token.text)) {
          if (token.text === 'end') {
            if (!open.pop()) problems.push({ message: 'unexpected {{ end }} with no open block', start: token.start, end: token.end, hint: 'remove it, or open the block with if / range / with' });
          } else if (OPENERS.has(token.text) && token.first) open.push({ keyword: token.text, start: token.start, end: token.end });
          continue;
        }
        if (!KNOWN_FUNCS.has(token.text)) {
          problems.push({ message: `function "${token.text}" not defined`, start: token.start, end: token.end, hint: `Prometheus templates can use: ${PROMETHEUS_FUNCS.slice(0, 12).join(', ')}, …` });
        }
      } else if (token.kind === 'var') {
        const root = token.text.split('.')[0]!;
        if (token.declares) declared.add(root);
        else if (!PROMETHEUS_VARS.has(root) && !declared.has(root)) {
          problems.push({ message: `undefined variable "${root}"`, start: token.start, end: token.start + root.length, hint: 'alert templates have $labels, $value, $externalLabels and $externalURL' });
        }
        const label = /^\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/.exec(token.text);
        if (label) labelRefs.push({ name: label[1]!, start: token.start + 8, end: token.start + 8 + label[1]!.length });
      } else if (token.kind === 'field') {
        const label = /^\.Labels\.([a-zA-Z_][a-zA-Z0-9_]*)/.exec(token.text);
        if (label) labelRefs.push({ name: label[1]!, start: token.start + 8, end: token.start + 8 + label[1]!.length });
      } else if (token.kind === 'bad') {
        problems.push({ message: token.text, start: token.start, end: token.end });
      }
    }
  }
  for (const block of open) {
    problems.push({ message: `{{ ${block.keyword} }} is never closed with {{ end }}`, start: block.start, end: block.end, hint: 'add {{ end }}' });
  }
  if (problems.length === 0) {
    const stray = text.indexOf('}}', 0);
    const firstOpen = text.indexOf('{{');
    if (stray !== -1 && (firstOpen === -1 || stray < firstOpen)) problems.push({ message: 'unexpected "}}" without "{{"', start: stray, end: stray + 2 });
  }
  return { problems, labelRefs };
}

function findClose(text: string, from: number): number {
  let quote: string | null = null;
  for (let i = from; i < text.length - 1; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === '`') quote = c;
    else if (c === '}' && text[i + 1] === '}') return i;
  }
  return -1;
}

interface Token {
  kind: 'word' | 'var' | 'field' | 'string' | 'number' | 'punct' | 'bad';
  text: string;
  start: number;
  end: number;
  first?: boolean;
  declares?: boolean;
}

function tokenize(s: string, base: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  let first = true;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '"' || c === '`') {
      let j = i + 1;
      while (j < s.length && s[j] !== c) j += s[j] === '\\' && c === '"' ? 2 : 1;
      if (j >= s.length) out.push({ kind: 'bad', text: 'unterminated string', start: base + start, end: base + s.length });
      i = j + 1;
      out.push({ kind: 'string', text: s.slice(start, i), start: base + start, end: base + i });
    } else if (c === '$') {
      let j = i + 1;
      while (j < s.length && /[a-zA-Z0-9_.]/.test(s[j]!)) j++;
      const text = s.slice(start, j);
      const declares = /^\s*(:=|=(?!=)|,)/.test(s.slice(j));
      out.push({ kind: 'var', text, start: base + start, end: base + j, declares });
      i = j;
    } else if (c === '.') {
      let j = i + 1;
      while (j < s.length && /[a-zA-Z0-9_.]/.test(s[j]!)) j++;
      out.push({ kind: 'field', text: s.slice(start, j), start: base + start, end: base + j });
      i = j;
    } else if (/[a-zA-Z_]/.test(c)) {
      let j = i + 1;
      while (j < s.length && /[a-zA-Z0-9_]/.test(s[j]!)) j++;
      out.push({ kind: 'word', text: s.slice(start, j), start: base + start, end: base + j, first });
      i = j;
      // A field access on a call result, e.g. (index $x 0).Value, follows without a space.
      while (i < s.length && s[i] === '.' && /[a-zA-Z_]/.test(s[i + 1] ?? '')) {
        let k = i + 1;
        while (k < s.length && /[a-zA-Z0-9_]/.test(s[k]!)) k++;
        i = k;
      }
    } else if (/[0-9-+]/.test(c)) {
      let j = i + 1;
      while (j < s.length && /[0-9.eExa-fA-F_]/.test(s[j]!)) j++;
      out.push({ kind: 'number', text: s.slice(start, j), start: base + start, end: base + j });
      i = j;
    } else if ('|()=:,'.includes(c)) {
      out.push({ kind: 'punct', text: c, start: base + start, end: base + start + 1 });
      i++;
      if (c === '|' || c === '(') {
        first = false;
        continue;
      }
    } else {
      out.push({ kind: 'bad', text: `unexpected character "${c}" in action`, start: base + start, end: base + start + 1 });
      i++;
    }
    first = false;
  }
  return out;
}
