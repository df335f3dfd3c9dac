/**
 * Decimal number spellings as Go's strconv.ParseFloat and JavaScript's Number() both read them: an
 * optional sign, digits with an optional point, an optional exponent. Not hex, `_` separators,
 * white space, Inf or NaN. Go clients decode ids into float64 and send them back as `fmt` writes
 * them (`2.46969684217984e+14`), so every such spelling of an exact integer must be read as it.
 */
export const DECIMAL_SPELLING = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/**
 * The integer a decimal spelling denotes, computed exactly (never through a rounded double):
 * `undefined` when the spelling is malformed or its value has a fraction, ±Infinity when it is an
 * integer beyond the safe range (±(2^53 − 1)).
 */
export function exactInteger(spelling: string): number | undefined {
  if (!DECIMAL_SPELLING.test(spelling)) return undefined;
  const [, sign, whole = '', fraction = '', exponent = '0'] = /^([+-]?)([0-9]*)\.?([0-9]*)(?:[eE](.+))?$/.exec(spelling)!;
  const digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return 0;
  const significant = digits.replace(/0+$/, '');
  // The value is significant × 10^scale. A huge exponent only loses precision where the result is far out of range anyway.
  const scale = Number(exponent) - fraction.length + (digits.length - significant.length);
  if (scale < 0) return undefined;
  const negative = sign === '-';
  if (significant.length + scale > 16) return negative ? -Infinity : Infinity;
  const magnitude = Number(significant + '0'.repeat(scale));
  if (!Number.isSafeInteger(magnitude)) return negative ? -Infinity : Infinity;
  return negative ? -magnitude : magnitude;
}
