/** A place in a generated YAML document. */
export type DocumentPath = (string | number)[];

/** A secret that deploy puts into or beside a generated file: one entry of secrets.json (names and places, never values). */
export interface SecretUse {
  /** The generated file (path under the tree), for `as: placeholder`. */
  artifact?: string;
  /** Where in that YAML document: deploy fills exactly this node, never text that merely looks like a placeholder. */
  at?: DocumentPath;
  /** The environment variable named by an `{ env: NAME }` reference. */
  env?: string;
  /** The file named by a `{ file: /path }` reference. */
  file?: string;
  /** The receiver using it; absent for global settings. */
  receiver?: string;
  /** The service's field, e.g. `global.smtp_auth_password_file` or `wechat_configs.api_secret`. */
  field: string;
  /**
   * `file`: the field names a file. For an env reference deploy writes the variable's value to `path` (mode 0600);
   * for a file reference the file must exist at `path` where the service runs.
   * `placeholder`: the service has no `*_file` variant of the field; the generated file holds a placeholder at `at`
   * and deploy puts the secret there.
   */
  as: 'file' | 'placeholder';
  path?: string;
  placeholder?: string;
}
