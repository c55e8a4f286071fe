import { parseDuration } from '../util/duration.ts';
import { DeployError } from './errors.ts';
import { expectStatus, request } from './http.ts';
import type { Change, Target, TargetPlan } from './target.ts';

/** The retention policy Vigil creates and keeps as the database's default (the seed's automatic clean-up of history). */
const RETENTION_POLICY = 'vigil';

export interface DesiredInflux {
  url: string;
  database: string;
  retention?: string;
  username?: string;
  password?: string;
}

interface Policy {
  name: string;
  durationMs: number;
  isDefault: boolean;
}

/** InfluxDB 1.x, the history store behind Prometheus' remote_write: the database and its retention policy. */
export class InfluxAdapter implements Target {
  readonly name = 'influxdb';
  private hasDatabase = false;
  private before: Policy | undefined;
  private previousDefault: string | undefined;
  private applied = false;

  constructor(private readonly desired: DesiredInflux) {}

  private async query(q: string, method: 'GET' | 'POST' = 'GET'): Promise<{ series?: { columns: string[]; values?: unknown[][] }[]; error?: string }> {
    const params = new URLSearchParams({ q });
    if (this.desired.username) params.set('u', this.desired.username);
    if (this.desired.password) params.set('p', this.desired.password);
    const r = method === 'GET'
      ? await request('influxdb', `${this.desired.url}/query?${params}`)
      : await request('influxdb', `${this.desired.url}/query`, { method: 'POST', body: params.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    if (r.status === 401) throw new DeployError('influxdb rejected the credentials (HTTP 401)', 'check username and password in the Environment', 'deploy/auth');
    expectStatus('influxdb', `running "${q}"`, r);
    const result = r.json<{ results: { series?: { columns: string[]; values?: unknown[][] }[]; error?: string }[] }>().results[0] ?? {};
    if (result.error) throw new DeployError(`influxdb: "${q}" failed: ${result.error}`, 'check that the InfluxDB user may manage databases and retention policies (an admin user when authentication is on)', 'deploy/influxdb');
    return result;
  }

  private async policies(): Promise<Policy[]> {
    const result = await this.query(`SHOW RETENTION POLICIES ON ${ident(this.desired.database)}`);
    const series = result.series?.[0];
    if (!series) return [];
    const col = (name: string) => series.columns.indexOf(name);
    return (series.values ?? []).map((v) => ({ name: String(v[col('name')]), durationMs: influxDurationMs(String(v[col('duration')])), isDefault: v[col('default')] === true }));
  }

  async plan(): Promise<TargetPlan> {
    const changes: Change[] = [];
    const dbs = await this.query('SHOW DATABASES');
    this.hasDatabase = (dbs.series?.[0]?.values ?? []).some((v) => v[0] === this.desired.database);
    if (!this.hasDatabase) changes.push({ kind: 'add', object: `database ${this.desired.database}` });
    this.before = undefined;
    this.previousDefault = undefined;
    if (this.desired.retention) {
      const list = this.hasDatabase ? await this.policies() : [];
      this.before = list.find((p) => p.name === RETENTION_POLICY);
      this.previousDefault = list.find((p) => p.isDefault)?.name;
      const wantMs = parseDuration(this.desired.retention);
      if (!this.before) changes.push({ kind: 'add', object: `retention policy ${RETENTION_POLICY}`, detail: `${this.desired.retention}, default` });
      else if (this.before.durationMs !== wantMs || !this.before.isDefault) changes.push({ kind: 'change', object: `retention policy ${RETENTION_POLICY}`, detail: `${this.desired.retention}, default` });
    }
    return { target: this.name, changes, notes: [] };
  }

  async apply(): Promise<void> {
    this.applied = true;
    if (!this.hasDatabase) await this.query(`CREATE DATABASE ${ident(this.desired.database)}`, 'POST');
    if (!this.desired.retention) return;
    const verb = this.before ? 'ALTER' : 'CREATE';
    const replication = this.before ? '' : ' REPLICATION 1';
    await this.query(`${verb} RETENTION POLICY ${ident(RETENTION_POLICY)} ON ${ident(this.desired.database)} DURATION ${influxDuration(this.desired.retention)}${replication} DEFAULT`, 'POST');
  }

  async verify(): Promise<void> {
    if (!this.desired.retention) {
      const dbs = await this.query('SHOW DATABASES');
      if (!(dbs.series?.[0]?.values ?? []).some((v) => v[0] === this.desired.database)) throw new DeployError(`influxdb has no database ${this.desired.database} after creating it`, 'check the InfluxDB log; the user may lack the right to create databases', 'deploy/verify');
      return;
    }
    const p = (await this.policies()).find((x) => x.name === RETENTION_POLICY);
    if (!p || !p.isDefault || p.durationMs !== parseDuration(this.desired.retention)) {
      throw new DeployError(`influxdb: retention policy ${RETENTION_POLICY} on ${this.desired.database} is not the default with duration ${this.desired.retention}`, 'another tool may manage retention policies on this database; let one of them own it', 'deploy/verify');
    }
  }

  /** History is never deleted on rollback: a created database stays; a changed policy gets its old duration back. */
  async rollback(): Promise<string[]> {
    if (!this.applied || !this.desired.retention) return [];
    try {
      if (this.before) {
        await this.query(`ALTER RETENTION POLICY ${ident(RETENTION_POLICY)} ON ${ident(this.desired.database)} DURATION ${this.before.durationMs === 0 ? 'INF' : `${this.before.durationMs / 1000}s`}${this.before.isDefault ? ' DEFAULT' : ''}`, 'POST');
      }
      if (this.previousDefault && this.previousDefault !== RETENTION_POLICY) {
        await this.query(`ALTER RETENTION POLICY ${ident(this.previousDefault)} ON ${ident(this.desired.database)} DEFAULT`, 'POST');
      }
      return [];
    } catch (e) {
      return [`influxdb retention policy: ${(e as Error).message}`];
    }
  }
}

const ident = (name: string) => `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** InfluxQL durations have no y; w and d are fine. */
function influxDuration(prometheusDuration: string): string {
  const ms = parseDuration(prometheusDuration);
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : `${Math.round(ms / 1000)}s`;
}

/** InfluxDB shows durations as Go durations ("2160h0m0s"); "0s" means infinite. */
function influxDurationMs(text: string): number {
  return text === '0s' || text === '0' ? 0 : parseDuration(text.replace(/(\d+)\.\d+s/, '$1s'));
}
