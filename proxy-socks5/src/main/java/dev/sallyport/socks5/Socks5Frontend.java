package dev.sallyport.socks5;

import dev.sallyport.api.Protocol;
import dev.sallyport.core.spi.Frontend;
import dev.sallyport.core.spi.Session;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.socksx.SocksVersion;

/**
 * The SOCKS5 frontend (RFC 1928 with RFC 1929 username/password), found by core through
 * {@link java.util.ServiceLoader}. Host applications do not use it directly: they call
 * {@code ProxyManager.builder().socks5(port)} with this module on the class path.
 */
public final class Socks5Frontend implements Frontend {

    /** For {@link java.util.ServiceLoader}. */
    public Socks5Frontend() {
    }

    @Override
    public String name() {
        return "socks5";
    }

    @Override
    public Protocol protocol() {
        return Protocol.SOCKS5;
    }

    @Override
    public boolean claims(ByteBuf firstBytes) {
        return firstBytes.isReadable() && firstBytes.getByte(firstBytes.readerIndex()) == SocksVersion.SOCKS5.byteValue();
    }

    @Override
    public void initChannel(Channel channel, Session session) {
        Socks5Handshake.start(channel, session);
    }
}
