import { createHash, randomBytes } from "node:crypto";
import type { Queryable } from "../db/database.js";

/**
 * What a key may do. `metrics` is for a Prometheus scraper: it reads GET /metrics and nothing
 * else, so the secret in a scrape config cannot start threads, decide reviews or manage keys.
 */
export const roles = ["client", "reviewer", "admin", "metrics"] as const;
export type Role = (typeof roles)[number];

export interface ApiKeyRow {
  key_id: string;
  name: string;
  role: Role;
  prefix: string;
  /** Lower-cased domains a reviewer key may curate documents of; null: every domain. */
  domains: string[] | null;
  created_at: Date;
  revoked_at: Date | null;
}

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** A new random key, e.g. "so_reviewer_9fK…"; only its hash is stored. */
export function generateKey(role: Role): string {
  return `so_${role}_${randomBytes(24).toString("base64url")}`;
}

export class KeyNameTakenError extends Error {}

export async function createKey(
  db: Queryable,
  name: string,
  role: Role,
  domains: readonly string[] | null = null,
): Promise<{ key: string; row: ApiKeyRow }> {
  const key = generateKey(role);
  try {
    const { rows } = await db.query<ApiKeyRow>(
      `INSERT INTO api_keys (name, role, key_hash, prefix, domains) VALUES ($1, $2, $3, $4, $5)
       RETURNING key_id, name, role, prefix, domains, created_at, revoked_at`,
      [name, role, hashKey(key), key.slice(0, 14), domains?.map((d) => d.toLowerCase()) ?? null],
    );
    return { key, row: rows[0]! };
  } catch (error) {
    if ((error as { code?: string }).code === "23505") {
      throw new KeyNameTakenError(`an active key named "${name}" already exists`);
    }
    throw error;
  }
}

export async function findActiveKey(db: Queryable, key: string): Promise<ApiKeyRow | undefined> {
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT key_id, name, role, prefix, domains, created_at, revoked_at FROM api_keys
     WHERE key_hash = $1 AND revoked_at IS NULL`,
    [hashKey(key)],
  );
  return rows[0];
}

export async function hasActiveKeys(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ present: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL) AS present",
  );
  return rows[0]?.present ?? false;
}

export async function listKeys(db: Queryable): Promise<ApiKeyRow[]> {
  const { rows } = await db.query<ApiKeyRow>(
    "SELECT key_id, name, role, prefix, domains, created_at, revoked_at FROM api_keys ORDER BY created_at, key_id",
  );
  return rows;
}

/** Revokes by id or by name; returns the revoked key. */
export async function revokeKey(
  db: Queryable,
  idOrName: { key_id?: string; name?: string },
): Promise<ApiKeyRow | undefined> {
  const { rows } = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = now()
     WHERE revoked_at IS NULL AND (key_id::text = $1 OR name = $2)
     RETURNING key_id, name, role, prefix, domains, created_at, revoked_at`,
    [idOrName.key_id ?? "", idOrName.name ?? null],
  );
  return rows[0];
}
