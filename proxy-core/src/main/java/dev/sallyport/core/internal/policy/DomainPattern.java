package dev.sallyport.core.internal.policy;

import java.util.Locale;

/**
 * A destination name pattern: {@code example.com} matches that name only; {@code *.example.com}
 * matches every name below it but not {@code example.com} itself. Case-insensitive; a trailing
 * dot is ignored.
 */
public record DomainPattern(String suffix, boolean wildcard, String text) {

    public static DomainPattern parse(String setting, String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(setting + ": empty pattern (expected: example.com or *.example.com)");
        }
        String t = normalize(text.trim());
        boolean wildcard = t.startsWith("*.");
        String name = wildcard ? t.substring(1) : t;
        if (name.isEmpty() || name.equals(".") || name.contains("*") || name.contains(" ")) {
            throw new IllegalArgumentException(setting + ": '" + text + "' (expected: example.com or *.example.com)");
        }
        return new DomainPattern(name, wildcard, text.trim());
    }

    public boolean matches(String host) {
        String h = normalize(host);
        return wildcard ? h.endsWith(suffix) && h.length() > suffix.length() : h.equals(suffix);
    }

    private static String normalize(String host) {
        String lower = host.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    @Override
    public String toString() {
        return text;
    }
}
