package dev.sallyport.core.spi;

/**
 * Paces one direction of a session to the user's bandwidth limit. The caller {@linkplain #charge
 * charges} every buffer it passed on; when the budget is spent the shaper runs the {@code pause}
 * action it was made with (stop reading the side the bytes came from) and, once the budget has
 * refilled, the {@code resume} action. Bytes already read are never held back or dropped: shaping
 * delays the next read. Confined to one event loop; one shaper per direction.
 */
public interface Shaper {

    /** A shaper for a user without a bandwidth limit: never pauses. */
    Shaper NONE = new Shaper() {
        @Override
        public boolean charge(long bytes) {
            return false;
        }

        @Override
        public boolean paused() {
            return false;
        }

        @Override
        public void cancel() {
        }
    };

    /**
     * Charges {@code bytes} just passed on. When that overdraws the budget and no pause is running,
     * runs {@code pause} now and schedules {@code resume}. Returns whether a pause is running.
     *
     * @param bytes the bytes passed on
     * @return whether a pause is running
     */
    boolean charge(long bytes);

    /**
     * Whether a pause is running: {@code resume} has not run yet.
     *
     * @return whether a pause is running
     */
    boolean paused();

    /** Cancels a running pause without running {@code resume} (the session is ending). */
    void cancel();
}
