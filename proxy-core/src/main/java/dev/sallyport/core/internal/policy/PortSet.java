package dev.sallyport.core.internal.policy;

import java.util.BitSet;

/** A set of TCP/UDP ports written as {@code 80,443,8000-8100}. */
public final class PortSet {

    private final BitSet ports = new BitSet(65536);
    private final String text;

    private PortSet(String text) {
        this.text = text;
    }

    public static PortSet parse(String setting, String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(setting + ": empty (expected: ports such as 80,443,8000-8100)");
        }
        PortSet set = new PortSet(text.trim());
        for (String part : text.split(",", -1)) {
            String item = part.trim();
            int dash = item.indexOf('-');
            int from = port(setting, text, dash < 0 ? item : item.substring(0, dash));
            int to = dash < 0 ? from : port(setting, text, item.substring(dash + 1));
            if (to < from) {
                throw new IllegalArgumentException(setting + ": '" + item + "' (expected: a range low-high)");
            }
            set.ports.set(from, to + 1);
        }
        return set;
    }

    private static int port(String setting, String text, String value) {
        try {
            int port = Integer.parseInt(value.trim());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException ignored) {
            // Reported below.
        }
        throw new IllegalArgumentException(setting + ": '" + text + "' (expected: ports 0-65535 such as 80,443,8000-8100)");
    }

    public boolean contains(int port) {
        return ports.get(port);
    }

    @Override
    public String toString() {
        return text;
    }
}
