/** PromQL analyses kept in the cache between runs: the CLI joins the cache and the compiler (neither imports the other). */
import { newAnalysisCaches, type AnalysisCaches } from '../compile.ts';
import type { PromqlAnalysis } from '../promql/index.ts';
import { CacheStore } from '../cache/store.ts';
import type { DefinitionCache } from '../cache/index.ts';

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

  /** An analysis the compile may need: kept in the cache (a compaction keeps it) whether or not it is read this time. */
  override has(key: string): boolean {
    return super.has(key) || this.store.keep(key);
  }

  /** Like has() for each key `keys()` gives, done only when the cache is written (see CacheStore.keepLater). */
  keepLater(keys: () => Iterable<string>): void {
    this.store.keepLater(keys);
  }

  override set(key: string, analysis: PromqlAnalysis): this {
    if (!super.has(key)) this.store.set(key, analysis);
    return super.set(key, analysis);
  }
}

/**
 * Analyses, and per-file results of checks and emitters, through the cache (nothing kept without one). Given only
 * the analyses' store, the per-file results are computed every time.
 */
export function cachedAnalysisCaches(cache: Pick<DefinitionCache, 'promql' | 'results' | 'texts'> | CacheStore<PromqlAnalysis> | undefined): AnalysisCaches {
  const caches = newAnalysisCaches();
  if (!cache) return caches;
  if (cache instanceof CacheStore) return { ...caches, promql: new CachedAnalyses(cache) };
  return { ...caches, promql: new CachedAnalyses(cache.promql), results: cache.results, texts: cache.texts };
}
