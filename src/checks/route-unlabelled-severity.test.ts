import { describe, expect, it } from 'vitest';
import { baseFile, compileBase } from '../../test/helpers/model.ts';

const UNLABELLED = '  - { name: none, label: false }\n  - { name: silent, label: false }\n';

/** The route/unlabelled-severity warnings for routes with these matchers (each its own route to team). */
async function warnings(matchers: string[], extraLevels = UNLABELLED): Promise<string[]> {
  const severities = `${await baseFile('severities.yaml')}${extraLevels}`;
  const routes = `${await baseFile('routes.yaml')}${matchers.map((m) => `  - matchers: [${JSON.stringify(m)}]\n    receiver: team\n`).join('')}`;
  const result = await compileBase({ 'severities.yaml': severities, 'routes.yaml': routes });
  return result.diagnostics.filter((d) => d.code === 'route/unlabelled-severity').map((d) => `${d.severity}: ${d.message}`);
}

describe('route/unlabelled-severity', () => {
  it('warns at severity matchers only a severity label satisfies, naming the unlabelled levels they mean', async () => {
    expect(await warnings(['severity="none"', 'severity=~"no.*|silent"', 'severity=~"warning|none"'])).toEqual([
      'warning: route matcher severity="none" never catches alerts of level none: severity none says label: false, so those alerts carry no severity label',
      'warning: route matcher severity=~"no.*|silent" never catches alerts of levels none, silent: severities none, silent say label: false, so those alerts carry no severity label',
      'warning: route matcher severity=~"warning|none" never catches alerts of level none: severity none says label: false, so those alerts carry no severity label',
    ]);
  });

  it('is quiet for matchers that also accept no severity, negative matchers, labelled levels and other labels', async () => {
    expect(await warnings(['severity=~"none|"', 'severity=~".*"', 'severity!="none"', 'severity!~"none"', 'severity="warning"', 'team="none"'])).toEqual([]);
  });

  it('is quiet when no severity says label: false', async () => {
    expect(await warnings(['severity="none"'], '  - { name: none }\n')).toEqual([]);
  });
});
