/**
 * Statistics shared by the benches: quantiles by linear interpolation, and
 * one summary shape (median, p10, p90, mean, sample count).
 */

export const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return (s[lo] ?? 0) + ((s[hi] ?? 0) - (s[lo] ?? 0)) * (pos - lo)
}

export const median = (xs: ReadonlyArray<number>): number => quantile(xs, 0.5)

export const mean = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0) / xs.length

export const round = (x: number, digits = 2): number => Number(x.toFixed(digits))

export interface Summary {
  readonly medianMs: number
  readonly p10Ms: number
  readonly p90Ms: number
  readonly meanMs: number
  readonly samples: number
}

export const summary = (xs: ReadonlyArray<number>): Summary => ({
  medianMs: round(median(xs)),
  p10Ms: round(quantile(xs, 0.1)),
  p90Ms: round(quantile(xs, 0.9)),
  meanMs: round(mean(xs)),
  samples: xs.length
})

/** `12.3 ms (10.1–15.2)`, or in seconds above 10 s. */
export const fmt = (x: Summary): string =>
  x.medianMs >= 10_000
    ? `${round(x.medianMs / 1000, 2)} s (${round(x.p10Ms / 1000, 2)}–${round(x.p90Ms / 1000, 2)})`
    : x.medianMs >= 100
    ? `${round(x.medianMs, 0)} ms (${round(x.p10Ms, 0)}–${round(x.p90Ms, 0)})`
    : `${x.medianMs} ms (${x.p10Ms}–${x.p90Ms})`
