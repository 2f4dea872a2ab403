package dev.sallyport.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@code users} subcommand against a real PostgreSQL, with the exit codes the README
 * promises: 0 done, 2 bad input (a user that does not exist, or already does for {@code add}),
 * with one line naming the user.
 */
@Timeout(180)
class UsersExitCodesTest {

    @RegisterExtension
    static TestPostgres postgres = new TestPostgres();

    private record Run(int exit, String err) {
    }

    private static ServerProcess start(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("users"));
        command.addAll(List.of(args));
        command.addAll(List.of("--jdbc-url", postgres.url(), "--jdbc-user", "postgres"));
        return ServerProcess.start(command.toArray(String[]::new));
    }

    private static Run users(String... args) throws Exception {
        try (ServerProcess process = start(args)) {
            int exit = process.awaitExit();
            return new Run(exit, process.stderr());
        }
    }

    /** {@code users list}: the header line, then the line of {@code user}. */
    private static List<String> listed(String user) throws Exception {
        try (ServerProcess process = start("list")) {
            String header = process.nextLine();
            String line = process.nextLine();
            while (!line.startsWith(user + " ")) {
                line = process.nextLine();
            }
            assertThat(process.awaitExit()).isZero();
            return List.of(header, line);
        }
    }

    private static void assertBadInput(Run run, String message) {
        assertThat(run.exit()).as(run.err()).isEqualTo(2);
        assertThat(run.err().lines().filter(l -> l.startsWith("sallyport:")).toList()).containsExactly(message);
    }

    @Test
    void unknownUser_exitsTwo_forEverySubcommandThatNamesOne() throws Exception {
        for (String[] args : List.of(new String[] {"remove", "nobody"}, new String[] {"rotate", "nobody"},
                new String[] {"disable", "nobody"}, new String[] {"enable", "nobody"},
                new String[] {"set", "nobody", "--max-sessions", "1"})) {
            assertBadInput(users(args), "sallyport: name: no user 'nobody' (see --help)");
        }
    }

    @Test
    void add_existingUser_exitsTwo_andTheFirstStays() throws Exception {
        assertThat(users("add", "dora").exit()).isZero();
        assertBadInput(users("add", "dora"), "sallyport: name: user 'dora' already exists (see --help)");
        assertThat(listed("dora").get(1)).contains("enabled");
    }

    @Test
    void maxSessions_setsTheUsersConcurrentSessions_andTheOldSpellingStillWorksWithOneWarn() throws Exception {
        assertThat(users("add", "erin", "--max-sessions", "3").exit()).isZero();
        try (ServerProcess old = start("set", "erin", "--max-connections", "4")) {
            // The tests' logging configuration writes warnings to stdout, before the command's own line.
            assertThat(old.nextLine()).contains(" WARN ").contains("--max-connections is deprecated")
                    .endsWith("use --max-sessions");
            assertThat(old.nextLine()).isEqualTo("updated erin");
            assertThat(old.awaitExit()).isZero();
        }
        List<String> list = listed("erin");
        assertThat(list.get(0)).contains("MAX-SESS");
        assertThat(list.get(1)).containsPattern("enabled +4 ");
    }
}
