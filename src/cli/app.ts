/**
 * The whole CLI as one effect, minus the runtime: the built-ins, the help
 * page, `@effect/cli`'s parse of the command's own flags, the command, and
 * the exit code. Node's process (signals, flushing, `process.exit`) is
 * `bin.ts`'s, so that a launcher can embed this.
 *
 * @internal
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as CommandDescriptor from "@effect/cli/CommandDescriptor"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as BuiltIns from "./builtIns.js"
import { command, helpParts, SUBCOMMANDS } from "./commands.js"
import { ExitCode, fromError, PREFIX } from "./exitCode.js"
import * as Help from "./help.js"
import { colourOnStdout, render } from "./render.js"
import { version } from "./version.js"

/**
 * What `run` needs: `@effect/cli`'s platform services and a
 * `CommandExecutor` for the backend's client (`NodeContext.layer` provides
 * all of them). The backend's layer is chosen by the flags (`SandboxLayer`).
 *
 * @internal
 */
export type Environment = CommandExecutor.CommandExecutor | CliApp.CliApp.Environment

const cliConfig = Effect.map(Effect.serviceOption(CliConfig.CliConfig), Option.getOrElse(() => CliConfig.defaultConfig))

const printHelp = (name: string | undefined) =>
  Effect.gen(function*() {
    const config = yield* cliConfig
    const doc = Help.page({ version, config, ...helpParts(name, config) })
    yield* Console.log(render(doc, yield* colourOnStdout))
  })

/**
 * Parses the command's own flags with `@effect/cli` and runs the command;
 * `--wizard` and `--completions`, which are `@effect/cli`'s alone, go to its
 * own runner.
 */
const execute = (argv: ReadonlyArray<string>, args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const config = yield* cliConfig
    const directive = yield* CommandDescriptor.parse(command.descriptor, [Help.PROGRAM, ...args], config)
    if (directive._tag === "BuiltIn") {
      return yield* Command.run(command, { name: Help.PROGRAM, version, footer: Help.footer })(argv)
    }
    const [unknown] = directive.leftover
    if (unknown !== undefined) {
      return yield* Effect.fail(ValidationError.invalidArgument(HelpDoc.p(`Received unknown argument: '${unknown}'`)))
    }
    // What `Command.run` does with a parsed value, without its printing of errors: `fromError` prints them all alike.
    return yield* command.transform(command.handler(directive.value), directive.value)
  })

/**
 * Runs the command line `argv` (as `process.argv`: runtime and script first)
 * and returns the exit code. Never fails; interruption is left to the
 * runtime.
 *
 * @internal
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<ExitCode, never, Environment> =>
  Effect.suspend((): Effect.Effect<ExitCode, never, Environment> => {
    // The wizard prompts on stdin and would wait forever on a pipe or /dev/null.
    if (argv.includes("--wizard") && process.stdin.isTTY !== true) {
      return Effect.as(Console.error(`${PREFIX}--wizard needs a terminal on stdin`), ExitCode.Usage)
    }
    const request = BuiltIns.read(argv.slice(2), SUBCOMMANDS)
    switch (request._tag) {
      case "Help":
        return Effect.as(printHelp(request.command), ExitCode.Ok)
      case "Version":
        return Effect.as(Console.log(version), ExitCode.Ok)
      case "Invalid":
        return fromError(ValidationError.invalidValue(HelpDoc.p(request.problem)))
      case "Run": {
        const ran = execute(argv, request.args).pipe(Effect.as(ExitCode.Ok), Effect.catchAll(fromError))
        return request.logLevel === undefined ? ran : Logger.withMinimumLogLevel(ran, request.logLevel)
      }
    }
  }).pipe(
    Effect.catchAllDefect((defect) =>
      Effect.as(Console.error(`${PREFIX}internal error: ${Cause.pretty(Cause.die(defect))}`), ExitCode.NotOk)
    )
  )
