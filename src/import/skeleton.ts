/**
 * The files an imported directory needs to build on its own besides what was imported (a Project, Severities, a
 * route and a receiver), and the way every import writes YAML: a comment on top, then documents as a person writes
 * them (no line folding, no anchors).
 */
import { stringify } from 'yaml';

export interface ImportedFile {
  path: string;
  content: string;
}

export function yamlFile(comment: string, docs: object[]): string {
  const header = comment
    .split('\n')
    .map((l) => `# ${l}`)
    .join('\n');
  return `${header}\n${docs.map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n')}`;
}

/**
 * project.yaml with `checks` (severities of the checks the imported definitions were not written to: warnings until
 * reviewed), severities.yaml with `levels` (most severe first), and a placeholder route to a receiver that
 * discards, until the team's routing tree replaces them.
 */
export function projectSkeleton(options: { projectComment: string; checks: Record<string, 'warning'>; severitiesComment: string; levels: (string | { name: string; label: false })[] }): ImportedFile[] {
  return [
    { path: 'project.yaml', content: yamlFile(options.projectComment, [{ apiVersion: 'vigil/v1', kind: 'Project', name: 'imported', policies: { checks: options.checks } }]) },
    { path: 'severities.yaml', content: yamlFile(options.severitiesComment, [{ apiVersion: 'vigil/v1', kind: 'Severities', levels: options.levels.map((level) => (typeof level === 'string' ? { name: level } : level)) }]) },
    { path: 'routes.yaml', content: yamlFile('Replace with your routing tree (vigil import alertmanager).', [{ apiVersion: 'vigil/v1', kind: 'Routes', receiver: 'default' }]) },
    { path: 'receivers.yaml', content: yamlFile('Replace with your receivers (vigil import alertmanager). Until then every alert is discarded.', [{ apiVersion: 'vigil/v1', kind: 'Receivers', receivers: [{ name: 'default', discard: true }] }]) },
  ];
}
