package dev.sallyport.core.internal.policy;

import dev.sallyport.api.AccessRequest;
import dev.sallyport.api.AccessRule;
import dev.sallyport.api.Command;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Decision;
import dev.sallyport.api.Principal;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.ProxyRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rule that returns null instead of a {@link Decision} denies (fail closed), like one that
 * throws, and is reported at WARN once per rule instance, however many requests and threads.
 * The log is read from slf4j-simple's output (System.out in the test JVM).
 */
@Timeout(30)
class RuleChainNullTest {

    private static final ProxyRequest REQUEST = new ProxyRequest(Protocol.SOCKS5, Command.CONNECT,
            new InetSocketAddress("192.0.2.1", 40000), new InetSocketAddress("127.0.0.1", 1080), Credentials.none(),
            "example.test", 443);
    private static final InetAddress TARGET = new InetSocketAddress("203.0.113.7", 0).getAddress();

    private static AccessRequest request() {
        return new AccessRequest(REQUEST, Principal.anonymous(), TARGET);
    }

    /** A rule named uniquely (so its log lines are told apart from other tests') that returns null. */
    private static AccessRule returningNull(String name, AtomicInteger calls) {
        return AccessRule.named(name, request -> {
            calls.incrementAndGet();
            return null;
        });
    }

    private static String uniqueName() {
        return "null-rule-" + UUID.randomUUID();
    }

    @Test
    void ruleReturningNull_denies_andLaterRulesAreNotAsked() {
        String name = uniqueName();
        AtomicInteger later = new AtomicInteger();
        RuleChain chain = new RuleChain(List.of(returningNull(name, new AtomicInteger()),
                AccessRule.named("later", request -> {
                    later.incrementAndGet();
                    return Decision.allow("later allows");
                })), List.of());

        RuleChain.Verdict verdict = chain.evaluate(request());

        assertThat(verdict.allowed()).isFalse();
        assertThat(verdict.rule()).isEqualTo(name);
        assertThat(verdict.decision().verdict()).isEqualTo(Decision.Verdict.DENY);
        assertThat(verdict.decision().reason()).isEqualTo("rule returned null (fail closed)");
        assertThat(later).hasValue(0);
    }

    @Test
    void ruleReturningNull_deniesEveryResolvedAddress() {
        String name = uniqueName();
        RuleChain chain = new RuleChain(List.of(returningNull(name, new AtomicInteger())), List.of());

        RuleChain.Verdict verdict = chain.evaluateAll(REQUEST, Principal.anonymous(), List.of(TARGET));

        assertThat(verdict.allowed()).isFalse();
        assertThat(verdict.rule()).isEqualTo(name);
    }

    @Test
    void ruleReturningNull_isLoggedOncePerRuleInstance_fromConcurrentRequests() throws Exception {
        String name = uniqueName();
        AtomicInteger calls = new AtomicInteger();
        AccessRule first = returningNull(name, calls);
        AccessRule second = returningNull(name, calls);
        RuleChain chain = new RuleChain(List.of(first), List.of());
        RuleChain sameRuleAgain = new RuleChain(List.of(first), List.of());
        RuleChain otherInstance = new RuleChain(List.of(second), List.of());
        int threads = 8;
        int requestsEach = 200;

        List<String> lines = captureLog(name, () -> {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    done.add(pool.submit(() -> {
                        go.await();
                        for (int i = 0; i < requestsEach; i++) {
                            assertThat(chain.evaluate(request()).allowed()).isFalse();
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> future : done) {
                    future.get();
                }
            } finally {
                pool.shutdownNow();
            }
            // A chain rebuilt around the same instance (accessRules(...) at run time) does not log it again.
            assertThat(sameRuleAgain.evaluate(request()).allowed()).isFalse();
            // Another instance is another rule.
            assertThat(otherInstance.evaluate(request()).allowed()).isFalse();
        });

        assertThat(calls).hasValue(threads * requestsEach + 2);
        assertThat(lines).hasSize(2).allSatisfy(line -> assertThat(line)
                .contains("WARN", "Access rule " + name + " (", "returned null", "fail closed"));
    }

    /** The lines logged while {@code action} ran that mention {@code marker}. */
    private static List<String> captureLog(String marker, ThrowingRunnable action) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setOut(original);
        }
        return bytes.toString(StandardCharsets.UTF_8).lines().filter(line -> line.contains(marker)).toList();
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
