/** SQLSTATE classes that mean the server or the connection went away (not the statement's fault). */
const UNAVAILABLE_SQLSTATE = /^(08|57P|53300)/;

const UNAVAILABLE_SYSCALL = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** What node-postgres says when a connection was cut, could not be made, or is unusable. */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end|not queryable|Client was closed|Connection closed/i;

/**
 * True when an error means the database cannot be reached right now: the caller gets a 503 and a
 * worker tries again later without spending one of the run's attempts. Wrapped errors are
 * followed through `cause`, since libraries (LangGraph, the checkpointer) rethrow with context.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let err = error, depth = 0; err && depth < 5; depth++) {
    const { code, message, cause } = err as { code?: unknown; message?: unknown; cause?: unknown };
    if (
      typeof code === "string" &&
      (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SYSCALL.has(code))
    ) {
      return true;
    }
    if (typeof message === "string" && UNAVAILABLE_MESSAGE.test(message)) return true;
    // AggregateError (a failed connect to every address of a host name) lists its causes.
    const errors = (err as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((e) => isDatabaseUnavailable(e))) return true;
    err = cause;
  }
  return false;
}
