package dev.sallyport.server;

import dev.sallyport.core.ProxyManager;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code serve --forward-auth} (config key {@code forward-auth=true}): {@code GET /auth} on the
 * metrics port, for Traefik's {@code forwardAuth}, nginx's {@code auth_request} and Envoy's
 * {@code ext_authz} ({@link ForwardAuthEndpoint}); {@code --forward-auth-trusted CIDR,...} (key
 * {@code forward-auth-trusted}) names the reverse proxies whose {@code X-Forwarded-For} is believed.
 *
 * <p>Fail closed: only callers on loopback or in the trusted CIDRs get answers (403 to others),
 * so on a metrics port beyond loopback ({@code --metrics-bind 0.0.0.0}) {@code --forward-auth}
 * needs {@code --forward-auth-trusted}, or {@code serve} refuses to start; and without logins
 * to check (no {@code --user}, {@code --jdbc-url} or auth provider) it refuses too.
 */
final class ForwardAuthFlags {

    static final String ENABLED = "forward-auth";
    static final String TRUSTED = "forward-auth-trusted";
    /** The config-file keys of these flags. */
    static final Set<String> KEYS = Set.of(ENABLED, TRUSTED);

    @Option(names = "--forward-auth", negatable = true, description = "Serve GET /auth on the --metrics port: 200 "
            + "with X-Sallyport-User for good Basic or Bearer credentials, 401, 429 when locked out, 503 when the "
            + "auth backend is down (for Traefik forwardAuth, nginx auth_request, Envoy ext_authz).")
    boolean enabled;

    @Option(names = "--forward-auth-trusted", paramLabel = "CIDR[,CIDR...]", split = ",", description = "The reverse "
            + "proxies that may ask /auth from beyond loopback; their X-Forwarded-For names the client whose failed "
            + "logins count.")
    List<String> trusted = new ArrayList<>();

    /** Checks the flags before anything listens; {@code metricsAddress} is where /auth would listen. */
    void preflight(CommandLine commandLine, Integer metricsPort, InetAddress metricsAddress) {
        if (!enabled) {
            if (!trusted.isEmpty()) {
                throw new CommandLine.ParameterException(commandLine, "--forward-auth-trusted: needs --forward-auth");
            }
            return;
        }
        if (metricsPort == null) {
            throw new CommandLine.ParameterException(commandLine, "--forward-auth: needs --metrics PORT "
                    + "(/auth is served on the metrics port)");
        }
        if (!metricsAddress.isLoopbackAddress() && trusted.isEmpty()) {
            throw new CommandLine.ParameterException(commandLine, "--forward-auth: the metrics port listens on "
                    + metricsAddress.getHostAddress() + ", beyond loopback (expected: --forward-auth-trusted CIDR,... "
                    + "naming the reverse proxies, which alone get answers)");
        }
        try {
            // The library's own check of the CIDRs: one parser, one message.
            ProxyManager.builder().forwardAuth(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    trusted.toArray(String[]::new));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(commandLine, "--forward-auth-trusted: "
                    + e.getMessage().replace("forwardAuth: ", ""));
        }
    }

    /** Adds the forward-auth flags to the effective-configuration line when it is on. */
    void describe(java.util.Map<String, Object> settings) {
        if (enabled) {
            settings.put(ENABLED, true);
            settings.put(TRUSTED, trusted);
        }
    }

    /** The endpoint, or null when forward auth is off. */
    ForwardAuthEndpoint endpoint() {
        return enabled ? new ForwardAuthEndpoint(trusted) : null;
    }

    /**
     * Points {@code endpoint} (null: off) at the started {@code proxy}; a proxy without logins
     * is closed and refused: forward auth would have nothing to check.
     */
    static void attach(ForwardAuthEndpoint endpoint, ProxyManager proxy) {
        if (endpoint == null) {
            return;
        }
        try {
            endpoint.attach(proxy);
        } catch (IllegalStateException e) {
            proxy.close(java.time.Duration.ZERO);
            throw new IllegalStateException("--forward-auth: the proxy requires no login (expected: --user, --jdbc-url "
                    + "or --auth-provider)", e);
        }
    }
}
