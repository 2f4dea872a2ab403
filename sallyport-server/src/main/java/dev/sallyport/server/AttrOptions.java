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
            if (eq < 0) {
                throw new CommandLine.ParameterException(commandLine, "--attr: '" + printable(attribute)
                        + "' (expected: KEY=VALUE, or KEY= to remove the key)");
            }
            String key = attribute.substring(0, eq);
            String value = attribute.substring(eq + 1);
            try {
                UserAttributes.validate(key, value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(commandLine, "--attr: " + e.getMessage());
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

    private static String printable(String text) {
        String head = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        StringBuilder out = new StringBuilder(head.length());
        head.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return out.toString();
    }
}
