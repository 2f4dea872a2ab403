package dev.sallyport.core.internal;

import dev.sallyport.core.spi.Frontend;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * Adds the frontend's handlers and core's guard to each accepted connection, or, on a listener
 * with several frontends, a detector that routes on the first bytes. On a listener with PROXY
 * protocol, a {@link ProxyProtocolGate} goes first and installs the rest once it knows the client;
 * a listener without it gets exactly the handlers it always had.
 */
final class ListenerInitializer extends ChannelInitializer<Channel> implements ProxyProtocolGate.Listener {
    private static final Logger log = LoggerFactory.getLogger(ListenerInitializer.class);

    private final Engine engine;
    private final String name;
    private final List<Frontend> frontends;
    /** Null when the listener speaks no PROXY protocol. */
    private final ProxyProtocolPolicy proxyProtocol;

    ListenerInitializer(Engine engine, String name, List<Frontend> frontends, ProxyProtocolPolicy proxyProtocol) {
        this.engine = engine;
        this.name = name;
        this.frontends = frontends;
        this.proxyProtocol = proxyProtocol;
    }

    @Override
    protected void initChannel(Channel channel) {
        if (proxyProtocol == null) {
            if (engine.register(channel, true)) {
                install(channel);
            } else {
                channel.close();
            }
            return;
        }
        InetSocketAddress peer = (InetSocketAddress) channel.remoteAddress();
        boolean trusted = proxyProtocol.trusts(peer.getAddress());
        // A trusted balancer is not one client: its connections are counted per client once the
        // header names the client. Anyone else is counted as themselves at once.
        if (!engine.register(channel, !trusted)) {
            channel.close();
            return;
        }
        if (!trusted && proxyProtocol.required()) {
            refuse(channel, "untrusted", "required, and the source is not trusted");
            return;
        }
        channel.pipeline().addLast(ProxyProtocolGate.NAME, new ProxyProtocolGate(this,
                engine.settings().handshakeTimeout(), trusted, proxyProtocol.required()));
    }

    /** The handlers of a connection whose client is known: TLS, then the frontend or the detector. */
    void install(Channel channel) {
        // Read per connection: a reload's new certificate serves the next handshake.
        io.netty.handler.ssl.SslContext tls = engine.live().tls(name);
        if (tls != null) {
            // The frontend sees plaintext; a failed TLS handshake closes the connection.
            io.netty.handler.ssl.SslHandler handler = tls.newHandler(channel.alloc());
            handler.setHandshakeTimeoutMillis(engine.settings().handshakeTimeout().toMillis());
            channel.pipeline().addLast("sallyport-tls", handler);
        }
        if (frontends.size() == 1) {
            engine.startSession(channel, frontends.get(0));
        } else {
            channel.pipeline().addLast(ProtocolDetector.NAME, new ProtocolDetector(engine, frontends));
        }
    }

    /** A trusted header named the client (or the peer stands for itself): count it, then serve it. */
    @Override
    public void clientKnown(Channel channel, boolean countClient) {
        if (countClient) {
            engine.countClient(channel);
        }
        install(channel);
    }

    /** Closes a connection the PROXY protocol rules refuse; {@code reason} is a short bounded word. */
    @Override
    public void refuse(Channel channel, String reason, String detail) {
        log.debug("{}: closing the connection from {} (PROXY protocol: {})", name, channel.remoteAddress(), detail);
        engine.metrics().rejected(frontends.get(0).protocol(), "proxy_protocol_" + reason);
        channel.close();
    }
}
