package dev.sallyport.auth.jdbc;

import dev.sallyport.api.LiveSession;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The usage of sessions still open, for {@link AccountingSink}: the latest totals of each open
 * session of a user, one entry per session however often it reports (so the memory is bounded by
 * the open sessions, and an outage does not pile up reports), written by the flusher into the hour
 * it writes them (see {@link UsageStatements#progress}).
 *
 * <p>Order: a session's entry is removed when its summary arrives, before the summary is queued,
 * and core reports a session's progress only before its summary, on the same thread: so once a
 * summary is queued no progress of its session is written after it, and the summary's statement
 * deletes the session's progress row for good. A progress write whose outcome is unknown and is
 * repeated adds nothing (the row keeps the larger totals). Progress not yet written at close is
 * not spooled: the summary that follows it carries the same bytes, accounted in the hour the
 * session ended.
 */
final class LiveUsage {

    private static final Logger log = LoggerFactory.getLogger(LiveUsage.class);

    private final Jdbi jdbi;
    private final String instanceId;
    private final int batchSize;
    private final Supplier<Instant> clock;
    private final Map<Long, LiveSession> latest = new ConcurrentHashMap<>();

    LiveUsage(Jdbi jdbi, UUID instanceId, int batchSize, Supplier<Instant> clock) {
        this.jdbi = jdbi;
        this.instanceId = instanceId.toString();
        this.batchSize = batchSize;
        this.clock = clock;
    }

    /** On an event loop: keeps the latest totals of a user's session. */
    void progress(LiveSession session) {
        if (session.user() != null && (session.bytesUp() > 0 || session.bytesDown() > 0)) {
            latest.put(session.id(), session);
        }
    }

    /** On an event loop, when the session's summary arrives. */
    void closed(long id) {
        if (!latest.isEmpty()) {
            latest.remove(id);
        }
    }

    /** On the flusher: writes what was reported; throws when the database fails (kept for the next try). */
    void write() {
        if (latest.isEmpty()) {
            return;
        }
        List<LiveSession> reported = new ArrayList<>(latest.values());
        Instant at = clock.get();
        for (int i = 0; i < reported.size(); i += batchSize) {
            List<LiveSession> batch = reported.subList(i, Math.min(reported.size(), i + batchSize));
            try {
                jdbi.useHandle(h -> UsageStatements.progress(h, instanceId, batch, at));
            } catch (RuntimeException e) {
                if (!Db.permanent(e)) {
                    throw e;
                }
                // The summary will carry these bytes: nothing is lost but their hour.
                log.warn("The database refuses the usage of {} open session(s){}; it is counted when they end",
                        batch.size(), Db.describe(e));
            }
            for (LiveSession s : batch) {
                latest.remove(s.id(), s);
            }
        }
    }
}
