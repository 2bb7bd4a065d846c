import type { Generator, Judge } from "../types.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The offline models answer in microseconds; a hosted model takes seconds. A fixed wait before
 * each call lets a demo show a run streaming and being cancelled, and a benchmark see the
 * queue behave as it would with a real model, without the network.
 */
export function withSimulatedLatency<T extends Generator | Judge>(model: T, ms: number): T {
  if (ms <= 0) return model;
  return new Proxy(model, {
    get(target, property, receiver) {
      const member = Reflect.get(target, property, receiver) as unknown;
      if ((property !== "generate" && property !== "judge") || typeof member !== "function") {
        return member;
      }
      return async (...args: unknown[]) => {
        await sleep(ms);
        return (member as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}
