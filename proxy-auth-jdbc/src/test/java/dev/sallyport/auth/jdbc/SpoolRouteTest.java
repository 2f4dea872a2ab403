package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;

/** The route and upstream of spooled records: kept by the spool's format 2, absent from format 1 files, which still replay. */
@Timeout(60)
class SpoolRouteTest {

    @TempDir
    Path dir;

    private static SessionSummary session(long id, String user, String route, String upstream) {
        return new SessionSummary(id, user, new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000), Protocol.SOCKS5,
                Command.CONNECT, "target.test", 443, 3, 5, Instant.now().truncatedTo(ChronoUnit.MILLIS),
                Duration.ofMillis(20), Outcome.OK, null, null, route, upstream);
    }

    @Test
    void spooledRecords_keepRouteAndUpstream_andReplayWritesThemExceptPlainDirect() throws Exception {
        DataSource ds = TestDatabase.fresh();
        JdbcStore.create(ds).close();
        Spool spool = new Spool(dir);
        UUID instance = UUID.randomUUID();
        spool.write(instance, List.of(session(1, "alice", "eu", "eu/10.0.0.5:1080"), session(2, "bob", "direct", null),
                session(3, "carol", "direct:127.0.0.2", null), session(4, null, null, null)));

        try (var in = Files.newInputStream(dir.resolve("accounting-" + instance + ".spool"))) {
            assertThat(Spool.read(in).records()).extracting(SessionSummary::route, SessionSummary::upstream)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("eu", "eu/10.0.0.5:1080"),
                            org.assertj.core.groups.Tuple.tuple("direct", null),
                            org.assertj.core.groups.Tuple.tuple("direct:127.0.0.2", null),
                            org.assertj.core.groups.Tuple.tuple(null, null));
        }
        assertThat(spool.replay(Jdbi.create(ds), 100)).isEqualTo(4);
        assertThat(TestDatabase.query(ds, "SELECT session_id, route, upstream FROM sallyport_access_log ORDER BY 1"))
                .containsExactly(List.of(1L, "eu", "eu/10.0.0.5:1080"), Arrays.asList(2L, null, null),
                        Arrays.asList(3L, "direct:127.0.0.2", null), Arrays.asList(4L, null, null));
    }

    @Test
    void formatOneFile_writtenBeforeRoutes_stillReplays_withoutRouteOrUpstream() throws Exception {
        DataSource ds = TestDatabase.fresh();
        JdbcStore.create(ds).close();
        UUID instance = UUID.randomUUID();
        Files.write(dir.resolve("accounting-" + instance + ".spool"), formatOne(instance, 77, "alice"));

        assertThat(new Spool(dir).replay(Jdbi.create(ds), 100)).isEqualTo(1);
        assertThat(TestDatabase.query(ds, "SELECT session_id, user_name, bytes_up, bytes_down, route, upstream "
                + "FROM sallyport_access_log")).containsExactly(Arrays.asList(77L, "alice", 3L, 5L, null, null));
        assertThat(dir).isEmptyDirectory();
    }

    /** One record as version 1 of the spool laid it out, byte for byte. */
    private static byte[] formatOne(UUID instance, long id, String user) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0x53504f4c);
        out.writeInt(1);
        out.writeLong(instance.getMostSignificantBits());
        out.writeLong(instance.getLeastSignificantBits());
        out.writeInt(1);
        out.writeLong(id);
        text(out, user);
        out.writeByte(4);
        out.write(new byte[] {127, 0, 0, 1});
        out.writeInt(40000);
        out.writeUTF("socks5");
        text(out, "CONNECT");
        text(out, "target.test");
        out.writeInt(443);
        out.writeLong(3);
        out.writeLong(5);
        Instant started = Instant.now();
        out.writeLong(started.getEpochSecond());
        out.writeInt(started.getNano());
        out.writeLong(Duration.ofMillis(20).toNanos());
        out.writeUTF("OK");
        text(out, null);
        text(out, null);
        out.flush();
        CRC32 crc = new CRC32();
        crc.update(bytes.toByteArray());
        out.writeLong(crc.getValue());
        return bytes.toByteArray();
    }

    private static void text(DataOutputStream out, String value) throws IOException {
        out.writeBoolean(value != null);
        if (value != null) {
            out.writeUTF(value);
        }
    }
}
