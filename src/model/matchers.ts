/** Parses one Alertmanager matcher string: `name="value"`, `name=~"re"`, `name!=value`, `name!~"re"`. */
export function parseMatcher(text: string): { label: string; op: '=' | '!=' | '=~' | '!~'; value: string } | { error: string } {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/.exec(text);
  if (!m) return { error: `cannot parse matcher ${JSON.stringify(text)}` };
  const [, label, op, raw] = m as unknown as [string, string, '=' | '!=' | '=~' | '!~', string];
  let value = raw;
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"') || /(^|[^\\])"/.test(raw.slice(1, -1).replace(/\\\\/g, ''))) {
      return { error: `unbalanced quotes in matcher ${JSON.stringify(text)}` };
    }
    try {
      value = JSON.parse(raw) as string;
    } catch {
      return { error: `bad escape in matcher ${JSON.stringify(text)}` };
    }
  } else if (/[",{}]/.test(raw)) {
    return { error: `unquoted matcher value ${JSON.stringify(raw)} contains quotes, commas or braces` };
  }
  if (op === '=~' || op === '!~') {
    try {
      new RegExp(`^(?:${value})$`);
    } catch (e) {
      return { error: `invalid regular expression in matcher ${JSON.stringify(text)}: ${(e as Error).message}` };
    }
  }
  return { label, op, value };
}

/** Whether a label set satisfies a matcher, with Alertmanager's semantics (missing label = empty string, anchored regex). */
export function matches(matcher: { label: string; op: string; value: string }, labels: Record<string, string>): boolean {
  const v = labels[matcher.label] ?? '';
  switch (matcher.op) {
    case '=':
      return v === matcher.value;
    case '!=':
      return v !== matcher.value;
    case '=~':
      return new RegExp(`^(?:${matcher.value})$`).test(v);
    case '!~':
      return !new RegExp(`^(?:${matcher.value})$`).test(v);
    default:
      return false;
  }
}
