package dev.sallyport.server;

import dev.sallyport.auth.jdbc.UserAttributes;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --attr KEY=VALUE} of {@code users add} and {@code users set}: checked by {@link #check}
 * before the store opens, so that a bad one exits 2 naming the flag. {@code KEY=} removes the key;
 * of one key given twice, the last counts.
 */
final class AttrOptions {

    @Option(names = "--attr", paramLabel = "KEY=VALUE",
            description = "Set a user attribute that route and access rules read (repeatable); KEY= removes it. "
                    + UserAttributes.RULE + ".")
    List<String> attributes;

    private final Map<String, String> changes = new LinkedHashMap<>();

    void check(CommandLine commandLine) {
        if (attributes == null) {
            return;
        }
        for (String attribute : attributes) {
            int eq = attribute.indexOf('=');
            String key = eq < 0 ? attribute : attribute.substring(0, eq);
            String value = eq < 0 ? "" : attribute.substring(eq + 1);
            try {
                UserAttributes.validate(key, value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(commandLine, "--attr: " + e.getMessage());
            }
            if (eq < 0) {
                // A valid key (checked above), so safe to show.
                throw new CommandLine.ParameterException(commandLine, "--attr: '" + attribute
                        + "' (expected: KEY=VALUE, or KEY= to remove the key)");
            }
            changes.put(key, value);
        }
    }

    boolean any() {
        return attributes != null && !attributes.isEmpty();
    }

    /** The keys to set, and those to remove (empty values); valid once {@link #check} passed. */
    Map<String, String> changes() {
        return changes;
    }
}
