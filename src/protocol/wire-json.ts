/**
 * JSON as the LangGraph Platform API writes it: LangChain messages (anything with `toDict()`)
 * become `{...data, type}` dicts, the shape the SDK and the chat UIs read.
 */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, replaced: unknown) {
    const raw = this[key];
    if (raw !== null && typeof raw === "object" && "toDict" in raw) {
      const toDict = (raw as { toDict?: unknown }).toDict;
      if (typeof toDict === "function") {
        const { type, data } = (toDict as () => { type: string; data: object }).call(raw);
        return { ...data, type };
      }
    }
    return replaced;
  });
}

/** The same value as plain JSON data, for building responses out of graph state. */
export function toWireValue<T = unknown>(value: unknown): T {
  const text = toWireJson(value);
  return (text === undefined ? null : JSON.parse(text)) as T;
}
