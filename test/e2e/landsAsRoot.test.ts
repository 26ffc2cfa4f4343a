/**
 * End to end, exec landing as root (a bare smolvm VM): the library switches to
 * the `node` user with runuser. Needs root and a `node` user.
 */
import { scenario } from "./scenario.js"

scenario("root", "e2e: exec lands as root, the library switches to the agent user")
