import { describe, expect, it } from 'vitest';
import { budgetLine, formatDuration } from './test-budget.mjs';
import { isIntegrationTest, SLOWEST_FIRST, slowestFirst, testFiles, testKinds } from './test-kinds.mjs';

// The sources below are assembled so that this file does not itself read as one that starts a process.
const CHILD_PROCESS = ['node', 'child_process'].join(':');
const call = (name: string, args: string) => `${name}${'('}${args});`;

describe('unit and integration tests', () => {
  it.each([
    ['test/integration/x.test.ts', "import { it } from 'vitest';", true],
    ['test/e2e/x.test.ts', '', true],
    ['src/emit/x.test.ts', `import { spawnSync } from '${CHILD_PROCESS}';`, true],
    ['test/build/x.test.ts', call('const r = runVigil', "['build', dir]"), true],
    ['src/testing/x.test.ts', call('const out = await runPromtool', 'binary, dir, files'), true],
    ['src/relay/x.test.ts', call('const scope = serviceScope', ''), true],
    ['src/emit/x.test.ts', call('const tools = hasCommand', "'amtool'"), true],
    ['src/promql/x.test.ts', "import { parse } from './parse.ts';\nexpect(parse('up')).toBeDefined();", false],
    ['src/testing/x.test.ts', '// the runner (runPromtool) is tested elsewhere\nexpect(satisfies(a, b)).toBe(true);', false],
  ])('%s with %j is an integration test: %s', (file, source, expected) => {
    expect(isIntegrationTest(file, source)).toBe(expected);
  });

  it('puts every test file of the suite in exactly one part', () => {
    const { unit, integration } = testKinds();
    expect([...unit, ...integration].sort()).toEqual(testFiles());
    expect(unit.filter((f) => integration.includes(f))).toEqual([]);
    expect(integration).toContain('test/e2e/cli.test.ts');
    expect(unit).toContain('scripts/test-kinds.test.ts');
  });
});

describe('the slowest integration files start first', () => {
  it('names integration tests that exist', () => {
    expect(SLOWEST_FIRST.filter((f) => !testKinds().integration.includes(f))).toEqual([]);
  });

  it('puts them first, slowest first, and keeps the order of the rest', () => {
    const rest = ['test/a.test.ts', 'test/b.test.ts'];
    const files = [rest[0]!, SLOWEST_FIRST[2]!, rest[1]!, SLOWEST_FIRST[0]!];
    expect(slowestFirst(files)).toEqual([SLOWEST_FIRST[0], SLOWEST_FIRST[2], ...rest]);
    expect(slowestFirst(files.map((file) => ({ file })), (f: { file: string }) => f.file).map((f) => f.file)).toEqual([SLOWEST_FIRST[0], SLOWEST_FIRST[2], ...rest]);
  });
});

describe('time budgets', () => {
  it.each([
    [8_400, '8s'],
    [161_000, '2m 41s'],
    [300_000, '5m'],
  ])('%i ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('prints the duration against the budget, and says when it is over', () => {
    expect(budgetLine('unit', 161_000)).toBe('unit tests: 2m 41s (budget 5m)');
    expect(budgetLine('integration', 601_000)).toBe('integration tests: 10m 1s (budget 10m): OVER BUDGET');
  });
});
