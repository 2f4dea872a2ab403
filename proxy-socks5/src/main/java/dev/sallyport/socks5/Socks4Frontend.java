package dev.sallyport.socks5;

import dev.sallyport.api.Protocol;
import dev.sallyport.core.spi.Frontend;
import dev.sallyport.core.spi.Session;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.socksx.SocksVersion;

/**
 * The SOCKS4 and SOCKS4a frontend, found by core through {@link java.util.ServiceLoader}. It also
 * answers on every SOCKS5 listener (core routes on the first byte: 0x04 here, 0x05 to SOCKS5).
 *
 * <p>SOCKS4 cannot carry a password: when the proxy requires authentication every SOCKS4 request
 * is refused with 0x5B, so enabling users never opens a password-less back door.
 */
public final class Socks4Frontend implements Frontend {

    /** For {@link java.util.ServiceLoader}. */
    public Socks4Frontend() {
    }

    @Override
    public String name() {
        return "socks4";
    }

    @Override
    public Protocol protocol() {
        return Protocol.SOCKS4;
    }

    @Override
    public boolean claims(ByteBuf firstBytes) {
        return firstBytes.isReadable() && firstBytes.getByte(firstBytes.readerIndex()) == SocksVersion.SOCKS4a.byteValue();
    }

    @Override
    public void initChannel(Channel channel, Session session) {
        Socks4Handshake.start(channel, session);
    }
}
