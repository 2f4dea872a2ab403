package dev.sallyport.api;

import java.util.Objects;

/**
 * A configuration setting (a provider's setting, a key of a properties file) with a bad value. It
 * names the {@linkplain #setting() setting} and says what is wrong in {@linkplain #problem() a
 * few words}, so a caller with names of its own for the settings (a command line's flags) can
 * point at the one to fix without reading the message. Never holds a secret.
 */
public final class InvalidSettingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** The setting's name. */
    private final String setting;
    /** What is wrong with its value. */
    private final String problem;

    /**
     * A message reading {@code setting: problem}.
     *
     * @param setting the setting's name
     * @param problem what is wrong with its value
     */
    public InvalidSettingException(String setting, String problem) {
        this(setting, problem, setting + ": " + problem, null);
    }

    /**
     * A message of the thrower's own wording, for example naming the provider the setting
     * belongs to.
     *
     * @param setting the setting's name
     * @param problem what is wrong with its value
     * @param message the whole message
     * @param cause   the cause, or null
     */
    public InvalidSettingException(String setting, String problem, String message, Throwable cause) {
        super(message, cause);
        this.setting = Objects.requireNonNull(setting, "setting");
        this.problem = Objects.requireNonNull(problem, "problem");
    }

    /**
     * The setting's name as the thrower knows it, e.g. {@code url} or {@code bandwidth}.
     *
     * @return the setting's name
     */
    public String setting() {
        return setting;
    }

    /**
     * What is wrong with the value, e.g. {@code 0 (expected: >= 1)}; never the value of a secret.
     *
     * @return the problem
     */
    public String problem() {
        return problem;
    }
}
