package dev.sallyport.testkit;

import dev.sallyport.api.Outcome;
import io.netty.channel.ConnectTimeoutException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * How {@link Faults#refuse} makes the proxy turn a request down, and what each client sees. Every
 * refusal but {@link #NOT_ALLOWED} fails the outbound connect with the exception the proxy gets
 * from a real network in that case, so it takes the proxy's own path for it; {@link #NOT_ALLOWED}
 * is an access rule's DENY. SOCKS4 clients get reply 91 (rejected) for each.
 *
 * <table>
 *   <caption>Refusals, the session outcome, the SOCKS5 reply and the HTTP status</caption>
 *   <tr><th>refusal</th><th>outcome</th><th>SOCKS5 REP</th><th>HTTP</th><th>raised as</th></tr>
 *   <tr><td>NOT_ALLOWED</td><td>DENIED</td><td>0x02</td><td>403</td><td>an access rule's DENY</td></tr>
 *   <tr><td>GENERAL_FAILURE</td><td>ERROR</td><td>0x01</td><td>502</td><td>IOException</td></tr>
 *   <tr><td>NETWORK_UNREACHABLE</td><td>NETWORK_UNREACHABLE</td><td>0x03</td><td>502</td><td>SocketException "Network is unreachable"</td></tr>
 *   <tr><td>HOST_UNREACHABLE</td><td>HOST_UNREACHABLE</td><td>0x04</td><td>502</td><td>NoRouteToHostException</td></tr>
 *   <tr><td>NAME_NOT_RESOLVED</td><td>DNS_FAILED</td><td>0x04</td><td>502</td><td>UnknownHostException</td></tr>
 *   <tr><td>CONNECTION_REFUSED</td><td>CONNECTION_REFUSED</td><td>0x05</td><td>502</td><td>ConnectException "Connection refused"</td></tr>
 *   <tr><td>TIMED_OUT</td><td>CONNECT_TIMEOUT</td><td>0x06</td><td>504</td><td>Netty's ConnectTimeoutException</td></tr>
 * </table>
 */
public enum Refusal {
    /** Refused by the proxy's rules. */
    NOT_ALLOWED(Outcome.DENIED, 0x02, 403, null),
    /** The proxy failed for a reason of its own. */
    GENERAL_FAILURE(Outcome.ERROR, 0x01, 502,
            () -> new IOException("injected by the test's Faults: general failure")),
    /** The target's network was unreachable. */
    NETWORK_UNREACHABLE(Outcome.NETWORK_UNREACHABLE, 0x03, 502,
            () -> new SocketException("Network is unreachable (injected by the test's Faults)")),
    /** The target host was unreachable. */
    HOST_UNREACHABLE(Outcome.HOST_UNREACHABLE, 0x04, 502,
            () -> new NoRouteToHostException("No route to host (injected by the test's Faults)")),
    /** The target's name did not resolve. */
    NAME_NOT_RESOLVED(Outcome.DNS_FAILED, 0x04, 502,
            () -> new UnknownHostException("injected by the test's Faults")),
    /** The target refused the connection. */
    CONNECTION_REFUSED(Outcome.CONNECTION_REFUSED, 0x05, 502,
            () -> new ConnectException("Connection refused (injected by the test's Faults)")),
    /** Connecting to the target took too long (SOCKS5 calls it "TTL expired"). */
    TIMED_OUT(Outcome.CONNECT_TIMEOUT, 0x06, 504,
            () -> new ConnectTimeoutException("connection timed out (injected by the test's Faults)"));

    private final Outcome outcome;
    private final int socksReply;
    private final int httpStatus;
    @SuppressWarnings("ImmutableEnumChecker") // stateless lambdas, each making a new exception
    private final Supplier<Exception> failure;

    Refusal(Outcome outcome, int socksReply, int httpStatus, Supplier<Exception> failure) {
        this.outcome = outcome;
        this.socksReply = socksReply;
        this.httpStatus = httpStatus;
        this.failure = failure;
    }

    /**
     * The outcome the proxy reports for the session.
     *
     * @return the outcome
     */
    public Outcome outcome() {
        return outcome;
    }

    /**
     * The SOCKS5 REP code the client gets.
     *
     * @return the REP code
     */
    public int socksReply() {
        return socksReply;
    }

    /**
     * The HTTP status the client gets, for CONNECT and forwarded requests alike.
     *
     * @return the HTTP status
     */
    public int httpStatus() {
        return httpStatus;
    }

    /**
     * The refusal that gives SOCKS5 REP {@code rep}; for 0x04, {@link #HOST_UNREACHABLE}.
     *
     * @param rep the SOCKS5 reply code
     * @return the refusal
     * @throws IllegalArgumentException for a code no refusal gives (0x00, 0x07, 0x08: decided
     *                                  by the protocol module, not by a connect)
     */
    public static Refusal ofSocksReply(int rep) {
        return Arrays.stream(values()).filter(r -> r.socksReply == rep).findFirst().orElseThrow(() ->
                new IllegalArgumentException("rep: 0x" + Integer.toHexString(rep) + " (expected one of: 0x01-0x06)"));
    }

    /**
     * The refusal that gives HTTP status {@code status}: 403 {@link #NOT_ALLOWED}, 502
     * {@link #GENERAL_FAILURE}, 504 {@link #TIMED_OUT}.
     *
     * @param status the HTTP status
     * @return the refusal
     * @throws IllegalArgumentException for any other status (407, 429, 503 come from
     *                                  authentication and limits, not from a connect)
     */
    public static Refusal ofHttpStatus(int status) {
        return switch (status) {
            case 403 -> NOT_ALLOWED;
            case 502 -> GENERAL_FAILURE;
            case 504 -> TIMED_OUT;
            default -> throw new IllegalArgumentException("status: " + status + " (expected one of: 403, 502, 504)");
        };
    }

    /** The exception the connect fails with; null for {@link #NOT_ALLOWED}. */
    Exception failure() {
        return failure == null ? null : failure.get();
    }
}
