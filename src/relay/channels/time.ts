/** How every channel shows a time: the receiver's zone, named, so a reader in another zone is not misled. */

const timeFormats = new Map<string, Intl.DateTimeFormat>();

/** `2024-01-01 08:00:00 Asia/Shanghai`; an unknown zone falls back to UTC and says so rather than losing the message. */
export function formatTime(ms: number, timeZone: string): string {
  let format = timeFormats.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      return timeZone === 'UTC' ? new Date(ms).toISOString() : formatTime(ms, 'UTC');
    }
    timeFormats.set(timeZone, format);
  }
  const part = Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second} ${format.resolvedOptions().timeZone}`;
}
