/** How every channel shows a time: the receiver's zone, named, so a reader in another zone is not misled. */

const timeFormats = new Map<string, { format: Intl.DateTimeFormat; zoneName: string }>();

/**
 * Formatted times by zone and instant. formatToParts is the costliest step of a message (the build renders every
 * template against sample notices that share a few instants); the map is emptied when full, so a long-running relay
 * keeps only recent ones.
 */
const formatted = new Map<string, string>();
const FORMATTED_KEPT = 1000;

/** `2024-01-01 08:00:00 Asia/Shanghai`; an unknown zone falls back to UTC and says so rather than losing the message. */
export function formatTime(ms: number, timeZone: string): string {
  const key = `${timeZone}\u0000${ms}`;
  const known = formatted.get(key);
  if (known !== undefined) return known;
  // UTC (the zone of a project that names none) needs no time zone data: the ISO form has the same fields, and
  // creating the first DateTimeFormat (ICU's data) costs more than a whole build's formatting.
  if (timeZone === 'UTC' && ms >= FOUR_DIGIT_YEARS.from && ms < FOUR_DIGIT_YEARS.to) return remember(key, new Date(ms).toISOString().replace(/^(.{10})T(.{8}).*$/, '$1 $2 UTC'));
  let zone = timeFormats.get(timeZone);
  if (!zone) {
    try {
      const format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      });
      zone = { format, zoneName: format.resolvedOptions().timeZone };
    } catch {
      return timeZone === 'UTC' ? new Date(ms).toISOString() : formatTime(ms, 'UTC');
    }
    timeFormats.set(timeZone, zone);
  }
  const part = Object.fromEntries(zone.format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return remember(key, `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second} ${zone.zoneName}`);
}

/** Instants whose ISO form has a plain four-digit year, as DateTimeFormat writes it. */
const FOUR_DIGIT_YEARS = { from: Date.UTC(1000, 0, 1), to: Date.UTC(10000, 0, 1) };

function remember(key: string, text: string): string {
  if (formatted.size >= FORMATTED_KEPT) formatted.clear();
  formatted.set(key, text);
  return text;
}
