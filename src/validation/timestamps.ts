const PARTS =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2})(?::?(\d{2}))?)?)?$/i;

/**
 * Whether an ISO 8601 date or date-time names a real moment Postgres can store: year 1–9999, a
 * day that exists in its month (JavaScript rolls 2026-02-31 over to March; Postgres refuses it),
 * hours, minutes, seconds and the UTC offset in range. Checked before SQL, so a bad value is the client's 400
 * and never a failed statement.
 */
export function isStorableTimestamp(text: string): boolean {
  const match = PARTS.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = match
    .slice(1)
    .map((part) => Number(part ?? 0));
  if (year! < 1 || year! > 9999 || month! < 1 || month! > 12) return false;
  const daysInMonth = new Date(Date.UTC(year!, month, 0)).getUTCDate();
  // Postgres takes UTC offsets up to ±15:59.
  const offsetOk = offsetHours! <= 15 && offsetMinutes! <= 59;
  return (
    day! >= 1 && day! <= daysInMonth && hour! <= 23 && minute! <= 59 && second! <= 59 && offsetOk
  );
}
