/** A formatter of epoch ms as `mm-dd` (the comments' create_date) in the given IANA time zone. */
export function monthDayFormatter(timeZone: string): (epochMs: number) => string {
  const format = new Intl.DateTimeFormat('en-US', { timeZone, month: '2-digit', day: '2-digit' });
  return (epochMs) => {
    const parts = Object.fromEntries(format.formatToParts(epochMs).map((part) => [part.type, part.value]));
    return `${parts.month}-${parts.day}`;
  };
}
