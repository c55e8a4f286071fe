/**
 * environment.json of an environment's build: where its services are and which secrets they need, as references.
 * Deploy and plan read it instead of compiling the definitions again, so what runs is exactly what was built and
 * reviewed. Secrets appear only as references (an environment variable's name or a file's path), never as values.
 */
export interface SecretReference {
  env?: string;
  file?: string;
}

export interface PrometheusTarget {
  name: string;
  url: string;
  /** Where the deploy writes the rule files. */
  rulesDir: string;
  /** The same directory as the server sees it (rule_files); rulesDir unless a mount puts it elsewhere. */
  serverRulesDir: string;
  configFile?: string;
  reloadUrl: string;
}

export interface AlertmanagerPeer {
  url: string;
  /** Undefined when the environment does not say where the peer reads its config: plan only, no deploy. */
  configFile?: string;
  reloadUrl: string;
  /** Where the deploy writes this peer's secret files: secretsDir, else secrets/ beside configFile. */
  secretsDir?: string;
}

export interface DeployEnvironment {
  name: string;
  prometheus: PrometheusTarget[];
  alertmanager: AlertmanagerPeer[];
  /** The secrets directory as the Alertmanager servers see it (named in alertmanager.yml); undefined when peers differ. */
  alertmanagerServerSecretsDir?: string;
  /** `folder`: the Environment's, else the Project's. */
  grafana?: { url: string; token?: SecretReference; folder?: string };
  influxdb?: { url: string; database: string; retention?: string; username?: string; password?: SecretReference };
  /** The notification relay: where it answers, where deploy writes its part of the build, its tokens to read and reload. */
  relay?: { url: string; buildDir?: string; readToken?: SecretReference; operateToken?: SecretReference };
}

/** The text of environment.json: keys in a fixed order, absent fields left out, so the file is byte-stable. */
export function environmentJson(env: DeployEnvironment): string {
  const ref = (r: SecretReference | undefined) => r && (r.env !== undefined ? { env: r.env } : { file: r.file });
  const doc = {
    generator: 'vigil',
    environment: env.name,
    prometheus: env.prometheus.map((p) => ({ name: p.name, url: p.url, rulesDir: p.rulesDir, serverRulesDir: p.serverRulesDir, configFile: p.configFile, reloadUrl: p.reloadUrl })),
    alertmanager: env.alertmanager.map((p) => ({ url: p.url, configFile: p.configFile, reloadUrl: p.reloadUrl, secretsDir: p.secretsDir })),
    alertmanagerServerSecretsDir: env.alertmanagerServerSecretsDir,
    grafana: env.grafana && { url: env.grafana.url, token: ref(env.grafana.token), folder: env.grafana.folder },
    influxdb: env.influxdb && {
      url: env.influxdb.url,
      database: env.influxdb.database,
      retention: env.influxdb.retention,
      username: env.influxdb.username,
      password: ref(env.influxdb.password),
    },
    relay: env.relay && { url: env.relay.url, buildDir: env.relay.buildDir, readToken: ref(env.relay.readToken), operateToken: ref(env.relay.operateToken) },
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/**
 * Reads environment.json back; throws an Error naming the first field that is not what Vigil writes (a file edited
 * by hand or from another tool is refused, never half-used).
 */
export function parseEnvironmentJson(text: string): DeployEnvironment {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON (${(e as Error).message})`);
  }
  const root = record(doc, '(the document)');
  if (root.generator !== 'vigil') throw new Error('not written by Vigil (no "generator": "vigil")');
  const prometheus = list(root.prometheus, 'prometheus').map((p, i) => {
    const at = `prometheus[${i}]`;
    const r = record(p, at);
    return {
      name: text_(r.name, `${at}.name`),
      url: url(r.url, `${at}.url`),
      rulesDir: filePath(r.rulesDir, `${at}.rulesDir`),
      serverRulesDir: filePath(r.serverRulesDir, `${at}.serverRulesDir`),
      ...optional('configFile', r.configFile, (v) => filePath(v, `${at}.configFile`)),
      reloadUrl: url(r.reloadUrl, `${at}.reloadUrl`),
    };
  });
  if (prometheus.length === 0) throw new Error('prometheus: lists no server');
  const alertmanager = list(root.alertmanager, 'alertmanager').map((p, i) => {
    const at = `alertmanager[${i}]`;
    const r = record(p, at);
    return {
      url: url(r.url, `${at}.url`),
      ...optional('configFile', r.configFile, (v) => filePath(v, `${at}.configFile`)),
      reloadUrl: url(r.reloadUrl, `${at}.reloadUrl`),
      ...optional('secretsDir', r.secretsDir, (v) => filePath(v, `${at}.secretsDir`)),
    };
  });
  const grafana = root.grafana === undefined ? undefined : record(root.grafana, 'grafana');
  const relay = root.relay === undefined ? undefined : record(root.relay, 'relay');
  const influx = root.influxdb === undefined ? undefined : record(root.influxdb, 'influxdb');
  return {
    name: text_(root.environment, 'environment'),
    prometheus,
    alertmanager,
    ...optional('alertmanagerServerSecretsDir', root.alertmanagerServerSecretsDir, (v) => filePath(v, 'alertmanagerServerSecretsDir')),
    ...(grafana && {
      grafana: {
        url: url(grafana.url, 'grafana.url'),
        ...optional('token', grafana.token, (v) => secretReference(v, 'grafana.token')),
        ...optional('folder', grafana.folder, (v) => text_(v, 'grafana.folder')),
      },
    }),
    ...(influx && {
      influxdb: {
        url: url(influx.url, 'influxdb.url'),
        database: text_(influx.database, 'influxdb.database'),
        ...optional('retention', influx.retention, (v) => text_(v, 'influxdb.retention')),
        ...optional('username', influx.username, (v) => text_(v, 'influxdb.username')),
        ...optional('password', influx.password, (v) => secretReference(v, 'influxdb.password')),
      },
    }),
    ...(relay && {
      relay: {
        url: url(relay.url, 'relay.url'),
        ...optional('buildDir', relay.buildDir, (v) => filePath(v, 'relay.buildDir')),
        ...optional('readToken', relay.readToken, (v) => secretReference(v, 'relay.readToken')),
        ...optional('operateToken', relay.operateToken, (v) => secretReference(v, 'relay.operateToken')),
      },
    }),
  };
}

function record(v: unknown, at: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${at}: must be an object`);
  return v as Record<string, unknown>;
}

function list(v: unknown, at: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${at}: must be a list`);
  return v;
}

function text_(v: unknown, at: string): string {
  if (typeof v !== 'string' || v === '' || /[\u0000-\u001f\u007f]/.test(v)) throw new Error(`${at}: must be a non-empty one-line string`);
  return v;
}

function url(v: unknown, at: string): string {
  const s = text_(v, at);
  let parsed: URL;
  try {
    parsed = new URL(s);
  } catch {
    throw new Error(`${at}: ${JSON.stringify(s)} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${at}: must be an http or https URL`);
  return s;
}

/** A directory or file as the Environment gave it (relative ones are relative to where deploy runs, as written). */
function filePath(v: unknown, at: string): string {
  return text_(v, at);
}

function absolutePath(v: unknown, at: string): string {
  const s = text_(v, at);
  if (!s.startsWith('/')) throw new Error(`${at}: must be an absolute path`);
  return s;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function secretReference(v: unknown, at: string): SecretReference {
  const r = record(v, at);
  const keys = Object.keys(r);
  if (keys.length === 1 && typeof r.env === 'string' && ENV_NAME.test(r.env)) return { env: r.env };
  if (keys.length === 1 && r.file !== undefined) return { file: absolutePath(r.file, `${at}.file`) };
  throw new Error(`${at}: must be a secret reference, { env: NAME } or { file: /absolute/path }`);
}

/** `{ [key]: read(v) }` when v is given, `{}` when it is absent. */
function optional<K extends string, T>(key: K, v: unknown, read: (v: unknown) => T): { [P in K]?: T } {
  return (v === undefined ? {} : { [key]: read(v) }) as { [P in K]?: T };
}
