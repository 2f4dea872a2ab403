package dev.sallyport.api;

/**
 * Hears sessions open and close, for a host that wants to see each request: an audit trail, a
 * live view, an alert. Registered with {@code ProxyManager.Builder.events(listener)}; both
 * methods have no-op defaults.
 *
 * <pre>{@code
 * builder.events(new SessionListener() {
 *     public void opened(LiveSession s) { audit.log(s.user(), s.targetHost(), s.targetPort()); }
 *     public void closed(SessionSummary s) { audit.done(s.id(), s.outcome()); }
 * });
 * }</pre>
 *
 * <p>Which events: every session ends with exactly one {@link #closed} (the summary metrics
 * sinks get), also when it is refused, fails, or is cut at shutdown. A session that admission
 * let through (login, rules, limits, route) gets one {@link #opened} before it, with the same
 * id, when its target is decided and before the proxy dials it. Refused requests and connections
 * that never made one produce a {@code closed} only; its {@link SessionSummary#outcome()} says
 * why. Each request on an HTTP keep-alive connection is a session of its own.
 *
 * <p>Threading: called on a thread of the manager's own, never on an I/O thread, one event at a
 * time, in the order they happened ({@code opened} before its {@code closed}). A listener may take
 * its time now and then, but events wait in a bounded queue (65 536): while a listener is that
 * far behind, new events are dropped (counted and logged at WARN) rather than hold up traffic.
 * {@code close()} of the manager delivers the events of the sessions it closed before it returns.
 * A listener that throws is logged once and the session is not affected. Several listeners may be
 * registered; each gets every event.
 */
public interface SessionListener {

    /**
     * Admission decided {@code session}'s target; the proxy dials (or listens, or relays) next.
     *
     * @param session the session as it opens
     */
    default void opened(LiveSession session) {
    }

    /**
     * A session ended: called exactly once per session, opened or not.
     *
     * @param summary how it went
     */
    default void closed(SessionSummary summary) {
    }
}
