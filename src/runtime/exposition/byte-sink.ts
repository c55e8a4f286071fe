// Apart from streamed.ts because it is part of the package's public types: the declarations of what `import 'vigil'`
// reaches must not name Node's Buffer, which a user's project without @types/node cannot resolve.

/** Where the pieces go, in order (a response): `written` is called once the bytes are no longer read. */
export interface ByteSink {
  write(bytes: Uint8Array, written: (err?: Error | null) => void): unknown;
}

/**
 * A thread that formats streamed histogram lines (serveMetrics' `formatThreads: 2` makes one), as a scrape is given
 * it: what is inside stays out of the package's declarations.
 */
export interface FormatThread {
  /** Whether it failed or was closed: scrapes then format on the main thread. */
  readonly failed: boolean;
}
