/** Arrival rates from `start`, each about `factor` times the one before (whole numbers, each larger), `count` of them. */
export function ladder(start: number, factor: number, count: number): number[] {
  const rates: number[] = [];
  for (let rate = start; rates.length < count; rate *= factor) {
    const rounded = Math.max(Math.round(rate), (rates.at(-1) ?? 0) + 1);
    rates.push(rounded);
    rate = rounded;
  }
  return rates;
}
