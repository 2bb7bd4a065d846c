import type { Queryable } from "../db/database.js";
import { ensureAppSecret } from "../repositories/app-secrets.js";
import {
  signThreadToken,
  verifyThreadToken,
  type ThreadTokenPurpose,
  type ThreadTokenRefusal,
} from "../auth/thread-token.js";

export interface FeedbackTokenSettings {
  /** FEEDBACK_TOKEN_SECRET; when unset, a random secret kept in the database (app_secrets). */
  secret?: string;
  /** How long a token is valid after it is issued (FEEDBACK_TOKEN_TTL_SECONDS). */
  ttlSeconds: number;
  now?: () => Date;
}

export interface IssuedToken {
  token: string;
  expires_at: string;
}

const SECRET_NAME = "thread_tokens";

/**
 * Issues and checks thread tokens with the deployment's secret. The stored secret is read once
 * per process (it never changes while the row exists); a failed read is tried again next time.
 */
export class ThreadTokens {
  private secret: Promise<Buffer> | undefined;
  readonly ttlSeconds: number;
  private readonly now: () => Date;

  constructor(private readonly settings: FeedbackTokenSettings) {
    this.ttlSeconds = settings.ttlSeconds;
    this.now = settings.now ?? (() => new Date());
    if (settings.secret) this.secret = Promise.resolve(Buffer.from(settings.secret, "utf8"));
  }

  private key(db: Queryable): Promise<Buffer> {
    this.secret ??= ensureAppSecret(db, SECRET_NAME).catch((error: unknown) => {
      this.secret = undefined;
      throw error;
    });
    return this.secret;
  }

  async issue(db: Queryable, threadId: string, purpose: ThreadTokenPurpose): Promise<IssuedToken> {
    // Whole seconds: the token carries its expiry to the second, and so does the response.
    const expiresAt = new Date(
      Math.floor(this.now().getTime() / 1000) * 1000 + this.ttlSeconds * 1000,
    );
    const token = signThreadToken(await this.key(db), { purpose, threadId, expiresAt });
    return { token, expires_at: expiresAt.toISOString() };
  }

  async verify(
    db: Queryable,
    token: string,
    expected: { purpose: ThreadTokenPurpose; threadId: string },
  ): Promise<{ ok: true } | { ok: false; refusal: ThreadTokenRefusal }> {
    return verifyThreadToken(await this.key(db), token, { ...expected, now: this.now() });
  }
}
