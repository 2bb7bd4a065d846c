import { describe, expect, it } from "vitest";
import {
  backoffMs,
  BackgroundLoop,
  type BackgroundLoopOptions,
  type Pause,
  type PassResult,
} from "../src/runs/background-loop.js";
import { capturedLog } from "./support/log-lines.js";
import { until } from "./support/until.js";

/** A pause that records every wait and returns at once, so a test sees the schedule. */
function recordingPause(): Pause & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    wait: (ms) => {
      waits.push(ms);
      return new Promise((r) => setImmediate(r));
    },
    wake: () => undefined,
  };
}

/** A loop named "test pass" that logs to `lines`, with `pass` and any options given. */
function testLoop(pass: () => Promise<PassResult>, options: Partial<BackgroundLoopOptions> = {}) {
  const { lines, logger } = capturedLog();
  const loop = new BackgroundLoop({ task: "test pass", logger, intervalMs: 10, pass, ...options });
  return { loop, lines };
}

describe("the background loop", () => {
  it("backs off from the interval, doubling, to 15 s, or to the interval when that is longer", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffMs(500, n))).toEqual([
      500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000,
    ]);
    expect(backoffMs(60_000, 1)).toBe(60_000);
    expect(backoffMs(60_000, 9)).toBe(60_000);
  });

  it("goes again at once after a busy pass and waits the interval after an idle one", async () => {
    const pause = recordingPause();
    const results: PassResult[] = ["busy", "busy", "idle", "deferred", "idle"];
    let passes = 0;
    const { loop } = testLoop(() => Promise.resolve(results[passes++] ?? "idle"), {
      intervalMs: 100,
      pause,
    });
    loop.start();
    await until(() => passes >= results.length, "every pass");
    await loop.stop();
    expect(pause.waits.slice(0, 3)).toEqual([100, 100, 100]);
  });

  it("logs the first failure and every tenth, backs off, and says when it works again", async () => {
    const pause = recordingPause();
    let passes = 0;
    let recovered = false;
    const { loop, lines } = testLoop(
      () => {
        passes++;
        if (passes <= 12) return Promise.reject(new Error("database is away"));
        recovered = true;
        return Promise.resolve("idle");
      },
      { pause },
    );
    loop.start();
    await until(() => recovered, "the loop to recover");
    await loop.stop();
    const failures = lines.filter((l) => l.msg === "test pass failed");
    expect(failures.map((l) => l.failures)).toEqual([1, 10]);
    expect(failures[0]).toMatchObject({ task: "test pass", retry_in_ms: 10 });
    expect(pause.waits.slice(0, 7)).toEqual([10, 20, 40, 80, 160, 320, 320]);
    expect(lines.find((l) => l.msg === "test pass works again")).toMatchObject({ failures: 12 });
  });

  it("waits one interval first when asked to, stops promptly while waiting, and restarts", async () => {
    let passes = 0;
    const count = (): Promise<PassResult> => {
      passes++;
      return Promise.resolve("idle");
    };
    const { loop: patient } = testLoop(count, { intervalMs: 60_000, startWith: "wait" });
    patient.start();
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await patient.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(passes).toBe(0);
    expect(patient.running).toBe(false);

    const { loop: eager } = testLoop(count, { intervalMs: 60_000 });
    eager.start();
    await until(() => passes === 1, "the first pass");
    await eager.stop();
    eager.start();
    await until(() => passes === 2, "the first pass after a restart");
    await eager.stop();
  });

  it("stops when stop() comes right after start(), before the first wait began", async () => {
    const { loop } = testLoop(() => Promise.resolve("idle"), {
      intervalMs: 60_000,
      startWith: "wait",
    });
    const hung = new Promise<string>((r) => setTimeout(() => r("still waiting"), 5_000).unref());
    loop.start();
    expect(await Promise.race([loop.stop().then(() => "stopped"), hung])).toBe("stopped");
    // And again after a restart while the old loop was still winding down.
    loop.start();
    const stopping = loop.stop();
    loop.start();
    expect(await Promise.race([stopping.then(() => loop.stop()).then(() => "stopped"), hung])).toBe(
      "stopped",
    );
  });

  it("stop() waits for the pass in flight and the loop never runs two passes at once", async () => {
    let inFlight = 0;
    let most = 0;
    let finished = 0;
    const { loop } = testLoop(
      async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 15));
        inFlight--;
        finished++;
        return "busy";
      },
      { intervalMs: 1 },
    );
    loop.start();
    await until(() => finished >= 2, "two passes");
    // Stopped and started again at once: the new loop starts after the old one's pass.
    void loop.stop();
    loop.start();
    await until(() => finished >= 4, "two more passes");
    await loop.stop();
    expect(inFlight).toBe(0);
    expect(most).toBe(1);
  });
});
