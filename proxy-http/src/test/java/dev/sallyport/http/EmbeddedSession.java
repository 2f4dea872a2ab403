package dev.sallyport.http;

import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.ProtocolOptions;
import dev.sallyport.core.spi.Exchange;
import dev.sallyport.core.spi.Session;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Core's side of one client connection, for {@link EmbeddedChannel} tests of the HTTP frontend:
 * the client channel is set up exactly as {@link HttpFrontend} sets it up, every forwarded request
 * is admitted at once onto a fresh embedded origin channel, and a CONNECT waits for the test to
 * settle its dial. Records what the frontend asked for and what it reported.
 */
final class EmbeddedSession implements Session {

    static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
    static final InetSocketAddress LISTENER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);

    /** One admitted forwarded request and how the frontend ended it. */
    static final class Admitted implements Exchange {
        final ProxyRequest request;
        final EmbeddedChannel origin = new EmbeddedChannel();
        Outcome outcome;
        boolean reusable;
        long up;
        long down;

        Admitted(ProxyRequest request) {
            this.request = request;
            origin.config().setAutoRead(false);
        }

        @Override
        public ProxyRequest request() {
            return request;
        }

        @Override
        public Principal principal() {
            return Principal.anonymous();
        }

        @Override
        public Channel outbound() {
            return origin;
        }

        @Override
        public void count(long bytesUp, long bytesDown) {
            up += bytesUp;
            down += bytesDown;
        }

        @Override
        public void end(Outcome how, boolean reuse) {
            if (outcome == null) {
                outcome = how;
                reusable = reuse;
            }
        }

        /** What the frontend sent to the origin, as text. */
        String received() {
            return drain(origin);
        }

        /** Feeds the origin's response bytes. */
        void respond(String response) {
            origin.writeInbound(origin.alloc().buffer().writeBytes(response.getBytes(StandardCharsets.ISO_8859_1)));
        }
    }

    final EmbeddedChannel client = new EmbeddedChannel();
    final List<Admitted> exchanges = new ArrayList<>();
    final List<ProxyRequest> connects = new ArrayList<>();
    final List<Promise<Channel>> dials = new ArrayList<>();
    final List<Channel> relayed = new ArrayList<>();
    final List<Outcome> failures = new ArrayList<>();
    /** Logins the frontend refused itself, as {@code COMMAND host:port reason}. */
    final List<String> refusedLogins = new ArrayList<>();
    private final HttpOptions options;
    private final boolean authenticationRequired;

    EmbeddedSession(HttpOptions options, boolean authenticationRequired) {
        this.options = options;
        this.authenticationRequired = authenticationRequired;
        new HttpFrontend().initChannel(client, this);
    }

    EmbeddedSession() {
        this(HttpOptions.defaults(), false);
    }

    /** Everything written to {@code channel} so far, as text; the buffers are released. */
    static String drain(EmbeddedChannel channel) {
        StringBuilder text = new StringBuilder();
        for (Object out; (out = channel.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) out;
            text.append(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        return text.toString();
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
        throw new UnsupportedOperationException("the HTTP frontend authenticates through connect and exchange");
    }

    @Override
    public Future<Channel> connect(ProxyRequest request) {
        connects.add(request);
        Promise<Channel> dial = client.eventLoop().newPromise();
        dials.add(dial);
        return dial;
    }

    @Override
    public Future<Exchange> exchange(ProxyRequest request) {
        Admitted admitted = new Admitted(request);
        exchanges.add(admitted);
        return client.eventLoop().newSucceededFuture(admitted);
    }

    @Override
    public void relay(Channel outbound) {
        relayed.add(outbound);
    }

    @Override
    public void fail(Outcome outcome) {
        failures.add(outcome);
    }

    @Override
    public void loginRefused(ProxyRequest request, String reason) {
        refusedLogins.add(request.command() + " " + request.targetHost() + ":" + request.targetPort() + " " + reason);
    }
}
