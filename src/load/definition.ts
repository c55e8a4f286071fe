import type { Span } from '../diagnostics.ts';

export type Path = readonly (string | number)[];

/** One definition document (a YAML document or a TypeScript default export) and the way back to its text. */
export interface Definition {
  /** Path relative to the definitions directory, with forward slashes. */
  file: string;
  /** Index of the document inside its file (YAML `---` documents, or elements of an exported array). */
  index: number;
  origin: 'yaml' | 'ts';
  value: unknown;
  /** The file that holds the text of the value at `path`, when it is not `file` (an environment's override). */
  fileAt?(path: Path): string;
  /** Span of the value at `path`, or of its nearest ancestor that exists. */
  locate(path: Path): Span;
  /** Span of the key naming the last segment of `path` (falls back to the value). */
  locateKey(path: Path): Span;
  /** Span of characters [start, end) of the string value at `path`, mapped through quoting and block indentation. */
  locateInString(path: Path, start: number, end: number): Span;
}

export interface SourceFile {
  file: string;
  text: string;
  /** A file from outside the definitions directory (`--environment-file`): not one of the build's recorded inputs. */
  outside?: boolean;
}
