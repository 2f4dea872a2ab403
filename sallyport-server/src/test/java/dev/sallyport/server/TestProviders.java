package dev.sallyport.server;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AccessRuleProvider;
import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthBackendProvider;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.ConnectionPoolProvider;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Decision;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.MetricsSinkProvider;
import dev.sallyport.api.Principal;
import dev.sallyport.api.SessionSummary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Providers of all four SPIs, registered in this module's test {@code META-INF/services}, for
 * starting the server from a config file that names them. The server runs in a child JVM, so each
 * writes what happens to it as lines of the file in its {@code file} setting ({@code pool acquire
 * 127.0.0.1:PORT}, {@code metrics session OK}, {@code rule closed}, ...).
 */
final class TestProviders {

    private TestProviders() {
    }

    private static String required(String provider, Map<String, String> settings, String key) {
        String value = settings.get(key);
        if (value == null) {
            throw new IllegalArgumentException(provider + ": setting '" + key + "' missing");
        }
        return value;
    }

    private static synchronized void record(Map<String, String> settings, String line) {
        try {
            Files.writeString(Path.of(settings.get("file")), line + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code test-auth}: accepts the login {@code user}/{@code password} and refuses any other. */
    public static final class Auth implements AuthBackendProvider {
        @Override
        public String name() {
            return "test-auth";
        }

        @Override
        public AuthBackend create(Map<String, String> settings) {
            String user = required(name(), settings, "user");
            String password = required(name(), settings, "password");
            required(name(), settings, "file");
            return new ClosingAuth(user, password, settings);
        }
    }

    private record ClosingAuth(String user, String password, Map<String, String> settings)
            implements AuthBackend, AutoCloseable {
        @Override
        public CompletableFuture<AuthResult> authenticate(Credentials credentials, dev.sallyport.api.AuthContext context) {
            boolean ok = credentials instanceof Credentials.UsernamePassword login && login.username().equals(user)
                    && login.password().equals(password);
            return CompletableFuture.completedFuture(ok ? AuthResult.success(Principal.of(user))
                    : AuthResult.failure("bad_password"));
        }

        @Override
        public void close() {
            record(settings, "auth closed");
        }

        @Override
        public String toString() {
            return "test-auth[" + user + "]";
        }
    }

    /** {@code test-deny-port}: denies every target on port {@code port}. */
    public static final class Rule implements AccessRuleProvider {
        @Override
        public String name() {
            return "test-deny-port";
        }

        @Override
        public AccessRule create(Map<String, String> settings) {
            int port = Integer.parseInt(required(name(), settings, "port"));
            required(name(), settings, "file");
            return new ClosingRule(port, settings);
        }
    }

    private record ClosingRule(int port, Map<String, String> settings) implements AccessRule, AutoCloseable {
        @Override
        public Decision evaluate(dev.sallyport.api.AccessRequest request) {
            return request.request().targetPort() == port ? Decision.deny("port " + port) : Decision.abstain();
        }

        @Override
        public String name() {
            return "test-deny-port";
        }

        @Override
        public void close() {
            record(settings, "rule closed");
        }
    }

    /** {@code test-file-sink}: writes {@code metrics session OUTCOME} for every session. */
    public static final class Metrics implements MetricsSinkProvider {
        @Override
        public String name() {
            return "test-file-sink";
        }

        @Override
        public MetricsSink create(Map<String, String> settings) {
            required(name(), settings, "file");
            return new ClosingSink(settings);
        }
    }

    private record ClosingSink(Map<String, String> settings) implements MetricsSink, AutoCloseable {
        @Override
        public void sessionClosed(SessionSummary summary) {
            record(settings, "metrics session " + summary.outcome() + " " + summary.targetPort());
        }

        @Override
        public void close() {
            record(settings, "metrics closed");
        }
    }

    /** {@code test-redirect-pool}: dials 127.0.0.1:{@code to} whatever the target, recording the target asked for. */
    public static final class Pool implements ConnectionPoolProvider {
        @Override
        public String name() {
            return "test-redirect-pool";
        }

        @Override
        public ConnectionPool create(Map<String, String> settings) {
            int to = Integer.parseInt(required(name(), settings, "to"));
            required(name(), settings, "file");
            return new RedirectingPool(new InetSocketAddress("127.0.0.1", to), settings);
        }
    }

    private record RedirectingPool(InetSocketAddress to, Map<String, String> settings)
            implements ConnectionPool, AutoCloseable {
        @Override
        public io.netty.util.concurrent.Future<io.netty.channel.Channel> acquire(InetSocketAddress address,
                io.netty.channel.EventLoop eventLoop, Dialer dialer) {
            record(settings, "pool acquire " + address.getAddress().getHostAddress() + ":" + address.getPort());
            return dialer.dial(to, eventLoop);
        }

        @Override
        public void close() {
            record(settings, "pool closed");
        }
    }
}
