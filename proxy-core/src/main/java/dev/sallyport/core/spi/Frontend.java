package dev.sallyport.core.spi;

import dev.sallyport.api.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * A protocol module's entry point, found by core with {@link java.util.ServiceLoader}. A frontend
 * only speaks its protocol: it decodes the client's handshake into a
 * {@link dev.sallyport.api.ProxyRequest}, asks its {@link Session} to admit and connect it, and
 * encodes the verdict as its own wire reply. Core decides, dials and relays.
 *
 * <p>Implementations are stateless and thread-safe; per-connection state lives in the handlers
 * that {@link #initChannel} adds.
 */
public interface Frontend {

    /**
     * The listener name that selects this frontend, e.g. {@code socks5}; lowercase.
     *
     * @return the listener name
     */
    String name();

    /**
     * The protocol of the sessions this frontend serves.
     *
     * @return the protocol
     */
    Protocol protocol();

    /**
     * Whether the first bytes a client sent belong to this frontend (used by ports that serve
     * several protocols). Must not change {@code firstBytes}' indexes.
     *
     * @param firstBytes the bytes read so far
     * @return whether this frontend serves the client
     */
    boolean claims(ByteBuf firstBytes);

    /**
     * Adds this frontend's handlers to a newly accepted client channel. Auto-read is on; core's
     * own handler sits at the tail of the pipeline. Called on the channel's event loop.
     *
     * @param channel the client channel
     * @param session the session of this client
     */
    void initChannel(Channel channel, Session session);
}
