// Apart from streamed.ts because it is part of the package's public types: the declarations of what `import 'vigil'`
// reaches must not name Node's Buffer, which a user's project without @types/node cannot resolve.

/** Where the pieces go, in order (a response): `written` is called once the bytes are no longer read. */
export interface ByteSink {
  write(bytes: Uint8Array, written: (err?: Error | null) => void): unknown;
}
