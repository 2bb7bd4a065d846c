/**
 * Polls `check` until it is true, failing with `what` after `ms`. A check that throws counts as
 * not yet (the database may be away on purpose).
 */
export async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  ms = 30_000,
  everyMs = 25,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
