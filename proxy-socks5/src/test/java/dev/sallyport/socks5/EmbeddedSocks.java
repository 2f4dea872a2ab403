package dev.sallyport.socks5;

import dev.sallyport.api.Credentials;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.DatagramCodec;
import dev.sallyport.core.spi.Exchange;
import dev.sallyport.core.spi.Frontend;
import dev.sallyport.core.spi.Session;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A frontend's handlers on an {@link EmbeddedChannel}, with core played by a {@link Session} the
 * test drives: it records what the handlers ask for, and completes logins and dials when told.
 * Input is fed whole, in fragments or byte by byte ({@link Feed}); replies are read as bytes.
 */
final class EmbeddedSocks implements Session {

    static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
    static final InetSocketAddress LISTENER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 1080);

    /** How the client's bytes arrive. */
    enum Feed {
        WHOLE, FRAGMENTS, BYTE_BY_BYTE;

        /** The bytes cut as this feed cuts them: one piece, irregular pieces of 1 to 3 bytes, or single bytes. */
        List<byte[]> cut(byte[] all) {
            List<byte[]> pieces = new ArrayList<>();
            int step = 0;
            for (int at = 0; at < all.length; ) {
                int size = switch (this) {
                    case WHOLE -> all.length;
                    case FRAGMENTS -> 1 + step++ % 3;
                    case BYTE_BY_BYTE -> 1;
                };
                size = Math.min(size, all.length - at);
                byte[] piece = new byte[size];
                System.arraycopy(all, at, piece, 0, size);
                pieces.add(piece);
                at += size;
            }
            return pieces;
        }
    }

    final EmbeddedChannel channel = new EmbeddedChannel();
    private final boolean authenticationRequired;
    /** Logins answered when they come; a test may set one to leave pending. */
    Promise<Principal> pendingLogin;
    final List<Credentials> logins = new ArrayList<>();
    final List<ProxyRequest> requests = new ArrayList<>();
    /** The verdict on the last CONNECT, BIND or UDP ASSOCIATE, for the test to complete. */
    Promise<Channel> dial;
    Promise<InetSocketAddress> association;
    DatagramCodec codec;
    Consumer<InetSocketAddress> listening;
    Channel relayed;
    Outcome failure;

    private EmbeddedSocks(boolean authenticationRequired) {
        this.authenticationRequired = authenticationRequired;
    }

    static EmbeddedSocks socks5(boolean authenticationRequired) {
        return start(new Socks5Frontend(), authenticationRequired);
    }

    static EmbeddedSocks socks4(boolean authenticationRequired) {
        return start(new Socks4Frontend(), authenticationRequired);
    }

    private static EmbeddedSocks start(Frontend frontend, boolean authenticationRequired) {
        EmbeddedSocks socks = new EmbeddedSocks(authenticationRequired);
        frontend.initChannel(socks.channel, socks);
        return socks;
    }

    EmbeddedSocks send(Feed feed, int... bytes) {
        return send(feed, bytes(bytes));
    }

    /** Writes {@code bytes} as {@code feed} cuts them, until the handlers close the connection (as a socket would). */
    EmbeddedSocks send(Feed feed, byte[] bytes) {
        for (byte[] piece : feed.cut(bytes)) {
            if (!channel.isOpen()) {
                break;
            }
            channel.writeInbound(Unpooled.wrappedBuffer(piece));
        }
        return this;
    }

    static byte[] bytes(int... values) {
        byte[] raw = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            raw[i] = (byte) values[i];
        }
        return raw;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }

    /** Everything written to the client so far, as bytes. */
    byte[] replies() {
        return drain(channel::readOutbound);
    }

    /** Everything that went on past the handshake (into the relay), as bytes. */
    byte[] passedOn() {
        return drain(channel::readInbound);
    }

    /** The bytes of every buffer {@code next} hands out until it has none; each is released. */
    private static byte[] drain(Supplier<Object> next) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (Object message; (message = next.get()) != null; ) {
            ByteBuf buf = (ByteBuf) message;
            try {
                byte[] raw = new byte[buf.readableBytes()];
                buf.readBytes(raw);
                all.writeBytes(raw);
            } finally {
                buf.release();
            }
        }
        return all.toByteArray();
    }

    /** Whether none of the frontend's handlers is left in the pipeline. */
    boolean handshakeGone() {
        return channel.pipeline().names().stream().noneMatch(name -> name.startsWith("socks"));
    }

    /** Ends the test: nothing left unread on either side, nothing thrown. */
    void finish() {
        assertThat(channel.finish()).as("messages left in the channel").isFalse();
        if (dial != null && dial.isSuccess()) {
            ((EmbeddedChannel) dial.getNow()).finishAndReleaseAll();
        }
    }

    /** A dialled channel with a real-looking local address, as core hands one over. */
    static EmbeddedChannel outbound(InetSocketAddress local, InetSocketAddress remote) {
        return new EmbeddedChannel() {
            @Override
            protected SocketAddress localAddress0() {
                return local;
            }

            @Override
            protected SocketAddress remoteAddress0() {
                return remote;
            }
        };
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
        return pendingLogin != null ? pendingLogin : channel.eventLoop().newSucceededFuture(Principal.of(credentials.username()));
    }

    @Override
    public Future<Channel> connect(ProxyRequest request) {
        requests.add(request);
        dial = channel.eventLoop().newPromise();
        return dial;
    }

    @Override
    public Future<Exchange> exchange(ProxyRequest request) {
        throw new UnsupportedOperationException("exchange: not a SOCKS call");
    }

    @Override
    public Future<Channel> bind(ProxyRequest request, Consumer<InetSocketAddress> listening) {
        requests.add(request);
        this.listening = listening;
        dial = channel.eventLoop().newPromise();
        return dial;
    }

    @Override
    public Future<InetSocketAddress> associate(ProxyRequest request, DatagramCodec codec) {
        requests.add(request);
        this.codec = codec;
        association = channel.eventLoop().newPromise();
        return association;
    }

    @Override
    public void relay(Channel outbound) {
        relayed = outbound;
    }

    @Override
    public void fail(Outcome outcome) {
        if (failure == null) {
            failure = outcome;
        }
    }

    @Override
    public void loginRefused(ProxyRequest request, String reason) {
        throw new AssertionError("SOCKS never refuses a login for a request: " + request + " " + reason);
    }
}
