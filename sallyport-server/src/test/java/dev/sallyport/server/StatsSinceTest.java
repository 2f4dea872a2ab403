package dev.sallyport.server;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code stats --since} beyond what a timestamp holds is a usage error naming the flag and the
 * limit (exit 2), found before the database is asked, not an arithmetic failure of the query.
 */
@Timeout(60)
class StatsSinceTest {

    @ParameterizedTest
    @ValueSource(strings = {"99999999999d", "1000000d", "300000w", "99999999999999999999d", "36501d"})
    void sinceTooFarBack_isAUsageError_namingTheLimit(String since) throws Exception {
        String url;
        try (ServerSocket nobody = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            url = "jdbc:postgresql://127.0.0.1:" + nobody.getLocalPort() + "/nothing";
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int exit = Main.run(new String[] {"stats", "--since", since, "--jdbc-url", url},
                new PrintWriter(out, true), new PrintWriter(err, true));

        assertThat(exit).as(err.toString()).isEqualTo(2);
        assertThat(err.toString()).contains("--since: '" + since + "' (expected: at most 36500d)")
                .doesNotContain("Exception");
    }
}
