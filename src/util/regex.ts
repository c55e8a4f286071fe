const cache = new Map<string, RegExp | null>();

/**
 * A Prometheus (RE2) regex as JavaScript reads it, for evaluation only (routing, test synthesis): fully anchored, with
 * a leading inline flag group `(?i)`/`(?s)` turned into flags. Undefined when JavaScript cannot compile it (RE2-only
 * syntax). Compiled once per source. Whether a regex is valid is decided by util/re2-syntax.ts, never by this.
 */
export function prometheusRegex(source: string): RegExp | undefined {
  let re = cache.get(source);
  if (re === undefined) {
    let body = source;
    let flags = '';
    const inline = /^\(\?([imsU]+)\)/.exec(body);
    if (inline) {
      body = body.slice(inline[0].length);
      if (inline[1]!.includes('i')) flags += 'i';
      if (inline[1]!.includes('s')) flags += 's';
    }
    try {
      re = new RegExp(`^(?:${body})$`, flags);
    } catch {
      re = null;
    }
    cache.set(source, re);
  }
  return re ?? undefined;
}
