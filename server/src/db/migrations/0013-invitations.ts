import type { Kysely } from 'kysely';

// Frozen: describes the schema as it shipped. Never edit it; add a migration.

// `dialect` is passed by the migrator once PostgreSQL is supported: binary columns are bytea there.
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres' = 'sqlite'): Promise<void> {
  // Invitations to a workspace (docs/decisions.md, "Members join by invitation"): the link's
  // token is `<id>.<secret>` like a session's, and only a SHA-256 of the secret is stored. One
  // use, seven days; an admin may revoke it before.
  await db.schema
    .createTable('invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('secret_hash', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('accepted_at', 'text')
    .addColumn('accepted_by', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('invitations_workspace').on('invitations').columns(['workspace_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('invitations').execute();
}
