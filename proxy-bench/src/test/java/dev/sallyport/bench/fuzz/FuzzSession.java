package dev.sallyport.bench.fuzz;

import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.ProtocolOptions;
import dev.sallyport.core.spi.DatagramCodec;
import dev.sallyport.core.spi.Exchange;
import dev.sallyport.core.spi.Session;
import dev.sallyport.core.spi.SessionException;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Core played for one fuzzed client connection: it records what the frontend asks for (logins,
 * requests, failures) and answers each login and each admission with the {@link Verdict} the
 * property drew, at once or when {@link #settle} is called. Admitted channels are embedded ones on
 * the wire's allocator, so that what the frontend writes to them is checked for leaks too.
 */
final class FuzzSession implements Session {

    static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
    static final InetSocketAddress LISTENER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 1080);
    private static final InetSocketAddress BOUND = new InetSocketAddress(InetAddress.getLoopbackAddress(), 50000);

    /** How core answers a login or an admission. */
    enum Verdict {
        NOW_OK, NOW_REFUSED, LATER_OK, LATER_REFUSED, NEVER;

        boolean later() {
            return this == LATER_OK || this == LATER_REFUSED;
        }

        boolean ok() {
            return this == NOW_OK || this == LATER_OK;
        }
    }

    private final Wire wire;
    private final boolean authenticationRequired;
    private final ProtocolOptions options;
    private final Verdict login;
    private final Verdict admission;
    private final List<Runnable> later = new ArrayList<>();

    final List<Credentials> logins = new ArrayList<>();
    final List<ProxyRequest> requests = new ArrayList<>();
    final List<Outcome> failures = new ArrayList<>();
    final List<EmbeddedChannel> outbound = new ArrayList<>();
    final List<Exchange> exchanges = new ArrayList<>();
    DatagramCodec codec;

    FuzzSession(Wire wire, boolean authenticationRequired, ProtocolOptions options, Verdict login, Verdict admission) {
        this.wire = wire;
        this.authenticationRequired = authenticationRequired;
        this.options = options;
        this.login = login;
        this.admission = admission;
    }

    /** Gives the answers drawn as {@code LATER_*}, in the order they were asked for. */
    void settle() {
        List<Runnable> answers = new ArrayList<>(later);
        later.clear();
        answers.forEach(Runnable::run);
    }

    /** Whether a login was asked for that core never answers. */
    boolean loginPending() {
        return !logins.isEmpty() && login == Verdict.NEVER;
    }

    /** Whether an admission was asked for that core never answers. */
    boolean admissionPending() {
        return !requests.isEmpty() && admission == Verdict.NEVER;
    }

    private <T> Future<T> answer(Verdict verdict, Outcome refusal, Supplier<T> success) {
        Promise<T> promise = wire.channel.eventLoop().newPromise();
        Runnable settle = () -> {
            if (verdict.ok()) {
                promise.setSuccess(success.get());
            } else {
                promise.setFailure(new SessionException(refusal, null, "refused by the fuzz session", null));
            }
        };
        if (verdict.later()) {
            later.add(settle);
        } else if (verdict != Verdict.NEVER) {
            settle.run();
        }
        return promise;
    }

    /** An admitted outbound channel, as core hands one over: auto-read off, the wire's allocator. */
    private EmbeddedChannel dialed(InetSocketAddress remote) {
        EmbeddedChannel channel = new EmbeddedChannel() {
            @Override
            protected SocketAddress localAddress0() {
                return BOUND;
            }

            @Override
            protected SocketAddress remoteAddress0() {
                return remote;
            }
        };
        channel.config().setAllocator(wire.alloc);
        channel.config().setAutoRead(false);
        outbound.add(channel);
        return channel;
    }

    @Override
    public InetSocketAddress client() {
        return CLIENT;
    }

    @Override
    public InetSocketAddress listener() {
        return LISTENER;
    }

    @Override
    public <T extends ProtocolOptions> Optional<T> options(Class<T> type) {
        return type.isInstance(options) ? Optional.of(type.cast(options)) : Optional.empty();
    }

    @Override
    public boolean authenticationRequired() {
        return authenticationRequired;
    }

    @Override
    public Principal principal() {
        return Principal.anonymous();
    }

    @Override
    public Future<Principal> authenticate(Credentials credentials) {
        logins.add(credentials);
        return answer(login, Outcome.AUTH_FAILED, () -> Principal.of(credentials.username()));
    }

    @Override
    public Future<Channel> connect(ProxyRequest request) {
        requests.add(request);
        return answer(admission, Outcome.CONNECTION_REFUSED, () -> dialed(BOUND));
    }

    @Override
    public Future<Channel> bind(ProxyRequest request, Consumer<InetSocketAddress> listening) {
        requests.add(request);
        if (admission != Verdict.NOW_REFUSED) {
            listening.accept(BOUND);
        }
        return answer(admission, Outcome.CONNECT_TIMEOUT, () -> dialed(CLIENT));
    }

    @Override
    public Future<InetSocketAddress> associate(ProxyRequest request, DatagramCodec codec) {
        requests.add(request);
        this.codec = codec;
        return answer(admission, Outcome.DENIED, () -> BOUND);
    }

    @Override
    public Future<Exchange> exchange(ProxyRequest request) {
        requests.add(request);
        return answer(admission, Outcome.CONNECTION_REFUSED, () -> {
            Exchange exchange = new Admitted(request, dialed(BOUND));
            exchanges.add(exchange);
            return exchange;
        });
    }

    @Override
    public void relay(Channel outbound) {
        // Core would relay from here on; the fuzzed part, the frontend, is done.
    }

    @Override
    public void fail(Outcome outcome) {
        failures.add(outcome);
    }

    @Override
    public void loginRefused(ProxyRequest request, String reason) {
        failures.add(Outcome.AUTH_FAILED);
    }

    /** A forwarded HTTP request admitted onto an embedded origin channel. */
    private record Admitted(ProxyRequest request, Channel outbound) implements Exchange {

        @Override
        public Principal principal() {
            return Principal.anonymous();
        }

        @Override
        public void count(long up, long down) {
            // Accounting is core's; nothing to check here.
        }

        @Override
        public void end(Outcome outcome, boolean reusable) {
            if (!reusable) {
                outbound.close();
            }
        }
    }
}
