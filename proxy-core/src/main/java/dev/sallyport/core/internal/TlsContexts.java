package dev.sallyport.core.internal;

import io.netty.handler.ssl.SslContext;

import java.util.LinkedHashMap;
import java.util.Map;

/** The listeners' server TLS contexts, loaded from a configuration (at start, and again by a reload). */
public final class TlsContexts {

    private TlsContexts() {
    }

    /**
     * Loads the key and certificates of every listener with TLS; a listener name that is not
     * configured or a key that does not load is an {@link IllegalStateException} naming it.
     */
    public static Map<String, SslContext> of(Config b) {
        Map<String, SslContext> contexts = new LinkedHashMap<>();
        for (Map.Entry<String, Config.TlsSource> entry : b.tls.entrySet()) {
            String listener = entry.getKey();
            if (!b.listeners.containsKey(listener)) {
                throw new IllegalStateException("tls: no listener named '" + listener + "' (expected one of: "
                        + b.listeners.keySet() + ")");
            }
            Config.TlsSource source = entry.getValue();
            try {
                io.netty.handler.ssl.SslContextBuilder builder;
                if (source.keyStore() != null) {
                    javax.net.ssl.KeyManagerFactory keys = javax.net.ssl.KeyManagerFactory.getInstance(
                            javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                    keys.init(source.keyStore(), source.keyPassword());
                    builder = io.netty.handler.ssl.SslContextBuilder.forServer(keys);
                } else {
                    builder = io.netty.handler.ssl.SslContextBuilder.forServer(source.certificateChainPem().toFile(),
                            source.privateKeyPem().toFile());
                }
                contexts.put(listener, builder.sslProvider(io.netty.handler.ssl.SslProvider.JDK).build());
            } catch (javax.net.ssl.SSLException | java.security.GeneralSecurityException | IllegalArgumentException e) {
                throw new IllegalStateException("tls: cannot load the key and certificates of listener '" + listener
                        + "' (" + e.getMessage() + "; expected: a PEM certificate chain and a PKCS#8 PEM key, "
                        + "or a key store holding one key entry)", e);
            }
        }
        return Map.copyOf(contexts);
    }
}
