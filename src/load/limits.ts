/**
 * The largest inputs Vigil reads. Beyond them a definition is rejected with a located `load/limit` error instead of
 * being parsed: each limit keeps one command under a few seconds and far below Node's stack and memory limits, while
 * leaving room for ten times the largest real project we know (a 64,000-metric catalogue is a 6 MB file).
 */
export const LIMITS = {
  /** Bytes in one definition file. */
  fileBytes: 16 * 1024 * 1024,
  /** Definition files under one definitions directory (symlinks included). */
  files: 20_000,
  /** Folders visited under one definitions directory, each way in through a symbolic link counted. */
  folders: 10_000,
  /** `---` documents in one YAML file. */
  documents: 10_000,
  /** Values in one document, counting each use of a YAML alias (a "billion laughs" file is small but expands). */
  documentValues: 2_000_000,
  /** Levels of nested lists and mappings (real definitions use about ten). */
  depth: 256,
  /** Items in one YAML sequence or keys in one mapping. */
  collectionItems: 100_000,
  /** Bytes of a definition file's path inside the definitions directory. */
  pathBytes: 1024,
  /**
   * A YAML file with a syntax error is re-read by a parser that finds every error with its position but costs ~4 µs
   * a byte; a larger broken file reports the first error only.
   */
  fullSyntaxReportBytes: 1024 * 1024,
  /** Syntax errors reported for one file. */
  syntaxErrorsPerFile: 100,
} as const;
