import GRDB

/// The catalog's schema, as migrations in order. Add a migration; never edit a shipped one.
enum CatalogMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "owners") { t in
                t.primaryKey("id", .text)
                t.column("tier", .text).notNull()
                t.column("created_at", .text).notNull()
                t.column("restricted", .boolean).notNull().defaults(to: false)
                t.column("erased_at", .text)
            }
            try db.create(table: "owner_keys") { t in
                t.column("owner_id", .text).notNull().references("owners", onDelete: .cascade)
                t.column("version", .integer).notNull()
                t.column("wrapped", .blob).notNull()
                t.column("master_key_id", .text).notNull()
                t.column("created_at", .text).notNull()
                t.primaryKey(["owner_id", "version"])
            }
            try db.create(table: "takes") { t in
                t.primaryKey("id", .text)
                t.column("owner_id", .text).notNull().references("owners", onDelete: .cascade).indexed()
                t.column("session_id", .text).indexed()
                t.column("tier", .text).notNull()
                t.column("original_name", .text).notNull()
                t.column("upload_sha256", .text).notNull()
                t.column("upload_bytes", .integer).notNull()
                t.column("recorded_at", .text)
                t.column("ingested_at", .text).notNull()
                t.column("retain_until", .text).indexed()
                t.column("generation", .integer).notNull()
                t.column("manifest_name", .text).notNull()
                t.column("duration_s", .double).notNull()
                t.column("integrated_lufs", .double)
                t.column("stored_bytes", .integer).notNull()
            }
            try db.create(table: "take_objects") { t in
                t.column("take_id", .text).notNull().references("takes", onDelete: .cascade)
                t.column("object_name", .text).notNull().indexed()
                t.column("kind", .text).notNull()
                t.column("size", .integer).notNull()
                t.primaryKey(["take_id", "object_name"])
            }
            try db.create(table: "events") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .text).notNull().indexed()
                t.column("kind", .text).notNull()
                t.column("owner_id", .text)
                t.column("take_id", .text)
                t.column("detail", .text).notNull()
            }
            try db.create(table: "jobs") { t in
                t.primaryKey("id", .text)
                t.column("kind", .text).notNull()
                t.column("state", .text).notNull().indexed()
                t.column("owner_id", .text)
                t.column("take_id", .text)
                t.column("created_at", .text).notNull()
                t.column("updated_at", .text).notNull()
                t.column("detail", .text).notNull()
            }
        }
        migrator.registerMigration("v2-policy") { db in
            try db.create(table: "holds") { t in
                t.primaryKey("id", .text)
                t.column("owner_id", .text).notNull().indexed()
                t.column("take_id", .text)
                t.column("reason", .text).notNull()
                t.column("set_by", .text).notNull()
                t.column("set_at", .text).notNull()
                t.column("lifted_at", .text)
                t.column("lifted_by", .text)
            }
            try db.create(table: "tombstones") { t in
                t.primaryKey("id", .text)
                t.column("at", .text).notNull().indexed()
            }
            try db.create(table: "tier_history") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("owner_id", .text).notNull().indexed()
                t.column("tier", .text).notNull()
                t.column("at", .text).notNull()
            }
        }
        migrator.registerMigration("v3-sealed-bytes") { db in
            // Sealed bytes per take, so planning a sweep over millions of takes is one indexed scan.
            try db.alter(table: "takes") { t in t.add(column: "sealed_bytes", .integer).notNull().defaults(to: 0) }
            try db.execute(sql: "UPDATE takes SET sealed_bytes = (SELECT COALESCE(SUM(size), 0) FROM take_objects WHERE take_id = takes.id)")
            // Covers the sweep's query: expired takes come straight from the index, in order.
            try db.create(index: "takes_expiry", on: "takes", columns: ["retain_until", "owner_id", "id", "sealed_bytes"])
        }
        migrator.registerMigration("v4-relay-jobs") { db in
            // The relay's jobs: which relay sent them, under which idempotency key, for which body.
            try db.alter(table: "jobs") { t in
                t.add(column: "relay_key_id", .text)
                t.add(column: "idempotency_key", .text)
                t.add(column: "upload_sha256", .text)
                t.add(column: "attempts", .integer).notNull().defaults(to: 0)
                t.add(column: "callback_state", .text)
            }
            // One job per relay and idempotency key: a retried upload finds its job.
            try db.create(index: "jobs_idempotency", on: "jobs", columns: ["relay_key_id", "idempotency_key"], unique: true,
                          condition: Column("idempotency_key") != nil)   // migrations name columns as they were then
            try db.create(index: "jobs_queue", on: "jobs", columns: ["kind", "state", "created_at"])
            // Request nonces seen inside the signature's validity window: a replayed request is refused.
            try db.create(table: "relay_nonces") { t in
                t.column("key_id", .text).notNull()
                t.column("nonce", .text).notNull()
                t.column("expires_at", .text).notNull().indexed()
                t.primaryKey(["key_id", "nonce"])
            }
        }
        migrator.registerMigration("v5-job-retry") { db in
            // A failed attempt queues the job again with a backoff: not claimed before this instant.
            try db.alter(table: "jobs") { t in t.add(column: "not_before", .text) }
        }
        migrator.registerMigration("v6-policy-version") { db in
            // The owner-policy version the catalog follows: a store behind it was rolled back.
            try db.alter(table: "owners") { t in t.add(column: "policy_version", .integer).notNull().defaults(to: 0) }
        }
        migrator.registerMigration("v7-job-leases") { db in
            // The node holding a processing job and until when (renewed while it works).
            try db.alter(table: "jobs") { t in
                t.add(column: "lease_node", .text)
                t.add(column: "lease_expires_at", .text)
            }
        }
        migrator.registerMigration("v8-master-keys") { db in
            // Which master key the vault's nodes wrap under (by id), and which a rotation retired.
            try db.create(table: "master_keys") { t in
                t.column("key_id", .text).primaryKey()
                t.column("state", .text).notNull()
                t.column("since", .text).notNull()
            }
            try db.execute(sql: "CREATE UNIQUE INDEX master_keys_one_current ON master_keys (state) WHERE state = 'current'")
        }
        return migrator
    }
}
