/**
 * `--help`: the page for the program or one command, rendered here rather
 * than by `@effect/cli`'s built-in, which colours even a pipe, names the
 * command without the program in its usage line, and puts each option's type
 * placeholder ("A user-defined piece of text.") before its own description.
 *
 * @internal
 */
import type * as CliConfig from "@effect/cli/CliConfig"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Usage from "@effect/cli/Usage"
import * as Arr from "effect/Array"
import * as Option from "effect/Option"
import { MEANINGS } from "./exitCode.js"

/** The program's name, as the bin is installed and as every message starts. @internal */
export const PROGRAM = "bottle-supervise"

/**
 * The help footer: exit codes and the environment the CLI reads. Public as
 * `Cli.footer`.
 *
 * @internal
 */
export const footer: HelpDoc.HelpDoc = HelpDoc.blocks([
  HelpDoc.h1("EXIT CODES"),
  HelpDoc.descriptionList(
    Arr.map(MEANINGS, ([code, meaning]): [Span.Span, HelpDoc.HelpDoc] => [Span.text(String(code)), HelpDoc.p(meaning)])
  ),
  HelpDoc.h1("ENVIRONMENT"),
  HelpDoc.descriptionList([
    [Span.text("SMOLVM_BIN"), HelpDoc.p("the smolvm executable, for --machine (default: smolvm, found on PATH)")],
    [Span.text("DOCKER_BIN"), HelpDoc.p("the docker executable, for --docker (default: docker, found on PATH)")],
    [Span.text("the --token-env variable"), HelpDoc.p("the sidecar's bearer token; read, never printed")],
    [
      Span.text("NO_COLOR"),
      HelpDoc.p("when set and not empty, --help has no colour (it has none off a terminal either)")
    ]
  ])
])

/**
 * The primitive's own line `@effect/cli` puts first under every option: it
 * says what type the value has, which the option's own description already
 * says better.
 */
const TYPE_PLACEHOLDERS: ReadonlySet<string> = new Set(["A user-defined piece of text.", "A true or false value."])

const spanText = (span: Span.Span): string => {
  switch (span._tag) {
    case "Text":
    case "URI":
      return span.value
    case "Highlight":
    case "Strong":
    case "Weak":
      return spanText(span.value)
    case "Sequence":
      return spanText(span.left) + spanText(span.right)
  }
}

/** `doc` without the type placeholders. */
const withoutPlaceholders = (doc: HelpDoc.HelpDoc): HelpDoc.HelpDoc => {
  switch (doc._tag) {
    case "Paragraph":
      return TYPE_PLACEHOLDERS.has(spanText(doc.value)) ? HelpDoc.empty : doc
    case "DescriptionList":
      return HelpDoc.descriptionList(
        Arr.map(doc.definitions, ([span, body]): [Span.Span, HelpDoc.HelpDoc] => [span, withoutPlaceholders(body)])
      )
    case "Enumeration":
      return HelpDoc.enumeration(Arr.map(doc.elements, withoutPlaceholders))
    case "Sequence":
      return HelpDoc.sequence(withoutPlaceholders(doc.left), withoutPlaceholders(doc.right))
    case "Empty":
    case "Header":
      return doc
  }
}

/**
 * The help page: the program and version, one usage line per command it
 * covers behind the program's name (`usages`: the command asked about, or
 * every subcommand for the program's own page), then `@effect/cli`'s
 * description, options and commands (`help`, from `Command.getHelp`) without
 * the type placeholders, then the footer.
 *
 * @internal
 */
export const page = (options: {
  readonly version: string
  readonly usages: ReadonlyArray<Usage.Usage>
  readonly help: HelpDoc.HelpDoc
  readonly config: CliConfig.CliConfig
}): HelpDoc.HelpDoc =>
  HelpDoc.blocks([
    HelpDoc.h1(Span.code(PROGRAM)),
    HelpDoc.p(`${PROGRAM} ${options.version}`),
    HelpDoc.h1("USAGE"),
    ...Arr.flatMap(options.usages, (usage) =>
      Arr.map(
        Usage.enumerate(Usage.concat(Usage.named([PROGRAM], Option.none()), usage), options.config),
        (span) => HelpDoc.p(Span.concat(Span.text("$ "), span))
      )),
    withoutPlaceholders(options.help),
    footer
  ])
