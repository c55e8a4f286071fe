/** Sloth's range placeholder, with or without the spaces: `{{ .window }}`, `{{.window}}`. */
const WINDOW_PLACEHOLDER = /\{\{-?\s*\.window\s*-?\}\}/g;

/** Where each placeholder stands in a query, as [start, end) offsets. */
export function placeholderSpans(query: string): { start: number; end: number }[] {
  return [...query.matchAll(WINDOW_PLACEHOLDER)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
}

/** The query with every placeholder replaced by the window. */
export function substituteWindow(query: string, window: string): string {
  return query.replace(WINDOW_PLACEHOLDER, window);
}
