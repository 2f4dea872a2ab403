/**
 * Users, an access log and per-user usage statistics in PostgreSQL, with Jdbi; the entry point is
 * {@link dev.sallyport.auth.jdbc.JdbcStore}.
 *
 * <p>Decisions recorded here:
 * <ul>
 *   <li>Schema: created and migrated by the module (versions in {@code sallyport_schema_history}),
 *       in one transaction behind {@code pg_advisory_xact_lock}, so concurrent starts are safe.
 *       Tables are prefixed {@code sallyport_} to share a database with an application.</li>
 *   <li>Secrets: PBKDF2-HMAC-SHA256, 210 000 iterations, format
 *       {@code pbkdf2-sha256$ITER$SALT$HASH} (the same as core's in-memory store); tokens as
 *       SHA-256 hex; constant-time comparison; unknown users cost one dummy PBKDF2.</li>
 *   <li>Threads: every database call and hash runs on the store's bounded executor
 *       ({@code sallyport-jdbc-N}); accounting has one flusher thread
 *       ({@code sallyport-jdbc-accounting-1}).</li>
 *   <li>Accounting: up to 500 rows per statement (one multi-row {@code INSERT ... ON CONFLICT DO
 *       NOTHING RETURNING} feeding the hourly usage upsert), flushed every second or when a batch
 *       is full; a bounded buffer (100 000 records) with drops counted and logged at WARN;
 *       exponential back-off up to 30 s while the database is unreachable; idempotent retries.</li>
 *   <li>Outage: logins not in core's auth cache complete exceptionally (fail closed); the store
 *       needs no restart when the database returns.</li>
 *   <li>No credential, hash or bound value in any log line or exception message: Jdbi's
 *       statement rendering is off, and database errors are reported by SQLState.</li>
 * </ul>
 */
package dev.sallyport.auth.jdbc;
