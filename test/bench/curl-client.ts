// curl as Prometheus would scrape: another process. It is started once, before the registry is filled, and runs curl
// for each URL written to it: forking the bench process itself for each GET (hundreds of MB by then) cost it 50–70 ms
// of CPU and wall time that a GET from Prometheus does not.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface CurlClient {
  /** A GET of `url`, body read to the end: curl's own time for it (connect to last byte, ms) and the bytes. */
  get(url: string): Promise<{ ms: number; bytes: number }>;
  close(): void;
}

export function curlClient(): CurlClient {
  const shell = spawn('sh', ['-c', 'while read -r url; do curl -sS -o /dev/null -w "%{time_total} %{size_download}\\n" "$url" || echo fail; done'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: shell.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  return {
    get: (url) => new Promise((resolve, reject) => {
      waiting.push((line) => {
        const [seconds, bytes] = line.split(' ').map(Number);
        if (line === 'fail' || Number.isNaN(seconds)) reject(new Error(`curl ${url} failed`));
        else resolve({ ms: seconds * 1000, bytes });
      });
      shell.stdin.write(`${url}\n`);
    }),
    close: () => shell.stdin.end(),
  };
}
