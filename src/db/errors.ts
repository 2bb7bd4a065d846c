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

const FROM_DATABASE = Symbol.for("signoff.fromDatabase");

/**
 * Marks an error as raised by the database connection (src/db/database.ts does this for every
 * pool and client call), so a socket error of the model provider's HTTP client (also an
 * ECONNRESET) is never mistaken for a database outage.
 */
export function markFromDatabase(error: unknown): unknown {
  if (error !== null && typeof error === "object") {
    Object.defineProperty(error, FROM_DATABASE, { value: true, enumerable: false });
  }
  return error;
}

function fromDatabase(error: object): boolean {
  return (error as Record<symbol, unknown>)[FROM_DATABASE] === true;
}

/**
 * True when an error means the database cannot be reached right now: the caller gets a 503 and a
 * worker tries again later without spending one of the run's attempts. A server-sent SQLSTATE
 * (class 08, 57P, 53300) counts wherever it is found; socket errors and node-postgres's own
 * messages count only on errors that came from the database connection. Wrapped errors are
 * followed through `cause`, since libraries (LangGraph, the checkpointer) rethrow with context.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let err = error, depth = 0; err && typeof err === "object" && depth < 5; depth++) {
    const { code, message, cause } = err as { code?: unknown; message?: unknown; cause?: unknown };
    const sqlState = typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && "severity" in err;
    if (sqlState && UNAVAILABLE_SQLSTATE.test(code)) return true;
    if (fromDatabase(err)) {
      if (typeof code === "string" && UNAVAILABLE_SYSCALL.has(code)) return true;
      if (typeof message === "string" && UNAVAILABLE_MESSAGE.test(message)) return true;
      // AggregateError (a failed connect to every address of a host name) lists its causes.
      const errors = (err as { errors?: unknown }).errors;
      if (Array.isArray(errors) && errors.some((e) => isDatabaseUnavailable(markFromDatabase(e)))) {
        return true;
      }
    }
    err = cause;
  }
  return false;
}
