/** PromQL analyses kept in the cache between runs: the CLI joins the cache and the compiler (neither imports the other). */
import { newAnalysisCaches, type AnalysisCaches } from '../compile.ts';
import type { PromqlAnalysis } from '../promql/index.ts';
import type { CacheStore } from '../cache/store.ts';

/**
 * A compile's map of PromQL analyses that looks in the cache before analysing: an expression analysed in an earlier
 * run (same text, same dialect) is read back instead of parsed again, and a new analysis is kept for the next run.
 */
class CachedAnalyses extends Map<string, PromqlAnalysis> {
  constructor(private readonly store: CacheStore<PromqlAnalysis>) {
    super();
  }

  override get(key: string): PromqlAnalysis | undefined {
    let analysis = super.get(key);
    if (analysis === undefined) {
      analysis = this.store.get(key);
      if (analysis !== undefined) super.set(key, analysis);
    }
    return analysis;
  }

  override set(key: string, analysis: PromqlAnalysis): this {
    if (!super.has(key)) this.store.set(key, analysis);
    return super.set(key, analysis);
  }
}

export function cachedAnalysisCaches(store: CacheStore<PromqlAnalysis> | undefined): AnalysisCaches {
  const caches = newAnalysisCaches();
  return store ? { ...caches, promql: new CachedAnalyses(store) } : caches;
}
