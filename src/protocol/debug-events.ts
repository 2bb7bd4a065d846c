/**
 * The `debug` stream mode's payloads as the LangGraph Platform API sends them: a checkpoint's
 * config and parent config also as `{thread_id, checkpoint_ns, checkpoint_id}` references, its
 * task states as checkpoint references, LangGraph's own `__`-prefixed config keys and callbacks
 * left out.
 */
type Config = { configurable?: Record<string, unknown> } & Record<string, unknown>;

interface CheckpointRef {
  thread_id: string;
  checkpoint_id: string | undefined;
  checkpoint_ns: string;
  checkpoint_map: unknown;
}

function checkpointRef(config: unknown): CheckpointRef | null {
  const configurable = (config as Config | undefined)?.configurable;
  if (!configurable || typeof configurable.thread_id !== "string") return null;
  return {
    thread_id: configurable.thread_id,
    checkpoint_id: configurable.checkpoint_id as string | undefined,
    checkpoint_ns: (configurable.checkpoint_ns as string | undefined) || "",
    checkpoint_map: configurable.checkpoint_map ?? null,
  };
}

function withoutInternals(config: unknown): unknown {
  const c = config as Config | undefined;
  if (!c?.configurable) return config;
  const configurable = Object.fromEntries(
    Object.entries(c.configurable).filter(([key]) => !key.startsWith("__")),
  );
  const { callbacks: _callbacks, ...rest } = c;
  return { ...rest, configurable };
}

function task(value: Record<string, unknown>): Record<string, unknown> {
  const ref = checkpointRef(value.state);
  if (!ref) return value;
  const { state: _state, ...rest } = value;
  return { ...rest, checkpoint: ref };
}

export function debugEvent(chunk: unknown): unknown {
  const { type, payload } = chunk as { type?: string; payload?: Record<string, unknown> };
  if (!payload) return chunk;
  if (type === "checkpoint") {
    const { parentConfig, ...rest } = payload;
    return {
      ...(chunk as object),
      payload: {
        ...rest,
        checkpoint: checkpointRef(payload.config),
        parent_checkpoint: checkpointRef(parentConfig),
        tasks: ((payload.tasks as Record<string, unknown>[] | undefined) ?? []).map(task),
        config: withoutInternals(payload.config),
        parent_config: withoutInternals(parentConfig),
      },
    };
  }
  if (type === "task_result") return { ...(chunk as object), payload: task(payload) };
  return chunk;
}
