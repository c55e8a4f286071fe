import { allAlerts, type Model } from '../model/types.ts';
import type { Coverage, LevelSynthesis } from './types.ts';
import { severityRank } from '../model/severity-rank.ts';

export type LevelStatus = 'passed' | 'failed' | 'untested';

/** One case's verdict, as far as coverage is concerned. */
export interface CaseOutcome {
  /** How the case is named in reports. */
  name: string;
  covers: readonly Coverage[];
  passed: boolean;
}

export interface LevelReport {
  alert: string;
  level: string;
  group: string;
  /** failed: some case that covers the level failed; passed: at least one covers it and all passed. */
  status: LevelStatus;
  /** Names of the cases that cover the level. */
  cases: string[];
  failed: string[];
  /** Why the synthesizer generated no case for the level. */
  unsupported?: string;
}

export interface CoverageReport {
  levels: LevelReport[];
  /** Levels with at least one case (passed or failed). */
  covered: number;
  /** Levels of enabled alerts. */
  total: number;
  percent: number;
  /** policies.testCoverage, in percent. */
  required: number;
  ok: boolean;
  uncovered: LevelReport[];
}

/**
 * Every level of every enabled alert, with the cases that prove it. Coverage = levels with a case / all levels, in
 * percent; a project without alerts is fully covered. Covers naming levels that do not exist (or a disabled alert)
 * count for nothing.
 */
export function computeCoverage(model: Model, outcomes: readonly CaseOutcome[], syntheses: readonly LevelSynthesis[], required: number): CoverageReport {
  const rank = severityRank(model);
  const key = (alert: string, level: string) => `${alert}\u0000${level}`;
  const levels = new Map<string, LevelReport>();
  const alerts = allAlerts(model)
    .filter((a) => a.enabled)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const alert of alerts) {
    const sorted = rank.sortLevels(alert.levels);
    for (const level of sorted) {
      const k = key(alert.name, level.severity);
      if (!levels.has(k)) levels.set(k, { alert: alert.name, level: level.severity, group: alert.group, status: 'untested', cases: [], failed: [] });
    }
  }
  for (const outcome of outcomes) {
    const seen = new Set<string>();
    for (const c of outcome.covers) {
      const report = levels.get(key(c.alert, c.level));
      if (!report || seen.has(key(c.alert, c.level))) continue;
      seen.add(key(c.alert, c.level));
      report.cases.push(outcome.name);
      if (!outcome.passed) report.failed.push(outcome.name);
    }
  }
  for (const s of syntheses) {
    const report = levels.get(key(s.alert, s.level));
    if (report && 'unsupported' in s && report.unsupported === undefined) report.unsupported = s.unsupported;
  }
  for (const report of levels.values()) report.status = report.failed.length ? 'failed' : report.cases.length ? 'passed' : 'untested';
  const list = [...levels.values()];
  const covered = list.filter((l) => l.status !== 'untested').length;
  const total = list.length;
  const percent = total === 0 ? 100 : (covered / total) * 100;
  return { levels: list, covered, total, percent, required, ok: percent + 1e-9 >= required, uncovered: list.filter((l) => l.status === 'untested') };
}

/** 97.4 rather than 97.43589…; never rounds up to a figure the project did not reach (99.96 → 99.9, not 100). */
export function formatPercent(p: number): string {
  const floored = Math.floor(p * 10 + 1e-9) / 10;
  return Number.isInteger(floored) ? String(floored) : floored.toFixed(1);
}
