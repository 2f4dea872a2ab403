package dev.sallyport.core.testing;

import dev.sallyport.api.Protocol;
import dev.sallyport.core.spi.Frontend;
import dev.sallyport.core.spi.Session;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A protocol module for core's own tests (core cannot depend on the real ones): serves listener
 * {@code socks5}, claims every connection and does nothing with it, so core's guard drops the
 * bytes and the handshake timeout (or shutdown) closes it.
 */
public final class NullFrontend implements Frontend {

    /** A class loader that finds this frontend through {@link java.util.ServiceLoader}, for {@code classLoader(...)}. */
    public static ClassLoader loader() {
        try {
            Path dir = Files.createTempDirectory("frontend");
            Path services = dir.resolve("META-INF/services");
            Files.createDirectories(services);
            Files.writeString(services.resolve(Frontend.class.getName()), NullFrontend.class.getName() + "\n");
            dir.toFile().deleteOnExit();
            return new URLClassLoader(new URL[] {dir.toUri().toURL()}, NullFrontend.class.getClassLoader());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
        return true;
    }

    @Override
    public void initChannel(Channel channel, Session session) {
        // Nothing.
    }
}
