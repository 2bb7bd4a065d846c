import { describe, expect, it } from "vitest";
import { RunSignals } from "../src/runs/thread-events.js";

/** Long enough that a test only passes by being woken, never by the timer. */
const NEVER_MS = 60_000;

describe("RunSignals.watchThread", () => {
  it("keeps a signal raised before next() is called, so a wake-up between look and wait is not lost", async () => {
    const signals = new RunSignals();
    const watch = signals.watchThread("t1");
    signals.threadSettled("t1"); // between the caller's look and its wait
    const woke = await Promise.race([
      watch.next(NEVER_MS).then(() => "signalled"),
      new Promise((resolve) => setTimeout(() => resolve("timer"), 1_000)),
    ]);
    expect(woke).toBe("signalled");
    watch.close();
  });

  it("wakes a pending next() on the thread's signal, not on another thread's", async () => {
    const signals = new RunSignals();
    const watch = signals.watchThread("t1");
    let woken = false;
    const pending = watch.next(NEVER_MS).then(() => (woken = true));
    signals.threadSettled("t2");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(woken).toBe(false);
    signals.threadSettled("t1");
    await pending;
    expect(woken).toBe(true);
    watch.close();
  });

  it("counts several signals before next() as one, then waits for a new one", async () => {
    const signals = new RunSignals();
    const watch = signals.watchThread("t1");
    signals.threadSettled("t1");
    signals.threadSettled("t1");
    await watch.next(NEVER_MS);
    const second = await Promise.race([
      watch.next(50).then(() => "timer or signal"),
      new Promise((resolve) => setTimeout(() => resolve("still waiting"), 1_000)),
    ]);
    expect(second).toBe("timer or signal"); // the 50 ms timer, since no new signal came
    watch.close();
  });

  it("releases a pending next() on close and stops listening", async () => {
    const signals = new RunSignals();
    const watch = signals.watchThread("t1");
    const pending = watch.next(NEVER_MS);
    watch.close();
    await pending;
    expect(signals["emitter"].listenerCount("thread:t1")).toBe(0);
  });

  it("polls slowly only while every process's changes are signalled", async () => {
    const signals = new RunSignals();
    const slowWhenCovered = new RunSignals({ coversAllProcesses: true }).pollMs;
    expect(signals.pollMs).toBeLessThan(slowWhenCovered);
    const watch = signals.watchThread("t1");
    const pending = watch.next(NEVER_MS);
    signals.setCoversAllProcesses(true); // the listener connected: waiters look again at once
    await pending;
    expect(signals.pollMs).toBe(slowWhenCovered);
    signals.setCoversAllProcesses(false);
    expect(signals.pollMs).toBeLessThan(slowWhenCovered);
    watch.close();
  });
});
