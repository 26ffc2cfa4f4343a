/**
 * Watching the host's command lines while something runs: a sampler process
 * (`test/fixtures/argv-sampler.mjs`) scans `/proc/<pid>/cmdline` every few
 * milliseconds and reports every host command line that held a secret, how
 * many guest processes (in a nested pid namespace: a container's) held it, and
 * the client command lines of interest. The secret reaches the sampler through
 * its environment, never a command line.
 *
 * A sample is only worth something if the sampler would have seen a secret:
 * {@link hostControl} puts the secret on a short-lived host command line, which
 * the sample must then report, and nothing else.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

/** Absolute path of the sampler. */
export const SAMPLER: string = fileURLToPath(new URL("../fixtures/argv-sampler.mjs", import.meta.url))

/** The sampler could not start or did not report. */
export class SamplerError extends Data.TaggedError("SamplerError")<{ readonly message: string }> {}

/** What the sampler saw. */
export interface ArgvSample {
  readonly scans: number
  /** Host command lines (this pid namespace) that held the secret, arguments joined with spaces. */
  readonly hostHits: ReadonlyArray<string>
  /** How many processes of nested pid namespaces (containers) held the secret on their command line. */
  readonly guestHits: number
  /** Host command lines that held the `client` substring. */
  readonly clientLines: ReadonlyArray<string>
}

/** How to sample. */
export interface SampleOptions {
  /** The secret to look for. */
  readonly needle: string
  /** A substring that marks the client command lines to report (a container or machine name). */
  readonly client: string
  /** Milliseconds between scans; 3 by default. */
  readonly intervalMs?: number
}

const isSample = (value: unknown): value is ArgvSample =>
  typeof value === "object" && value !== null && "scans" in value && typeof value.scans === "number" &&
  "hostHits" in value && Array.isArray(value.hostHits) && value.hostHits.every((l: unknown) => typeof l === "string") &&
  "guestHits" in value && typeof value.guestHits === "number" &&
  "clientLines" in value && Array.isArray(value.clientLines) &&
  value.clientLines.every((l: unknown) => typeof l === "string")

interface Running {
  readonly stop: () => Promise<ArgvSample>
  readonly kill: () => void
}

const startSampler = (options: SampleOptions): Promise<Running> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SAMPLER], {
      env: {
        ...process.env,
        SAMPLER_NEEDLE: options.needle,
        SAMPLER_CLIENT: options.client,
        SAMPLER_INTERVAL: String(options.intervalMs ?? 3)
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    let ready = false
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.once("close", (code, signal) => done({ code, signal }))
    )
    const startTimer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`argv-sampler did not get ready within 20 s; stderr: ${stderr}`))
    }, 20_000)
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8")
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
      if (!ready && stderr.includes("argv-sampler: ready\n")) {
        ready = true
        clearTimeout(startTimer)
        resolve({
          kill: () => child.kill("SIGKILL"),
          stop: async () => {
            child.kill("SIGTERM")
            const stopTimer = setTimeout(() => child.kill("SIGKILL"), 10_000)
            const { code, signal } = await ended
            clearTimeout(stopTimer)
            const parsed: unknown = (() => {
              try {
                return JSON.parse(stdout)
              } catch {
                return undefined
              }
            })()
            if (code !== 0 || !isSample(parsed)) {
              throw new Error(
                `argv-sampler ended with exit code ${String(code)}, signal ${String(signal)}; ` +
                  `stdout: ${JSON.stringify(stdout.slice(0, 2000))}; stderr: ${JSON.stringify(stderr.slice(0, 2000))}`
              )
            }
            return parsed
          }
        })
      }
    })
    child.once("error", (error) => {
      clearTimeout(startTimer)
      reject(error)
    })
    void ended.then(({ code, signal }) => {
      if (!ready) {
        clearTimeout(startTimer)
        reject(
          new Error(
            `argv-sampler exited before it was ready: exit code ${String(code)}, signal ${
              String(signal)
            }; stderr: ${stderr}`
          )
        )
      }
    })
  })

const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * Runs `self` while the sampler watches the host's command lines, and returns
 * its result with what the sampler saw. The sampler is killed if `self` fails
 * or is interrupted.
 */
export const sampleHostArgv = <A, E, R>(
  options: SampleOptions,
  self: Effect.Effect<A, E, R>
): Effect.Effect<readonly [A, ArgvSample], E | SamplerError, R> =>
  Effect.acquireUseRelease(
    Effect.tryPromise({
      try: () => startSampler(options),
      catch: (error) => new SamplerError({ message: describeError(error) })
    }),
    (sampler) =>
      Effect.flatMap(self, (result) =>
        Effect.map(
          Effect.tryPromise({
            try: () => sampler.stop(),
            catch: (error) => new SamplerError({ message: describeError(error) })
          }),
          (sample) => [result, sample] as const
        )),
    (sampler) => Effect.sync(() => sampler.kill())
  )

/** The command line {@link hostControl} runs, as the sampler reports it. */
export const controlLine = (needle: string): string => `sh -c sleep 0.4 argv-sampler-control ${needle}`

/**
 * Puts `needle` on a host command line for 0.4 s (`sh -c 'sleep 0.4'
 * argv-sampler-control NEEDLE`) and waits for it to end: a sample taken
 * meanwhile must report it as {@link controlLine}, which shows the sampler
 * would have seen the secret anywhere else too.
 */
export const hostControl = (needle: string): Effect.Effect<void, SamplerError> =>
  Effect.async<void, SamplerError>((resume) => {
    const child = spawn("sh", ["-c", "sleep 0.4", "argv-sampler-control", needle], { stdio: "ignore" })
    child.once("error", (error) => resume(Effect.fail(new SamplerError({ message: describeError(error) }))))
    child.once("close", (code, signal) =>
      resume(
        code === 0
          ? Effect.void
          : Effect.fail(
            new SamplerError({ message: `control exited with code ${String(code)}, signal ${String(signal)}` })
          )
      ))
    return Effect.sync(() => child.kill("SIGKILL"))
  })
