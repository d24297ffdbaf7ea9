package io.jvisor.cli;

import java.util.Objects;

/**
 * The console escape of QEMU's -nographic / -serial mon:stdio, as a pure state machine over
 * the bytes typed on the host terminal: the escape key (Ctrl-A, 0x01) followed by
 * <ul>
 * <li>{@code x}: quit (runs the quit action; everything after it is ignored),</li>
 * <li>{@code h} or {@code ?}: print help (runs the help action),</li>
 * <li>{@code c}: switch between the guest console and the monitor (runs the switch action),</li>
 * <li>Ctrl-A: send one Ctrl-A to the guest,</li>
 * <li>anything else: dropped, as QEMU does with escape commands it does not know.</li>
 * </ul>
 * Every other byte passes through unchanged. An escape at the end of one chunk of input
 * combines with the first byte of the next.
 */
public final class EscapeFilter {
    public static final int CTRL_A = 0x01;

    private final Runnable onQuit;
    private final Runnable onHelp;
    private final Runnable onSwitch;
    private boolean escaped;
    private boolean quit;

    /** {@code onQuit} and {@code onHelp} run on the thread calling {@link #filter}. */
    public EscapeFilter(Runnable onQuit, Runnable onHelp) {
        this(onQuit, onHelp, () -> { });
    }

    /** With {@code onSwitch} for Ctrl-A c (console and monitor). */
    public EscapeFilter(Runnable onQuit, Runnable onHelp, Runnable onSwitch) {
        this.onQuit = Objects.requireNonNull(onQuit);
        this.onHelp = Objects.requireNonNull(onHelp);
        this.onSwitch = Objects.requireNonNull(onSwitch);
    }

    /**
     * Filters {@code len} bytes of {@code buf} from {@code off} in place: the bytes for the
     * guest end up at {@code buf[off..off+result)}. Actions run as their keys are met.
     */
    public int filter(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        int w = off;
        for (int i = off; i < off + len && !quit; i++) {
            int b = buf[i] & 0xff;
            if (escaped) {
                escaped = false;
                switch (b) {
                    case CTRL_A -> buf[w++] = (byte) CTRL_A;
                    case 'x', 'X' -> {
                        quit = true;
                        onQuit.run();
                    }
                    case 'h', 'H', '?' -> onHelp.run();
                    case 'c', 'C' -> onSwitch.run();
                    default -> { } // unknown escape command: dropped
                }
            } else if (b == CTRL_A) {
                escaped = true;
            } else {
                buf[w++] = (byte) b;
            }
        }
        return w - off;
    }

    /** True after Ctrl-A x: the filter passes nothing more. */
    public boolean quitRequested() {
        return quit;
    }

    /** True when the last byte seen was an unconsumed Ctrl-A. */
    public boolean escapePending() {
        return escaped;
    }

    /** The help text, lines ending in CR LF (the terminal is in raw mode). */
    public static String helpText() {
        return "C-a h    print this help\r\n"
                + "C-a x    exit jvisor\r\n"
                + "C-a c    switch between the console and the monitor\r\n"
                + "C-a C-a  sends C-a\r\n";
    }
}
