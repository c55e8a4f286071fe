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
    expect(files).toEqual(['ci.yml', 'deploy-environment.yml', 'deploy.yml', 'plan.yml', 'summary.yml']);
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

  // #8 §2: the pull request's code runs only where there is nothing to steal and nothing to write.
  it('runs the pull request\'s code with no secret, no write permission and no persisted token', async () => {
    const { content } = await parse('ci.yml');
    expect(content).not.toMatch(/secrets\./);
    expect(content).not.toMatch(/pull_request_target|workflow_run/);
    expect(content).toMatch(/^permissions:\n\s+contents: read\n/m);
    expect(content).not.toMatch(/^ +permissions:/m);
    expect(content).toContain('persist-credentials: false');
    expect(content).toMatch(/upload-artifact@v4\n\s+with:\n\s+name: generated\n\s+path: generated\//);
  });

  it('plans with credentials from the default branch, reading the pull request\'s build as data only', async () => {
    const { content } = await parse('plan.yml');
    expect(content).toMatch(/^on:\n\s+workflow_run:\n\s+workflows: \[ci\]/m);
    expect(content).toMatch(/^permissions: \{\}$/m);
    // Never the pull request's code: no checkout of its ref or sha, no npm script from it, no run of its files.
    expect(content).not.toMatch(/^ +ref:|head_branch|pull_request\.head|head_repository/m);
    const checkout = content.indexOf('actions/checkout@v4');
    const download = content.indexOf('actions/download-artifact@v4');
    expect(checkout).toBeGreaterThan(0);
    expect(download).toBeGreaterThan(checkout);
    expect(content.slice(download)).not.toMatch(/npm ci|npm install/);
    // Where the services are and which secrets may be read: main's committed build, never the pull request's.
    expect(content).toContain('npm run -s plan -- --env "$ENVIRONMENT" --build pull-request-build --targets generated --format markdown');
    expect(content).not.toMatch(/--targets pull-request-build/);
    // Values from the event reach the shell only through the environment, never spliced into a script.
    for (const run of content.matchAll(/run: \|\n((?:\s{10}.*\n)+)/g)) expect(run[1]).not.toContain('${{');
  });

  it('summarises a pull request from the default branch, comparing main\'s build with the pull request\'s, both as data', async () => {
    const { content } = await parse('summary.yml');
    expect(content).toMatch(/^on:\n\s+workflow_run:\n\s+workflows: \[ci\]/m);
    expect(content).toMatch(/^permissions: \{\}$/m);
    expect(content).not.toMatch(/^ +ref:|head_branch|pull_request\.head|head_repository|secrets\./m);
    const download = content.indexOf('actions/download-artifact@v4');
    expect(download).toBeGreaterThan(content.indexOf('actions/checkout@v4'));
    expect(content.slice(download)).not.toMatch(/npm ci|npm install|npm run/);
    expect(content).toContain('node bin/vigil.js diff --generated generated --build pull-request-build --format markdown > summary.md');
  });
});
