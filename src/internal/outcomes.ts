/**
 * The outcomes of provisioning and verification, as Schemas. Public through
 * `ProvisionSupervise` and `VerifySupervise`, documented there.
 *
 * @internal
 */
import * as Schema from "effect/Schema"
import { ExecFailed } from "../SandboxError.js"

export const common = {
  target: Schema.String,
  serverName: Schema.String,
  url: Schema.String,
  /** How many execs it attempted, retries included (not those refused before any process). */
  execs: Schema.Number
}

/** How many times Claude Code was started in the guest: what a launcher waits for. */
export const cliStarts = { cliStarts: Schema.optionalWith(Schema.Number, { default: () => 0 }) }

/**
 * How a verification knew: the agent's CLI connected (`"connection"`), or the
 * agent's CLI offers no connecting check and the library read the stored
 * entry and sent an MCP `initialize` to its URL from inside the guest
 * (`"entry-and-probe"`).
 */
export const checkedBy = {
  checkedBy: Schema.optionalWith(Schema.Literal("connection", "entry-and-probe"), { default: () => "connection" })
}

/** @internal */
export class Skipped extends Schema.TaggedClass<Skipped>()("Skipped", { target: Schema.String }) {}

/** @internal */
export class Registered extends Schema.TaggedClass<Registered>()("Registered", { ...common, ...cliStarts }) {}

/** @internal */
export class Unchanged extends Schema.TaggedClass<Unchanged>()("Unchanged", { ...common, ...cliStarts }) {}

/** @internal */
export class Replaced extends Schema.TaggedClass<Replaced>()("Replaced", {
  ...common,
  ...cliStarts,
  /** The entry's URL before, shown as `Unreachable.registeredUrl` is. */
  previousUrl: Schema.optional(Schema.String),
  /** `enabled`: a Codex entry that was disabled (`enabled = false`). */
  changed: Schema.Array(Schema.Literal("transport", "url", "headers", "enabled"))
}) {}

/** @internal */
export class Failed extends Schema.TaggedClass<Failed>()("Failed", {
  ...common,
  error: ExecFailed,
  hint: Schema.String
}) {}

/** @internal */
export class Connected extends Schema.TaggedClass<Connected>()("Connected", {
  ...common,
  ...checkedBy,
  /** The URL the agent's config holds, as the agent's CLI printed it or its config stores it. */
  registeredUrl: Schema.optional(Schema.String)
}) {}

/** @internal */
export class Unreachable extends Schema.TaggedClass<Unreachable>()("Unreachable", {
  ...common,
  ...checkedBy,
  /**
   * The URL the agent's config holds, exactly as stored (the CLI does not
   * normalise it: `http://h:1` is not `http://h:1/`), credentials replaced by
   * `[REDACTED]@`; absent for another transport or a URL that cannot be shown.
   */
  registeredUrl: Schema.optional(Schema.String),
  reason: Schema.String
}) {}

/** @internal */
export class NotRegistered extends Schema.TaggedClass<NotRegistered>()("NotRegistered", {
  ...common,
  ...checkedBy
}) {}
