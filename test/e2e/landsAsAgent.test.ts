/**
 * End to end, exec landing as the agent user (an image ending in `USER node`):
 * no user switch. As root the agent is `node`; otherwise the current user.
 */
import { scenario } from "./scenario.js"

scenario("agent", "e2e: exec lands as the agent user, no switch")
