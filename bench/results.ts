/**
 * bench/results.json holds the last run of each bench under its own key
 * (`hostOverhead` for `npm run bench`, `e2e` for `npm run bench:e2e`), each
 * with its machine, load average and date, so running one bench keeps the
 * other's figures.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import { quantile, round } from "./stats.js"

const KEYS = ["hostOverhead", "e2e"] as const
export type Key = (typeof KEYS)[number]

/** The machine a run measured, without its load (each bench samples that itself). */
export const machine = () => {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version
  }
}

/**
 * The machine with the load a run saw: the 1-minute load average before and after, and its spread over the
 * samples taken during the run (every `everySeconds`).
 */
export const machineDuringRun = (
  loadBefore: ReadonlyArray<number>,
  loadSamples: ReadonlyArray<number>,
  everySeconds: number
) => ({
  ...machine(),
  loadAverageBefore: loadBefore.map((x) => round(x)),
  loadAverageAfter: os.loadavg().map((x) => round(x)),
  loadAverage1mDuringRun: {
    min: round(Math.min(...loadSamples)),
    median: round(quantile(loadSamples, 0.5)),
    max: round(Math.max(...loadSamples)),
    samples: loadSamples.length,
    everySeconds
  }
})

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x)

/** Writes `record` under `key` in `file`, keeping the other bench's record (a file in another layout is replaced). */
export const write = (file: string, key: Key, record: unknown): void => {
  let previous: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"))
    if (isRecord(parsed)) previous = parsed
  } catch {
    // No file yet, or not JSON: start afresh.
  }
  const kept = Object.fromEntries(
    KEYS.filter((k) => k !== key && previous[k] !== undefined).map((k) => [k, previous[k]])
  )
  fs.writeFileSync(file, `${JSON.stringify({ ...kept, [key]: record }, null, 2)}\n`)
}
