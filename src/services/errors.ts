/** Errors services raise for the HTTP layer to turn into precise statuses. */
export class ServiceError extends Error {
  constructor(
    readonly status: 404 | 409 | 422,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string): ServiceError =>
  new ServiceError(404, "not_found", `${what} ${id} does not exist`);
