/** JUnit XML, the report format CI systems (GitLab, Jenkins, GitHub test reporters) read. */

export interface JUnitCase {
  name: string;
  classname: string;
  /** A failed case: a one-line message and the full expected/got diff. */
  failure?: { message: string; details: string };
  /** Why the case did not run. */
  skipped?: string;
  /** Where the test was written, `file:line`. */
  file?: string;
}

export interface JUnitSuite {
  name: string;
  cases: JUnitCase[];
}

/** `<testsuites>` with one `<testsuite>` per source; counts are computed, so they always agree with the cases. */
export function junitXml(suites: readonly JUnitSuite[], name = 'vigil test'): string {
  const count = (cs: readonly JUnitCase[]) => ({ tests: cs.length, failures: cs.filter((c) => c.failure).length, skipped: cs.filter((c) => !c.failure && c.skipped !== undefined).length });
  const all = count(suites.flatMap((s) => s.cases));
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites ${attrs({ name, tests: all.tests, failures: all.failures, errors: 0, skipped: all.skipped })}>`);
  for (const suite of suites) {
    const c = count(suite.cases);
    out.push(`  <testsuite ${attrs({ name: suite.name, tests: c.tests, failures: c.failures, errors: 0, skipped: c.skipped })}>`);
    for (const tc of suite.cases) {
      const head = `    <testcase ${attrs({ name: tc.name, classname: tc.classname, ...(tc.file ? { file: tc.file } : {}) })}`;
      if (tc.failure) {
        out.push(`${head}>`);
        out.push(`      <failure ${attrs({ message: tc.failure.message, type: 'AssertionError' })}>${text(tc.failure.details)}</failure>`);
        out.push('    </testcase>');
      } else if (tc.skipped !== undefined) {
        out.push(`${head}>`);
        out.push(`      <skipped ${attrs({ message: tc.skipped })}/>`);
        out.push('    </testcase>');
      } else out.push(`${head}/>`);
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}="${attribute(String(v))}"`)
    .join(' ');
}

/** Characters XML 1.0 cannot carry at all, even as references: control characters, lone surrogates, U+FFFE/U+FFFF. */
// eslint-disable-next-line no-control-regex
const ILLEGAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function clean(s: string): string {
  return s.replace(ILLEGAL, '\ufffd');
}

function text(s: string): string {
  return clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Line breaks and tabs as references, or attribute-value normalisation would turn them into spaces. */
function attribute(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
