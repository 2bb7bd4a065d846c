/**
 * The review page's claim: opening an unclaimed item claims it, the claim is renewed while the
 * page is open and used, and leaving without deciding gives back a claim the page took itself.
 */
import type { ReviewView } from "../../services/reviews.js";
import type { ReviewPageData } from "../page-data.js";
import { errorCode, post, type ApiFailure } from "./api.js";
import { byId } from "./common.js";
import { show, when } from "./messages.js";

export interface ClaimContext {
  data: ReviewPageData;
  /** The API path of this review. */
  base: string;
  isDecided(): boolean;
  explain(res: ApiFailure, doing: string): void;
}

export interface Claim {
  set(by: string | null, until: string | null): void;
  /** Claims the item, or releases it if it is the reader's (the c shortcut). */
  toggle(): void;
  stopHeartbeat(): void;
  /** The item was decided: no more claiming here. */
  end(): void;
}

/** The heartbeat pauses after this long without a key, click, scroll or edit. */
const IDLE_MS = 10 * 60 * 1000;

export function startClaim(ctx: ClaimContext): Claim {
  const { data, base } = ctx;
  const bar = byId("claimbar");
  const text = byId("claim-status");
  const button = byId<HTMLButtonElement>("claim-btn");
  let claim = { by: data.claim.by, until: data.claim.until };
  let autoClaimed = false;
  let heartbeat: ReturnType<typeof setInterval> | null = null;
  let lastActivity = Date.now();

  function set(by: string | null, until: string | null): void {
    claim = { by, until };
    if (!bar || !text || !button) return;
    bar.classList.toggle("mine", !!by && by === data.me);
    bar.classList.toggle("other", !!by && by !== data.me);
    if (!by) {
      text.textContent = "Nobody is working on this item. Claim it so other reviewers skip it.";
    } else if (by === data.me) {
      text.textContent = `You are working on this item (claimed until ${when(until)}, renewed while this page is open).`;
    } else {
      const may = data.admin
        ? "As an admin you can take it over."
        : "Your decisions are refused until they release it.";
      text.textContent = `${by} is working on this item until ${when(until)}. ${may}`;
    }
    button.textContent = !by ? "Claim" : by === data.me ? "Release" : "Take over";
    button.hidden = !!by && by !== data.me && !data.admin;
    if (by === data.me) startHeartbeat();
    else stopHeartbeat();
  }

  async function take(auto: boolean): Promise<void> {
    const res = await post<ReviewView>(`${base}/claim`);
    if (res.ok) {
      autoClaimed = auto;
      set(res.body.claimed_by, res.body.claim_expires_at);
      if (!auto) show("", "");
    } else if (!auto || errorCode(res) === "claimed_by_other") {
      ctx.explain(res, "claim");
    }
  }

  async function release(): Promise<void> {
    const res = await post<ReviewView>(`${base}/release`);
    if (res.ok) {
      autoClaimed = false;
      set(null, null);
      show("ok", "Released: the item is back in the queue for anyone.");
    } else {
      ctx.explain(res, "release");
    }
  }

  function startHeartbeat(): void {
    if (heartbeat) return;
    const every = Math.max(15, Math.min(120, Math.floor(data.leaseSeconds / 3))) * 1000;
    heartbeat = setInterval(() => {
      if (ctx.isDecided() || document.visibilityState !== "visible") return;
      if (Date.now() - lastActivity > IDLE_MS) return;
      void post<ReviewView>(`${base}/heartbeat`).then((res) => {
        if (res.ok) set(res.body.claimed_by, res.body.claim_expires_at);
        else if (["claimed_by_other", "already_decided"].includes(errorCode(res)))
          ctx.explain(res, "claim");
        // Anything else: try again on the next beat.
      });
    }, every);
  }

  function stopHeartbeat(): void {
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = null;
  }

  function toggle(): void {
    if (ctx.isDecided() || !button || button.hidden) return;
    void (claim.by === data.me ? release() : take(false));
  }

  for (const type of ["keydown", "pointerdown", "scroll", "input"]) {
    const touch = () => {
      lastActivity = Date.now();
    };
    document.addEventListener(type, touch, { passive: true });
  }
  button?.addEventListener("click", toggle);
  if (data.pending) {
    set(claim.by, claim.until);
    if (!claim.by) void take(true);
    // Leaving without deciding gives back an item this page claimed by itself.
    window.addEventListener("pagehide", () => {
      if (autoClaimed && !ctx.isDecided() && claim.by === data.me)
        navigator.sendBeacon(`${base}/release`);
    });
  }

  return {
    set,
    toggle,
    stopHeartbeat,
    end() {
      stopHeartbeat();
      if (!bar || !text || !button) return;
      bar.classList.remove("mine", "other");
      text.textContent = "This item has been decided.";
      button.hidden = true;
    },
  };
}
