// The instants the prediction log can store: PostgreSQL's timestamptz reads the ISO strings of years 1 to 9999 (it
// has no year 0, and refuses a JavaScript Date's six-digit years such as "+275760-09-13T00:00:00.000Z").
const MIN_MS = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** Why a time cannot be stored, for an `INVALID_INPUT` issue. */
export const TIME_RANGE_MESSAGE = 'Expected a time between the years 1 and 9999';

/** True when `d` is a valid date PostgreSQL's timestamptz can hold. */
export function isStorableTime(d: Date): boolean {
  const ms = d.getTime();
  return ms >= MIN_MS && ms <= MAX_MS;
}
