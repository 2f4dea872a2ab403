package dev.sallyport.core.internal;

import dev.sallyport.core.spi.Frontend;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

import java.util.List;

/**
 * Adds the frontend's handlers and core's guard to each accepted connection, or, on a listener
 * with several frontends, a detector that routes on the first bytes.
 */
final class ListenerInitializer extends ChannelInitializer<Channel> {
    private final Engine engine;
    private final List<Frontend> frontends;
    private final io.netty.handler.ssl.SslContext tls;

    ListenerInitializer(Engine engine, List<Frontend> frontends, io.netty.handler.ssl.SslContext tls) {
        this.engine = engine;
        this.frontends = frontends;
        this.tls = tls;
    }

    @Override
    protected void initChannel(Channel channel) {
        if (!engine.register(channel)) {
            channel.close();
            return;
        }
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
}
