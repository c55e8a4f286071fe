import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { neutraliseWorkflowCommands } from '../../src/cli/io.ts';
import { annotation } from '../../src/report/github.ts';
import { runVigilAsync } from '../helpers/cli.ts';

/**
 * #8 §4: a CI runner takes any output line that starts with `::` as a workflow command (add an annotation, mask a
 * value, stop reading commands). Text from definitions reaches Vigil's output in messages, code frames and tool
 * output; none of it may start such a line. Only Vigil's own annotations (--format github) are commands, one each.
 */
const root = mkdtempSync(path.join(os.tmpdir(), 'vigil-ci-log-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const COMMANDS = ['::error file=x.yaml,line=1::forged', '::add-mask::hidden', '::stop-commands::token', '::warning::forged', '  ::notice::forged', '\t::group::forged'];

/** Places where a definition's text appears in Vigil's output, each with the payload on a line of its own. */
const PLACES: Record<string, (payload: string) => Record<string, string>> = {
  'dangling receiver name': (p) => ({ 'routes.yaml': `apiVersion: vigil/v1\nkind: Routes\nreceiver: ${JSON.stringify(`x\n${p}`)}\n` }),
  'YAML syntax error line': (p) => ({ 'broken.yaml': `apiVersion: vigil/v1\nkind: Metrics\n${p}: [\n` }),
  'PromQL error in an expression': (p) => ({
    'alerts.yaml': `apiVersion: vigil/v1\nkind: AlertRules\ngroup: g\nalerts:\n  - name: A\n    expr: |\n      up ==\n      ${p}\n    severity: critical\n    summary: x\n`,
  }),
  'unknown field': (p) => ({ 'metrics.yaml': `apiVersion: vigil/v1\nkind: Metrics\n${JSON.stringify(`k\n${p}`)}: 1\nmetrics: []\n` }),
};

let n = 0;
function project(files: Record<string, string>): string {
  const dir = path.join(root, `p${n++}`, 'monitoring');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'project.yaml'), 'apiVersion: vigil/v1\nkind: Project\nname: p\n');
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  return dir;
}

const commandLines = (text: string) => text.split(/\r?\n|\r/).filter((l) => l.trim().startsWith('::'));

describe('nothing a definition writes becomes a CI workflow command', () => {
  const cases = Object.entries(PLACES).flatMap(([place, files]) => COMMANDS.map((payload) => [`${place}: ${JSON.stringify(payload)}`, files(payload)] as const));

  it.each(cases)('%s', async (_name, files) => {
    const dir = project(files);
    const text = await runVigilAsync(['validate', dir], path.dirname(dir));
    expect(text.code).toBe(1);
    expect(commandLines(text.stdout + text.stderr)).toEqual([]);
    const json = await runVigilAsync(['validate', dir, '--format', 'json'], path.dirname(dir));
    const problems = (JSON.parse(json.stdout) as { diagnostics: unknown[] }).diagnostics.length;
    const github = await runVigilAsync(['validate', dir, '--format', 'github'], path.dirname(dir));
    const lines = commandLines(github.stdout + github.stderr);
    expect(lines).toHaveLength(problems);
    for (const l of lines) expect(l).toMatch(/^::(error|warning) [^:]*::/);
  });

  it('escapes properties and messages of an annotation as GitHub reads them', () => {
    const line = annotation('error', { file: 'a,b:c%.yaml', line: 3, title: 'x' }, 'one\ntwo\r%::add-mask::z');
    expect(line).toBe('::error file=a%2Cb%3Ac%25.yaml,line=3,title=x::one%0Atwo%0D%25::add-mask::z\n');
    expect(commandLines(line)).toHaveLength(1);
  });

  it.each(COMMANDS)('neutralises %j at the start of any line of plain output', (payload) => {
    const out = neutraliseWorkflowCommands(`ok\n${payload}\n  detail ${payload}\n`);
    expect(commandLines(out)).toEqual([]);
    expect(out.replace(/\u200b/g, '')).toBe(`ok\n${payload}\n  detail ${payload}\n`);
  });
});
