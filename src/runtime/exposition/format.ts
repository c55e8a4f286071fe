// prom-client 15's text format, reproduced piece by piece (lib/registry.js, lib/util.js): the cached exposition must
// give its bytes exactly, quirks included ("Nan", a label value that is not a string printed unescaped, the order in
// which default labels and a histogram's `le` come).

export type LabelSet = Record<string, unknown>;

/** prom-client's getValueAsString. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

const needsEscape = /[\\\n"]/;

/** prom-client's escapeString: backslash and newline (for names and help). */
export function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** prom-client's escapeLabelValue: strings escaped, anything else printed as JavaScript prints it. */
function formatLabelValue(value: unknown): unknown {
  return typeof value === 'string' ? escapeLabelValue(value) : value;
}

/** A string label value escaped (backslash, newline, double quote). */
export function escapeLabelValue(value: string): string {
  // Most values need no escape: the test spares three regex replacements per label.
  return needsEscape.test(value) ? escapeText(value).replace(/"/g, '\\"') : value;
}

/** prom-client's formatLabels: name="value" for each label not named in `exclude`, in the object's order. */
function formatLabels(labels: LabelSet, exclude?: LabelSet): string[] {
  const formatted: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (!exclude || !Object.prototype.hasOwnProperty.call(exclude, name)) formatted.push(`${name}="${formatLabelValue(value)}"`);
  }
  return formatted;
}

/**
 * formatSampleLabels of a sample whose labels are all in one set (no default labels; the other set empty): `{…}` of
 * its labels in the object's order, '' without any. The common case, without the general form's arrays and copies.
 */
export function formatOwnLabels(labels: LabelSet): string {
  let text = '';
  for (const name in labels) {
    if (!Object.hasOwn(labels, name)) continue;
    text += `${text ? ',' : '{'}${name}="${formatLabelValue(labels[name])}"`;
  }
  return text ? `${text}}` : '';
}

/**
 * The `{…}` of one sample as prom-client's getMetricsAsString builds it from the sample's own labels, the series'
 * labels it shares with its siblings (a histogram's), and the registry's default labels (null when there are none).
 */
export function formatSampleLabels(labels: LabelSet, sharedLabels: LabelSet, defaultLabels: LabelSet | null): string {
  const merged = defaultLabels ? { ...labels, ...defaultLabels, ...labels } : labels;
  const parts = [...formatLabels(merged, sharedLabels), formatLabels(sharedLabels).join(',')].filter(Boolean);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** The two comment lines that open a metric's block. */
export function formatHeader(name: string, help: string, type: string): string {
  const escapedName = escapeText(name);
  return `# HELP ${escapedName} ${escapeText(help)}\n# TYPE ${escapedName} ${type}`;
}
