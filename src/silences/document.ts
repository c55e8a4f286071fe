import type { SimpleMatcher } from '../model/matchers.ts';
import type { Model, SilenceModel } from '../model/types.ts';
import { sortMatchers } from '../routing/matchers.ts';

/** A matcher as Alertmanager's API v2 reads and writes it. */
export interface ApiMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

/** One silence as the build holds it: what deploy posts to Alertmanager, comment marker included. */
export interface SilenceDocument {
  name: string;
  matchers: ApiMatcher[];
  /** RFC 3339 in UTC with milliseconds (toISOString), so equal instants read the same. */
  startsAt: string;
  endsAt: string;
  createdBy: string;
  /** `[vigil <project>/<name>] ` followed by the definition's comment. */
  comment: string;
  /** In the shared tree only: the Environments it is limited to (absent: every one). */
  environments?: string[];
}

/** alertmanager/silences.json. */
export interface SilencesFile {
  generator: 'vigil';
  /** The Project's name: the owner in every marker, so deploy expires only this project's silences. */
  project: string;
  silences: SilenceDocument[];
}

/**
 * The marker that makes a silence Vigil's: a comment that starts with `[vigil <project>/<name>]`. The comment is the
 * one field Alertmanager's UI shows in full and never rewrites, and it names both the project and the entry, so deploy
 * can tell its own silences apart from a person's (whose matchers may be identical) and from another project's.
 */
export function silenceMarker(project: string, name: string): string {
  return `[vigil ${project}/${name}]`;
}

const MARKER = /^\[vigil ([a-z0-9][a-z0-9-]*)\/([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\]/;

/** The project and entry a silence's comment marks it as Vigil's; undefined for any other silence. */
export function silenceOwner(comment: unknown): { project: string; name: string } | undefined {
  if (typeof comment !== 'string') return undefined;
  const m = MARKER.exec(comment);
  return m ? { project: m[1]!, name: m[2]! } : undefined;
}

export const projectName = (model: Model): string => model.project?.name ?? 'vigil';

export function apiMatcher(m: SimpleMatcher): ApiMatcher {
  return { name: m.label, value: m.value, isRegex: m.op === '=~' || m.op === '!~', isEqual: m.op === '=' || m.op === '=~' };
}

/** Back to the matcher form (for sorting and display). */
export function simpleMatcher(m: ApiMatcher): SimpleMatcher {
  return { label: m.name, value: m.value, op: m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=' };
}

/** The silences that apply to an Environment (every one without `environments`), or all of them for the shared tree. */
export function silencesFor(model: Model, environment: string | undefined): SilenceModel[] {
  return model.silences.filter((s) => environment === undefined || !s.environments || s.environments.includes(environment));
}

/** The build's form of the model's silences: sorted by name, matchers in Alertmanager's order, times in UTC. */
export function silencesFile(model: Model, environment: string | undefined): SilencesFile {
  const project = projectName(model);
  const silences = silencesFor(model, environment)
    .map((s): SilenceDocument => ({
      name: s.name,
      matchers: sortMatchers(s.matchers).map(apiMatcher),
      startsAt: new Date(s.startsAt).toISOString(),
      endsAt: new Date(s.endsAt).toISOString(),
      createdBy: s.createdBy,
      comment: `${silenceMarker(project, s.name)} ${s.comment}`,
      ...(environment === undefined && s.environments ? { environments: [...s.environments].sort() } : {}),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { generator: 'vigil', project, silences };
}

/** Reads silences.json back; throws an Error naming what is not what Vigil writes. */
export function parseSilencesFile(text: string): SilencesFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON (${(e as Error).message})`);
  }
  const d = doc as Partial<SilencesFile> | null;
  if (!d || typeof d !== 'object' || d.generator !== 'vigil' || typeof d.project !== 'string' || !Array.isArray(d.silences)) throw new Error('not a silences file written by Vigil');
  d.silences.forEach((s, i) => {
    const ok =
      s && typeof s === 'object' && typeof s.name === 'string' && typeof s.createdBy === 'string' && typeof s.comment === 'string' &&
      !Number.isNaN(Date.parse(s.startsAt)) && !Number.isNaN(Date.parse(s.endsAt)) && Array.isArray(s.matchers) &&
      s.matchers.every((m) => m && typeof m.name === 'string' && typeof m.value === 'string' && typeof m.isRegex === 'boolean' && typeof m.isEqual === 'boolean');
    if (!ok) throw new Error(`silences[${i}] is not what Vigil writes`);
  });
  return d as SilencesFile;
}
