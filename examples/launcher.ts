// A launcher's integration, as shown in the README: decode the plan at the boundary,
// provision every bottle through the live Smolvm layer, log for the operator.
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Logger, ProvisionSupervise, Smolvm, SupervisePlan } from "bottle-supervise"
import { Effect, Layer } from "effect"

const launchBottle = (target: string, rawPlan: unknown) =>
  Effect.gen(function*() {
    const plan = yield* SupervisePlan.decode(rawPlan) // ParseError on a bad plan, token never printed
    // ... boot the microVM, start the supervise sidecar ...
    const outcome = yield* ProvisionSupervise.provisionSupervise(plan, target, { timeout: "30 seconds" })
    if (outcome._tag === "Failed") {
      // Already logged as a warning with the manual hint; the bottle still works without the tools.
    }
    // ... now start the agent: it reads its config at startup ...
    return outcome
  })

// Logger.layerOperator: plain lines on stderr. runMain must not add its own pretty logger too.
const MainLive = Layer.mergeAll(Smolvm.layer, Logger.layerOperator).pipe(Layer.provideMerge(NodeContext.layer))

launchBottle("bottle-1", {
  supervisePlan: { agentUrl: "http://127.0.0.1:4318/", token: process.env["SUPERVISE_TOKEN"] },
  agent: { user: "node", home: "/home/node" }
}).pipe(Effect.provide(MainLive), NodeRuntime.runMain({ disablePrettyLogger: true }))
