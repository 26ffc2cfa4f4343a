// The same launcher on Docker, as shown in the README: only the layer differs. The target is the
// container's name or id; the sidecar is reached by its short name on the bottle's network.
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Docker, Logger, ProvisionSupervise, SupervisePlan } from "bottle-supervise"
import { Effect, Layer } from "effect"

const launchBottle = (container: string, rawPlan: unknown) =>
  Effect.gen(function*() {
    const plan = yield* SupervisePlan.decode(rawPlan)
    // ... docker run the bottle and its supervise sidecar on one network ...
    const outcome = yield* ProvisionSupervise.provisionSupervise(plan, container, { timeout: "30 seconds" })
    // ... now start the agent ...
    return outcome
  })

// Docker.layer: the `docker` client (DOCKER_BIN), with DOCKER_HOST and friends as the client reads them.
const MainLive = Layer.mergeAll(Docker.layer, Logger.layerOperator).pipe(Layer.provideMerge(NodeContext.layer))

launchBottle("bottle-1-agent", {
  supervisePlan: { agentUrl: "http://supervise:4318/", token: process.env["SUPERVISE_TOKEN"] },
  agent: { user: "node", home: "/home/node" }
}).pipe(Effect.provide(MainLive), NodeRuntime.runMain({ disablePrettyLogger: true }))
