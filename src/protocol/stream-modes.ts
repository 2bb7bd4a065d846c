/**
 * Stream modes as a protocol client names them, and the graph's modes that produce them.
 * `messages-tuple` is the graph's `messages` mode (sent as `messages` events). The legacy
 * `messages` mode (partial/complete message events) is served as `messages-tuple` too.
 * `events` (LangChain callback events) is no graph mode: the executor runs `streamEvents` for it
 * (src/runs/executor.ts), as LangGraph's server does.
 */
export const protocolStreamModes = [
  "values",
  "updates",
  "messages",
  "messages-tuple",
  "custom",
  "debug",
  "tasks",
  "checkpoints",
  "events",
] as const;
export type ProtocolStreamMode = (typeof protocolStreamModes)[number];

type GraphStreamMode =
  "values" | "updates" | "messages" | "custom" | "debug" | "tasks" | "checkpoints";

export function graphModesFor(modes: readonly string[]): GraphStreamMode[] {
  const graph = new Set<GraphStreamMode>();
  for (const mode of modes) {
    if (mode === "messages-tuple" || mode === "messages") graph.add("messages");
    else if (mode !== "events") graph.add(mode as GraphStreamMode);
  }
  return [...graph];
}
