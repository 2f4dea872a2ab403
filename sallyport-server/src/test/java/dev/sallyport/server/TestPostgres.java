package dev.sallyport.server;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Duration;

/**
 * An embedded PostgreSQL on loopback for a class of the standalone server's tests:
 * {@code @RegisterExtension static TestPostgres postgres = new TestPostgres();}, then {@link #url()}.
 */
final class TestPostgres implements BeforeAllCallback, AfterAllCallback {

    private EmbeddedPostgres postgres;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1")
                .setPGStartupWait(Duration.ofSeconds(60)).start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        postgres.close();
    }

    /** The JDBC URL of the database {@code postgres} (user {@code postgres}). */
    String url() {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
    }
}
