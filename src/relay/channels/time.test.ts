import { describe, expect, it } from 'vitest';
import { formatTime } from './time.ts';

const NEW_YEAR_UTC = Date.UTC(2024, 0, 1, 0, 0, 5);

describe('formatTime', () => {
  it('shows the time in the given zone and names the zone', () => {
    expect(formatTime(NEW_YEAR_UTC, 'Asia/Shanghai')).toBe('2024-01-01 08:00:05 Asia/Shanghai');
    expect(formatTime(NEW_YEAR_UTC, 'America/New_York')).toBe('2023-12-31 19:00:05 America/New_York');
  });

  it('uses a 24-hour clock (midnight is 00, not 24)', () => {
    expect(formatTime(Date.UTC(2024, 0, 1, 16, 0, 0), 'Asia/Shanghai')).toBe('2024-01-02 00:00:00 Asia/Shanghai');
  });

  it('falls back to UTC, named, for a zone that does not exist', () => {
    expect(formatTime(NEW_YEAR_UTC, 'Mars/Olympus_Mons')).toBe('2024-01-01 00:00:05 UTC');
  });

  it('gives the same text for an instant formatted again, in each zone, also after many other instants', () => {
    const first = formatTime(NEW_YEAR_UTC, 'Asia/Shanghai');
    expect(formatTime(NEW_YEAR_UTC, 'Asia/Shanghai')).toBe(first);
    expect(formatTime(NEW_YEAR_UTC, 'UTC')).toBe('2024-01-01 00:00:05 UTC');
    for (let s = 0; s < 2500; s++) expect(formatTime(NEW_YEAR_UTC + s * 1000, 'Asia/Shanghai')).toBe(`2024-01-01 08:${String(Math.floor((5 + s) / 60) % 60).padStart(2, '0')}:${String((5 + s) % 60).padStart(2, '0')} Asia/Shanghai`);
    expect(formatTime(NEW_YEAR_UTC, 'Asia/Shanghai')).toBe(first);
  });

  it('writes UTC as DateTimeFormat does, without it, over instants from year 1000 to 9999 and around them', () => {
    const intl = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    const viaIntl = (ms: number) => {
      const part = Object.fromEntries(intl.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
      return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second} UTC`;
    };
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    const instants = [Date.UTC(1000, 0, 1), Date.UTC(1000, 0, 1) - 1, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), Date.UTC(2024, 1, 29, 12, 0, 0, 999), 0, -1];
    for (let i = 0; i < 2000; i++) instants.push(Math.floor(Date.UTC(900, 0, 1) + next() * (Date.UTC(10100, 0, 1) - Date.UTC(900, 0, 1))));
    for (const ms of instants) expect(formatTime(ms, 'UTC'), String(ms)).toBe(viaIntl(ms));
  });
});
