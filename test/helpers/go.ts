/** How Go's fmt (`%v`, `fmt.Sprint`) writes a float64 holding an integer: shortest digits, exponent form from 10^6 up. */
export function goSpelling(value: number): string {
  if (Math.abs(value) < 1e6) return String(value);
  return value.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
}
