/**
 * What went wrong in a service, in domain terms: the HTTP layer (src/api/app.ts) maps `kind` to a
 * status, so services know nothing of HTTP.
 */
export type ServiceErrorKind = "not_found" | "conflict" | "invalid" | "forbidden";

export abstract class ServiceError extends Error {
  abstract readonly kind: ServiceErrorKind;

  constructor(
    /** Stable, machine-readable: clients branch on it. */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The thing named does not exist (or the caller may not know it does). */
export class NotFoundError extends ServiceError {
  readonly kind = "not_found";
  override readonly name = "NotFoundError";
}

/** The request clashes with the current state: already decided, claimed by someone else … */
export class ConflictError extends ServiceError {
  readonly kind = "conflict";
  override readonly name = "ConflictError";
}

/** Well-formed but not acceptable here: a decision the card does not allow, unknown ids … */
export class InvalidInputError extends ServiceError {
  readonly kind = "invalid";
  override readonly name = "InvalidInputError";
}

/** The caller's key may not do this to this item (a reviewer outside the item's domain …). */
export class ForbiddenError extends ServiceError {
  readonly kind = "forbidden";
  override readonly name = "ForbiddenError";
}

export const notFound = (what: string, id: string): NotFoundError =>
  new NotFoundError("not_found", `${what} ${id} does not exist`);
