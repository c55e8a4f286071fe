// The GitHub Actions workflows must be valid (GitHub's own parser and schema, @actions/workflow-parser) and must run
// the same npm scripts a person runs locally.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.ts';

const DIR = path.join(REPO, '.github/workflows');
const files = (await readdir(DIR)).filter((f) => f.endsWith('.yml')).sort();
const scripts = (JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

async function parse(file: string) {
  const content = await readFile(path.join(DIR, file), 'utf8');
  const result = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((e) => e.message);
  const template = result.value ? await convertWorkflowTemplate(result.context, result.value) : undefined;
  return { content, errors: [...errors, ...(template?.errors ?? []).map((e) => e.Message)] };
}

describe('GitHub Actions workflows', () => {
  it('has the CI workflow and the deploy pipeline', () => {
    expect(files).toEqual(['ci.yml', 'deploy-environment.yml', 'deploy.yml']);
  });

  it.each(files)('%s is a valid workflow', async (file) => {
    expect((await parse(file)).errors).toEqual([]);
  });

  it('the parser rejects an invalid workflow (so the test above can fail)', () => {
    const result = parseWorkflow({ name: 'bad.yml', content: 'on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    stepz: []\n' }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().length).toBeGreaterThan(0);
  });

  it.each(files)('%s runs only npm scripts that exist', async (file) => {
    const { content } = await parse(file);
    const used = [...content.matchAll(/npm run (?:-s )?([\w:-]+)/g)].map((m) => m[1]!);
    for (const name of used) expect(scripts, `npm run ${name} in ${file}`).toHaveProperty(name);
  });

  it('deploys dev, then staging, then prod, each in its GitHub environment', async () => {
    const { content } = await parse('deploy.yml');
    expect(content).toMatch(/staging:\n\s+needs: dev/);
    expect(content).toMatch(/prod:\n\s+needs: staging/);
    const reusable = (await parse('deploy-environment.yml')).content;
    expect(reusable).toContain('environment: ${{ inputs.environment }}');
    expect(reusable).toContain('npm run -s deploy -- --env "${{ inputs.environment }}"');
  });
});
