import { routeGroup } from "../../openapi.js";
import { protocolMetaRoutes } from "./meta.js";
import { protocolRunRoutes } from "./runs.js";
import { protocolThreadRoutes } from "./threads.js";

/**
 * The LangGraph Platform API (the Agent Protocol) over signoff's own tables, mounted at
 * /langgraph: the SDK, Agent Inbox, Agent Chat UI and Studio talk to it (src/protocol).
 */
export function agentProtocolRoutes() {
  return routeGroup()
    .route("/", protocolMetaRoutes())
    .route("/", protocolThreadRoutes())
    .route("/", protocolRunRoutes());
}
