import test from 'ava';
import fc from 'fast-check';
import { exactInteger } from '../models/integer-spelling.js';
import { actionType, id, limit, timestamp } from '../server/http/schemas.js';
import { goSpelling } from './helpers/go.js';

/** The integer a mantissa and exponent denote, by BigInt arithmetic: an oracle independent of exactInteger. */
function oracle(whole: string, fraction: string, exponent: number): number | undefined {
  const mantissa = BigInt(whole + fraction || '0');
  const shift = exponent - fraction.length;
  const numerator = shift >= 0 ? mantissa * 10n ** BigInt(shift) : mantissa;
  const denominator = shift >= 0 ? 1n : 10n ** BigInt(-shift);
  if (numerator % denominator !== 0n) return undefined;
  const value = numerator / denominator;
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(value);
}

const examples: Array<[string, number]> = [
  ['246969684217984', 246969684217984],
  ['246969684217984.0', 246969684217984],
  ['2.46969684217984e+14', 246969684217984],
  ['2.46969684217984E14', 246969684217984],
  ['1e+06', 1_000_000],
  ['9.007199254740991e+15', Number.MAX_SAFE_INTEGER],
  ['12.50e1', 125],
  ['0.7e1', 7],
  ['7.', 7],
  ['007', 7],
  ['+7', 7],
  ['-7', -7],
  ['-0', 0],
  ['0e999999999999999999999', 0],
];
for (const [spelling, value] of examples) {
  test(`${spelling} denotes ${value}`, (t) => t.is(exactInteger(spelling), value));
}

const notIntegers = ['1.5', '1e-1', '.5', '9.0071992547409915e+15', 'NaN', 'Infinity', '0x10', '0b1', '1_000', ' 12', '12 ', '', '.', 'e5', '1e', '1e+', '1..0', '--1', '１２３', '1e-999999999999999999999'];
for (const spelling of notIntegers) {
  test(`${JSON.stringify(spelling)} is not an integer`, (t) => t.is(exactInteger(spelling), undefined));
}

for (const spelling of ['1e400', '9007199254740992', '9.007199254740992e15', '1e999999999999999999999', '-1e16']) {
  test(`${spelling} is an integer beyond the safe range`, (t) => t.is(Math.abs(exactInteger(spelling)!), Infinity));
}

test('every safe integer reads back from how Go and JavaScript write it', (t) => {
  fc.assert(fc.property(fc.maxSafeInteger(), (value) => {
    for (const spelling of [String(value), value.toExponential(), goSpelling(value), `${value}.0`, value.toExponential().toUpperCase()]) {
      if (exactInteger(spelling) !== value) return false;
    }
    return true;
  }));
  t.pass();
});

test('an integer spelt with any padding, point position and exponent reads back as itself', (t) => {
  const spelt = fc.record({
    value: fc.maxSafeNat(),
    leading: fc.nat(5),
    trailing: fc.nat(5),
    point: fc.nat(30),
    exponentPadding: fc.nat(3),
    upper: fc.boolean(),
  });
  fc.assert(fc.property(spelt, ({ value, leading, trailing, point, exponentPadding, upper }) => {
    const digits = '0'.repeat(leading) + String(value) + '0'.repeat(trailing);
    const at = point % (digits.length + 1);
    const exponent = digits.length - at - trailing;
    const spelling = `${digits.slice(0, at)}.${digits.slice(at)}${upper ? 'E' : 'e'}${exponent < 0 ? '-' : '+'}${'0'.repeat(exponentPadding)}${Math.abs(exponent)}`;
    return exactInteger(spelling) === value;
  }));
  t.pass();
});

test('any decimal spelling reads as the exact integer it denotes, or as no integer', (t) => {
  const digitString = (maxLength: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength });
  const parts = fc.record({ whole: digitString(20), fraction: digitString(20), exponent: fc.integer({ min: -40, max: 40 }) })
    .filter(({ whole, fraction }) => whole.length + fraction.length > 0);
  fc.assert(fc.property(parts, ({ whole, fraction, exponent }) => exactInteger(`${whole}.${fraction}e${exponent}`) === oracle(whole, fraction, exponent)));
  t.pass();
});

test('an integer plus a fraction too small for a double to hold is still no integer', (t) => {
  fc.assert(fc.property(fc.maxSafeNat(), fc.nat(30), (value, zeros) => exactInteger(`${value}.${'0'.repeat(zeros)}1`) === undefined));
  t.pass();
});

test('REST parameters accept any spelling of an in-range integer and keep their messages otherwise', (t) => {
  t.is(id.parse('2.46969684217984e+14'), 246969684217984);
  t.is(actionType.parse('1.0'), 1);
  t.is(actionType.parse('2e0'), 2);
  t.is(limit(100).parse('1e2'), 100);
  t.deepEqual(timestamp.parse('1.7e12'), { before: 1.7e12, after: 1.7e12 });
  t.is(timestamp.parse('0.0'), undefined);
  const message = (schema: { safeParse(value: string): { error?: { issues: Array<{ message: string }> } } }, value: string) =>
    schema.safeParse(value).error?.issues[0]?.message;
  t.is(message(id, '1.5'), 'must be a positive integer');
  t.is(message(id, '0e5'), 'must be a positive integer');
  t.is(message(id, '1e400'), 'is too large');
  t.is(message(actionType, '3e0'), 'must be 1 or 2');
  t.is(message(limit(100), '1.01e2'), 'must be an integer from 1 to 100');
  t.is(message(timestamp, '-1e3'), 'must be a timestamp in seconds or milliseconds');
});
