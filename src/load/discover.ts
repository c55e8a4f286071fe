import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileNameProblem, printableName } from './file-names.ts';
import { LIMITS } from './limits.ts';
import { isWithin } from '../util/within.ts';

const DEFINITION_FILE = /\.(ya?ml|ts)$/;
const NOT_A_DEFINITION = /\.(d|test|spec)\.ts$/;

/** A file or folder under the definitions directory that cannot be read as a definition, and why. */
export interface DiscoveryProblem {
  code: 'load/file-name' | 'load/symlink' | 'load/limit' | 'load/read';
  /** Its path inside the definitions directory, printable (see printableName). */
  rel: string;
  message: string;
  hint: string;
}

export interface Discovery {
  /** Paths relative to the definitions directory, `/`-separated and sorted, so output never depends on directory order. */
  files: string[];
  problems: DiscoveryProblem[];
}

/**
 * Every definition file under `dir`. Symbolic links are followed when they resolve inside the repository (the git
 * work tree holding `dir`, or `dir` itself outside git) and refused otherwise, so a definition can never make Vigil
 * read, and copy into generated files, something outside what the pull request shows.
 */
export async function discoverDefinitionFiles(dir: string): Promise<Discovery> {
  const found: string[] = [];
  const problems: DiscoveryProblem[] = [];
  const dirReal = await realpath(dir);
  const boundary = await repositoryRoot(dirReal);
  const inside = (real: string) => isWithin(real, boundary);
  let limitReported = false;
  let folders = 0;

  // `ancestors` holds the real paths of the folders on the way down, to tell a link back up (a loop) from a second
  // way into a folder.
  const walk = async (rel: string, real: string, ancestors: ReadonlySet<string>): Promise<void> => {
    // Links can reach one folder by exponentially many paths without a loop; count every visit.
    if (++folders > LIMITS.folders) {
      if (folders === LIMITS.folders + 1)
        problems.push({ code: 'load/limit', rel: rel || '.', message: `more than ${LIMITS.folders} folders to read (counting each way a symbolic link leads into one); this one and the rest were not read`, hint: 'remove symbolic links that lead into the same folders many times, or split the definitions' });
      return;
    }
    let entries: Dirent<Buffer>[];
    try {
      entries = await readdir(path.join(dir, rel), { withFileTypes: true, encoding: 'buffer' });
    } catch (e) {
      problems.push(readProblem(rel || '.', e));
      return;
    }
    entries.sort((a, b) => Buffer.compare(a.name, b.name));
    for (const entry of entries) {
      const raw = entry.name;
      const latin = raw.toString('latin1');
      if (latin.startsWith('.') || latin === 'node_modules') continue;
      const shown = printableName(raw);
      const child = rel ? `${rel}/${shown}` : shown;
      if (!entry.isDirectory() && !entry.isSymbolicLink() && !entry.isFile()) {
        // A pipe or device named like a definition would block or never end when read.
        if (isDefinitionName(latin)) problems.push(notAFile(child));
        continue;
      }
      if (entry.isFile() && !isDefinitionName(latin)) continue;
      const nameProblem = fileNameProblem(raw);
      if (nameProblem) {
        if (entry.isDirectory() || isDefinitionName(latin) || entry.isSymbolicLink())
          problems.push({ code: 'load/file-name', rel: child, message: `the name ${nameProblem}; it was not read`, hint: 'rename it: definition file and folder names are copied into generated files and must be printable' });
        continue;
      }
      if (Buffer.byteLength(child) > LIMITS.pathBytes) {
        problems.push({ code: 'load/file-name', rel: child, message: `the path is ${Buffer.byteLength(child)} bytes long, more than the ${LIMITS.pathBytes} Vigil reads`, hint: 'use a shallower folder structure or shorter names' });
        continue;
      }
      let isDir = entry.isDirectory();
      let childReal = path.join(real, raw.toString('utf8'));
      if (entry.isSymbolicLink()) {
        const target = await resolveLink(path.join(dir, child));
        if ('problem' in target) {
          problems.push({ code: 'load/symlink', rel: child, message: target.problem, hint: target.hint });
          continue;
        }
        if (!inside(target.real)) {
          problems.push({ code: 'load/symlink', rel: child, message: `the symbolic link points outside the repository (${printableName(target.real)}); it was not followed`, hint: `definitions must live inside ${printableName(boundary)}: copy the file in, or link to a path inside it` });
          continue;
        }
        if (!target.isDir && !isDefinitionName(latin)) continue;
        if (!target.isDir && !target.isFile) {
          problems.push(notAFile(child));
          continue;
        }
        isDir = target.isDir;
        childReal = target.real;
      }
      if (isDir) {
        if (ancestors.has(childReal)) {
          problems.push({ code: 'load/symlink', rel: child, message: 'the symbolic link points back to a folder that contains it (a loop); it was not followed', hint: 'remove the link or point it at a folder outside this chain' });
          continue;
        }
        await walk(child, childReal, new Set([...ancestors, childReal]));
      } else if (found.length < LIMITS.files) found.push(child);
      else if (!limitReported) {
        limitReported = true;
        problems.push({ code: 'load/limit', rel: child, message: `more than ${LIMITS.files} definition files; this one and the rest were not read`, hint: 'split the definitions into several directories, each built on its own' });
      }
    }
  };
  await walk('', dirReal, new Set([dirReal]));
  return { files: found.sort(), problems };
}

function isDefinitionName(name: string): boolean {
  return DEFINITION_FILE.test(name) && !NOT_A_DEFINITION.test(name);
}

type LinkTarget = { real: string; isDir: boolean; isFile: boolean } | { problem: string; hint: string };

async function resolveLink(link: string): Promise<LinkTarget> {
  try {
    const real = await realpath(link);
    const s = await stat(real);
    return { real, isDir: s.isDirectory(), isFile: s.isFile() };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { problem: 'the symbolic link is part of a loop of links; it was not followed', hint: 'point the link at a real file or folder' };
    if (code === 'ENOENT') return { problem: 'the symbolic link points to nothing (its target does not exist)', hint: 'remove the link or create its target' };
    return { problem: `the symbolic link cannot be followed (${code ?? 'error'})`, hint: 'point the link at a readable file or folder inside the repository' };
  }
}

function notAFile(rel: string): DiscoveryProblem {
  return { code: 'load/read', rel, message: 'is not a regular file (a pipe, socket or device); it was not read', hint: 'definitions must be regular files' };
}

function readProblem(rel: string, e: unknown): DiscoveryProblem {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENAMETOOLONG')
    return { code: 'load/file-name', rel, message: 'the path is longer than the file system allows; it was not read', hint: 'use a shallower folder structure or shorter names' };
  return { code: 'load/read', rel, message: `cannot be read (${code ?? (e as Error).message})`, hint: 'check that the file or folder exists and is readable' };
}

/** The git work tree holding `dirReal` (a folder with a `.git` entry), or `dirReal` itself outside git. */
async function repositoryRoot(dirReal: string): Promise<string> {
  for (let d = dirReal; ; d = path.dirname(d)) {
    try {
      await stat(path.join(d, '.git'));
      return d;
    } catch {
      // not here
    }
    if (path.dirname(d) === d) return dirReal;
  }
}
