// #9 §1: a groupBy value `vigil validate` accepts is one Alertmanager 0.25 loads. Every list of the table goes into the
// shared Routes at the root, into a route two levels down, and into an Environment's route override; amtool is asked
// about the same list in the same places, and Vigil's verdict must equal its verdict. Rejections are located at the
// value itself, in the file that wrote it.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lineColAt } from '../../src/diagnostics.ts';
import { compileProject } from '../../src/compile-project.ts';
import { loadDirectory } from '../../src/load/index.ts';
import { hasCommand } from '../helpers/cli.ts';
import { amtoolConfigVerdict, eachInTempFiles } from './real-tools.ts';

const BASE = path.join(import.meta.dirname, '../fixtures/base');
const temps: string[] = [];
afterAll(() => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));

/** Label-name shapes (valid, one character off, beyond ASCII) and the `...` wildcard alone, first, last, doubled. */
const NAMES = ['alertname', '_x', '__name__', 'A9_', 'a-b', 'a.b', '1a', 'é', 'a b', '', '..', '....', '*', 'a:b', 'x\u200b'];
const LISTS: string[][] = [
  ...NAMES.map((n) => [n]),
  ...NAMES.filter((n) => n !== 'alertname').map((n) => ['alertname', n]),
  ['...'],
  ['alertname', '...'],
  ['...', 'alertname'],
  ['...', 'a-b'],
];

type Place = 'root' | 'nested' | 'override';
const PLACES: Place[] = ['root', 'nested', 'override'];

function amConfig(list: string[], place: Place): string {
  const gb = JSON.stringify(list);
  const nested = `  routes:\n  - receiver: r\n    routes:\n    - receiver: r\n      matchers: ['a="b"']\n      group_by: ${gb}\n`;
  return `route:\n  receiver: r\n${place === 'root' ? `  group_by: ${gb}\n` : nested}receivers:\n- name: r\n`;
}

async function vigilVerdict(list: string[], place: Place) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-group-by-'));
  temps.push(dir);
  await cp(BASE, dir, { recursive: true });
  const gb = JSON.stringify(list);
  let file = 'routes.yaml';
  if (place === 'root') await writeFile(path.join(dir, file), `apiVersion: vigil/v1\nkind: Routes\nreceiver: team\ngroupBy: ${gb}\nroutes:\n  - matchers: ['severity="critical"']\n    receiver: oncall\n  - matchers: ['severity="warning"']\n    receiver: team\n`);
  if (place === 'nested') await writeFile(path.join(dir, file), `apiVersion: vigil/v1\nkind: Routes\nreceiver: team\nroutes:\n  - matchers: ['severity="critical"']\n    receiver: oncall\n    routes:\n      - matchers: ['team="db"']\n        groupBy: ${gb}\n  - matchers: ['severity="warning"']\n    receiver: team\n`);
  if (place === 'override') {
    file = 'env.yaml';
    await writeFile(
      path.join(dir, file),
      `apiVersion: vigil/v1\nkind: Environment\nname: prod\nprometheus:\n  - { url: "http://prom:9090", rulesDir: /etc/prometheus/rules }\nscrape:\n  node_exporter: { targets: ["node:9100"] }\n  app: { targets: ["app:8080"] }\noverrides:\n  routes:\n    groupBy: ${gb}\n`,
    );
  }
  const loaded = await loadDirectory(dir);
  const result = compileProject(loaded);
  const texts = new Map(loaded.sources.map((s) => [s.file, s.text]));
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const located = errors.filter((d) => d.code === 'route/group-by').map((d) => {
    const text = texts.get(d.span!.file) ?? '';
    return { file: path.basename(d.span!.file), at: lineColAt(text, d.span!.start), written: text.slice(d.span!.start, d.span!.end) };
  });
  return { errors, located, file };
}

describe.skipIf(!hasCommand('amtool'))('groupBy values against amtool 0.25', () => {
  const cases = LISTS.flatMap((list) => PLACES.map((place) => ({ list, place })));

  it(`${cases.length} lists × places: Vigil rejects exactly what amtool rejects, at the value`, async () => {
    const amtool = await eachInTempFiles(cases, (c, file) => amtoolConfigVerdict(file, amConfig(c.list, c.place)));
    const disagreements: string[] = [];
    for (const [i, c] of cases.entries()) {
      const accepted = amtool[i] === undefined;
      const vigil = await vigilVerdict(c.list, c.place);
      const label = `${JSON.stringify(c.list)} at ${c.place}`;
      if (accepted && vigil.errors.length) disagreements.push(`${label}: amtool accepts, Vigil says ${vigil.errors.map((e) => `[${e.code}] ${e.message}`).join('; ')}`);
      if (!accepted && vigil.errors.length === 0) disagreements.push(`${label}: amtool rejects (${amtool[i]!.split('\n').find((l) => /error|FAIL/i.test(l)) ?? amtool[i]}), Vigil builds`);
      if (!accepted && vigil.errors.length) {
        // Located at a value of the list, in the file that wrote it: the shared Routes, or the Environment override.
        if (vigil.located.length === 0) disagreements.push(`${label}: rejected, but not by route/group-by (${vigil.errors.map((e) => e.code).join(', ')})`);
        for (const l of vigil.located) {
          if (l.file !== vigil.file) disagreements.push(`${label}: reported in ${l.file}, written in ${vigil.file}`);
          if (!c.list.some((v) => l.written === JSON.stringify(v) || l.written === v)) disagreements.push(`${label}: located at ${JSON.stringify(l.written)}, not at a value`);
        }
      }
    }
    expect(disagreements).toEqual([]);
    // The table must hold both verdicts, or it proves nothing.
    expect(amtool.filter((v) => v === undefined).length).toBeGreaterThan(5);
    expect(amtool.filter((v) => v !== undefined).length).toBeGreaterThan(5);
  }, 300_000);
});
