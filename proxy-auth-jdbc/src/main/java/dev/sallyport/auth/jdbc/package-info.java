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
 *       needs no restart when the database returns. Failures are named by kind (missing
 *       database, login refused, too many connections, unreachable, permission denied, pool
 *       timeout) with their SQLState; one WARN when the store's calls start failing or fail for
 *       another reason, one INFO when they succeed again, each failure at DEBUG.</li>
 *   <li>Pool: {@code JdbcStore.fromSettings} (the providers, the CLI) wraps its data source in
 *       HikariCP (at most threads + 1 connections by default, a call waits 5 s for one); the
 *       {@code LISTEN} connection and the fleet limits' two stay outside it, being held for the
 *       store's life. A host's own {@code DataSource} is used as given.</li>
 *   <li>Least privilege: with {@code migrate(false)} the store runs no DDL and only checks the
 *       schema's version; the grants each role needs are in the README (tested with that SQL).</li>
 *   <li>No credential, hash or bound value in any log line or exception message: Jdbi's
 *       statement rendering is off, and database errors are reported by SQLState.</li>
 *   <li>Fleet-wide limits ({@link dev.sallyport.auth.jdbc.JdbcStore#fleetLimits()}, opt-in: pass
 *       it to {@code ProxyManager.Builder.sharedLimits(...)}; {@code sallyport serve --jdbc-url}
 *       does it for you). Each instance is the store's random instance id, the one its access-log
 *       rows carry. Session leases in {@code sallyport_leases} (schema version 3), taken under a
 *       per-user {@code pg_advisory_xact_lock}, extended by one statement per instance every
 *       {@code leaseHeartbeat} (5 s), expiring {@code leaseTtl} (15 s) after an instance's last
 *       beat; the session rate as one token bucket per user in the database; bandwidth split in
 *       proportion to each instance's live leases of the user. Two lease threads and the
 *       heartbeat's keep one connection each. Only users with a limit reach the database: three
 *       round trips for a user with a session limit (lock, count-and-insert, commit), one
 *       otherwise; measured p50 of a SOCKS5 CONNECT 2.0 ms with it against 0.43 ms without
 *       (loopback PostgreSQL, 2 shared cores, 1000 sequential sessions).</li>
 *   <li>Fleet accuracy. Concurrent sessions are exact while every instance reaches the database.
 *       The fleet can exceed a limit only when an instance cannot: it falls back to its own
 *       limits (WARN once; INFO once when the heartbeat succeeds again), so the fleet may hold up
 *       to the sum of the instances' own limits for as long as the outage lasts and the sessions
 *       opened in it stay open; a lease not answered within {@code leaseTimeout} (2 s) falls back
 *       the same way until the next heartbeat. An instance cut off from the database while its
 *       clients still reach it loses its leases after the TTL, so the others may admit a full
 *       limit beside its sessions until it recovers. On recovery the heartbeat registers every
 *       lease granted meanwhile: the count may then be over the limit, and new sessions are
 *       refused until it is under. Otherwise errors count too many, never too few: a crashed
 *       instance's sessions count until the TTL, a failed release until the next heartbeat.
 *       Session rate: exact on the database's clock while reachable (each instance's own bucket
 *       applies first, and a session the fleet refuses spends a token of it). Bandwidth: an
 *       instance learns a new share when it takes a lease and at each heartbeat, so for up to one
 *       heartbeat after the user's sessions move the shares may add up to more than the limit
 *       (at most the number of instances times it); shares follow sessions, not traffic.</li>
 * </ul>
 */
package dev.sallyport.auth.jdbc;
