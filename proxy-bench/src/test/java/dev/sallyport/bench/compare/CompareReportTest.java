package dev.sallyport.bench.compare;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The target check of compare.sh's report: medians over rounds, ratios and verdicts per password variant. */
class CompareReportTest {

    @Test
    void passwordVariants_areCheckedAt50AndOneAtATime_perProtocol() {
        CompareReport report = new CompareReport();
        for (int round = 1; round <= 3; round++) {
            // Medians: socks5 4000 / 2000, its password variant 3600 / 1600; http 5000 / 2500, 4900 / 2450.
            add(report, round, "sallyport-socks5", 4000 + round, 2000 - round);
            add(report, round, "sallyport-socks5-auth", 3600, 1600 + round);
            add(report, round, "sallyport-http", 5000, 2500);
            add(report, round, "sallyport-http-auth", 4900, 2450);
            add(report, round, "tinyproxy", 4000, 3000);
        }

        String out = print(report);

        assertThat(out).containsPattern("MISS sallyport-socks5: sessions/s with password >= 0\\.95x without\\s+ratio 0\\.90")
                .containsPattern("MISS sallyport-socks5: sessions/s one at a time with password >= 0\\.95x without\\s+ratio 0\\.80")
                .containsPattern("MET  sallyport-http: sessions/s with password >= 0\\.95x without\\s+ratio 0\\.98")
                .containsPattern("MET  sallyport-http: sessions/s one at a time with password >= 0\\.95x without\\s+ratio 0\\.98")
                .containsPattern("MISS sallyport-socks5: sessions/s one at a time >= 1\\.0x best peer \\(tinyproxy\\)\\s+ratio 0\\.67");
    }

    private static void add(CompareReport report, int round, String target, double at50, double at1) {
        report.add("RESULT round=" + round + " target=" + target + " mode=sessions concurrency=50 rate=" + at50);
        report.add("RESULT round=" + round + " target=" + target + " mode=sessions concurrency=1 rate=" + at1);
    }

    private static String print(CompareReport report) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        report.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
