/**
 * The CLI's version: the one in package.json, so that `--version` and npm
 * never disagree and nobody keeps a second copy in step.
 *
 * @internal
 */
import * as Schema from "effect/Schema"
import { createRequire } from "node:module"

const PackageJson = Schema.Struct({ name: Schema.Literal("bottle-supervise"), version: Schema.String })

/**
 * Read through the package's own name (its `exports` list `./package.json`):
 * Node resolves a package's self-reference from the nearest package.json above
 * this file, which is the right one from `dist/`, from `src/` under tsx, from
 * an installed copy in node_modules, and from a test build in another output
 * directory inside the repository, where a relative `../package.json` is not.
 *
 * @internal
 */
export const version: string = Schema.decodeUnknownSync(PackageJson)(
  createRequire(import.meta.url)("bottle-supervise/package.json")
).version
