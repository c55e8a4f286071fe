import { readdir } from 'node:fs/promises';
import path from 'node:path';

const DEFINITION_FILE = /\.(ya?ml|ts)$/;
const NOT_A_DEFINITION = /\.(d|test|spec)\.ts$/;

/** Every definition file under `dir`, relative and sorted so that the output never depends on directory order. */
export async function discoverDefinitionFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile() && DEFINITION_FILE.test(entry.name) && !NOT_A_DEFINITION.test(entry.name)) found.push(child);
    }
  };
  await walk('');
  return found.sort();
}
