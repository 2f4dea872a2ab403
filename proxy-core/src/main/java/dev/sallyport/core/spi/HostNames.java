package dev.sallyport.core.spi;

/** The one rule every frontend applies to a target host name before core sees it. */
public final class HostNames {

    /** RFC 1035: at most 253 characters in a dotted name. */
    public static final int MAX_LENGTH = 253;

    private HostNames() {
    }

    /**
     * Whether {@code host} is a plausible DNS name (or an IPv4 literal, which has the same
     * characters): 1 to 253 of letters, digits, '-', '_' and '.', no leading dot, no empty label.
     *
     * @param host the name to check
     * @return whether it is plausible
     */
    public static boolean isValid(String host) {
        if (host.isEmpty() || host.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_';
            if (!ok) {
                return false;
            }
        }
        return host.charAt(0) != '.' && !host.contains("..");
    }
}
