import { BuildError, readBuild as readBuildView, type BuildFile } from '../build/read.ts';
import { DeployError } from './errors.ts';

/**
 * The files of the build of one environment in `dir/<environment>/`, checked against its manifest (see
 * build/read.ts: readBuild); a build that cannot be used is a DeployError `deploy/build`, as every deploy problem.
 */
export async function readBuild(dir: string, environment: string): Promise<BuildFile[]> {
  try {
    return (await readBuildView(dir, environment)).files;
  } catch (e) {
    if (e instanceof BuildError) throw new DeployError(e.message, e.hint, e.code);
    throw e;
  }
}
