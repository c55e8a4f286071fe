// A host as node_exporter shows it, for the alerts a real node_exporter here cannot be pushed into (this machine's
// CPU, memory, disks and NICs are not the test's to fill or break). Metric names, types and labels are
// node_exporter's, as metrics/system.yaml lists them; Prometheus gives each host its own instance label.
import { Counter, Gauge, Registry } from 'prom-client';
import { serveSim, ticker, type SimServer } from './ticker.ts';

export interface Filesystem {
  device: string;
  fstype: string;
  sizeBytes: number;
  availBytes: number;
  /** Bytes written (negative: freed) per second. */
  fillBytesPerSecond: number;
}

const GIB = 2 ** 30;

export class NodeSim {
  private readonly registry = new Registry();
  private busy = 0.3;
  private memoryUsed = 0.4;
  private readonly filesystems = new Map<string, Filesystem>();
  private readonly networkErrors = new Map<string, number>();
  private readonly cpu: Counter<'cpu' | 'mode'>;
  private readonly received: Counter<'device'>;
  private readonly receiveErrors: Counter<'device'>;
  private readonly transmitErrors: Counter<'device'>;
  private clock?: { stop(): void };
  server?: SimServer;

  constructor(private readonly cpus = 4, private readonly memoryBytes = 256 * GIB) {
    const r = [this.registry];
    this.cpu = new Counter({ name: 'node_cpu_seconds_total', help: 'Seconds the CPUs spent in each mode.', labelNames: ['cpu', 'mode'], registers: r });
    new Gauge({ name: 'node_memory_MemTotal_bytes', help: 'Memory information field MemTotal_bytes.', registers: r, collect: () => this.gauge('node_memory_MemTotal_bytes').set(this.memoryBytes) });
    new Gauge({ name: 'node_memory_MemAvailable_bytes', help: 'Memory information field MemAvailable_bytes.', registers: r, collect: () => this.gauge('node_memory_MemAvailable_bytes').set(Math.round(this.memoryBytes * (1 - this.memoryUsed))) });
    const fsLabels = ['device', 'mountpoint', 'fstype'] as const;
    new Gauge({ name: 'node_filesystem_size_bytes', help: 'Filesystem size in bytes.', labelNames: fsLabels, registers: r, collect: () => this.eachFs((g, l, f) => g('node_filesystem_size_bytes').set(l, f.sizeBytes)) });
    new Gauge({ name: 'node_filesystem_avail_bytes', help: 'Filesystem space available to non-root users in bytes.', labelNames: fsLabels, registers: r, collect: () => this.eachFs((g, l, f) => g('node_filesystem_avail_bytes').set(l, f.availBytes)) });
    this.received = new Counter({ name: 'node_network_receive_bytes_total', help: 'Network device statistic receive_bytes.', labelNames: ['device'], registers: r });
    this.receiveErrors = new Counter({ name: 'node_network_receive_errs_total', help: 'Network device statistic receive_errs.', labelNames: ['device'], registers: r });
    this.transmitErrors = new Counter({ name: 'node_network_transmit_errs_total', help: 'Network device statistic transmit_errs.', labelNames: ['device'], registers: r });
    this.filesystem('/', { device: '/dev/nvme0n1p2', sizeBytes: 500 * GIB, availBytes: 300 * GIB });
    for (const device of ['lo', 'eth0']) this.nicErrors(device, 0);
  }

  private gauge(name: string): Gauge<string> {
    return this.registry.getSingleMetric(name) as Gauge<string>;
  }

  private eachFs(set: (g: (name: string) => Gauge<string>, labels: Record<string, string>, fs: Filesystem) => void): void {
    for (const [mountpoint, fs] of this.filesystems) set((n) => this.gauge(n), { device: fs.device, mountpoint, fstype: fs.fstype }, fs);
  }

  async start(): Promise<SimServer> {
    this.server = await serveSim(this.registry);
    this.clock = ticker(200, (dt) => this.step(dt));
    return this.server;
  }

  async stop(): Promise<void> {
    this.clock?.stop();
    await this.server?.close();
  }

  /** Share of CPU time not idle, 0–1, on every core. */
  cpuBusy(ratio: number): void {
    this.busy = ratio;
  }

  /** Share of memory not available, 0–1. */
  memory(ratio: number): void {
    this.memoryUsed = ratio;
  }

  filesystem(mountpoint: string, fs: Partial<Filesystem>): void {
    const current = this.filesystems.get(mountpoint) ?? { device: `/dev/${mountpoint.replace(/\W/g, '') || 'root'}`, fstype: 'ext4', sizeBytes: 1000 * GIB, availBytes: 500 * GIB, fillBytesPerSecond: 0 };
    this.filesystems.set(mountpoint, { ...current, ...fs });
  }

  /** Receive and transmit errors per second on a device (half each). */
  nicErrors(device: string, perSecond: number): void {
    this.networkErrors.set(device, perSecond);
  }

  private step(dt: number): void {
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const c = String(cpu);
      this.cpu.inc({ cpu: c, mode: 'idle' }, (1 - this.busy) * dt);
      this.cpu.inc({ cpu: c, mode: 'user' }, this.busy * 0.8 * dt);
      this.cpu.inc({ cpu: c, mode: 'system' }, this.busy * 0.2 * dt);
    }
    for (const fs of this.filesystems.values()) fs.availBytes = Math.min(fs.sizeBytes, Math.max(0, fs.availBytes - fs.fillBytesPerSecond * dt));
    for (const [device, perSecond] of this.networkErrors) {
      this.received.inc({ device }, 50e6 * dt);
      this.receiveErrors.inc({ device }, (perSecond / 2) * dt);
      this.transmitErrors.inc({ device }, (perSecond / 2) * dt);
    }
  }
}
