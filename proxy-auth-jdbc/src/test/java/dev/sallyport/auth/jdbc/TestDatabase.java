package dev.sallyport.auth.jdbc;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real PostgreSQL for tests: one embedded server per JVM, shared, with a fresh database per
 * caller; or a private server (for tests that stop and restart it) on a data directory that
 * survives a restart. Loopback only.
 */
final class TestDatabase {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedPostgres shared;

    private TestDatabase() {
    }

    private static synchronized EmbeddedPostgres shared() {
        if (shared == null) {
            try {
                shared = EmbeddedPostgres.builder()
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .setPGStartupWait(Duration.ofSeconds(30))
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    shared.close();
                } catch (IOException ignored) {
                    // The JVM is going away.
                }
            }));
        }
        return shared;
    }

    /** A new, empty database on the shared server. */
    static DataSource fresh() {
        EmbeddedPostgres pg = shared();
        String name = "t" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return dataSource(pg.getPort(), name);
    }

    static PGSimpleDataSource dataSource(int port, String database) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {"127.0.0.1"});
        ds.setPortNumbers(new int[] {port});
        ds.setDatabaseName(database);
        ds.setUser("postgres");
        ds.setConnectTimeout(2);
        ds.setSocketTimeout(10);
        return ds;
    }

    static String url(PGSimpleDataSource ds) {
        return "jdbc:postgresql://127.0.0.1:" + ds.getPortNumbers()[0] + "/" + ds.getDatabaseName();
    }

    /** Runs a query and returns the rows as lists of column values. */
    static List<List<Object>> query(DataSource ds, String sql) {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<List<Object>> rows = new ArrayList<>();
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    row.add(rs.getObject(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static long count(DataSource ds, String sql) {
        return ((Number) query(ds, sql).get(0).get(0)).longValue();
    }

    /** Creates the schema as version {@code version} left it: the migrations up to it, recorded. */
    static void migrateTo(DataSource ds, int version) {
        org.jdbi.v3.core.Jdbi.create(ds).useTransaction(h -> {
            h.execute("CREATE TABLE sallyport_schema_history (version integer PRIMARY KEY, description text NOT NULL, "
                    + "applied_at timestamptz NOT NULL DEFAULT now())");
            for (Schema.Migration m : Schema.MIGRATIONS) {
                if (m.version() <= version) {
                    m.statements().forEach(h::execute);
                    h.execute("INSERT INTO sallyport_schema_history (version, description) VALUES (?, ?)", m.version(),
                            m.description());
                }
            }
        });
    }

    /** A server of its own that a test may stop and start again on the same port and data. */
    static final class Private implements AutoCloseable {
        private final Path dir;
        private final int port;
        private EmbeddedPostgres pg;

        Private() throws IOException {
            dir = Files.createTempDirectory("sallyport-pg");
            pg = start(dir, 0);
            port = pg.getPort();
        }

        private static EmbeddedPostgres start(Path dir, int port) throws IOException {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setPGStartupWait(Duration.ofSeconds(30));
            if (port != 0) {
                builder.setPort(port);
            }
            return builder.start();
        }

        PGSimpleDataSource dataSource() {
            return TestDatabase.dataSource(port, "postgres");
        }

        void stop() throws IOException {
            pg.close();
            pg = null;
        }

        void restart() throws IOException {
            pg = start(dir, port);
        }

        @Override
        public void close() throws IOException {
            if (pg != null) {
                pg.close();
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static Map<String, String> settings(PGSimpleDataSource ds) {
        return Map.of("url", url(ds), "user", "postgres");
    }
}
