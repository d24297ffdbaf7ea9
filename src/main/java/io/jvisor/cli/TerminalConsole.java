package io.jvisor.cli;

import io.jvisor.devices.Uart16550;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Connects the process's standard input to a guest serial port (host side; the guest's output
 * goes wherever the UART's output stream points, normally standard output).
 *
 * <p>When standard input is a terminal, the terminal is put in raw mode ({@code stty raw -echo
 * opost}: no line editing, no echo, no signals from Ctrl-C or Ctrl-Z, which all go to the
 * guest; output post-processing stays on so host messages still start at column 0) and the
 * original settings ({@code stty -g}) are restored by {@link #close()}, on Ctrl-A x, and by a
 * shutdown hook. Typed bytes pass through {@link EscapeFilter}: Ctrl-A x quits (restores the
 * terminal, then runs the quit action), Ctrl-A h prints help, Ctrl-A c runs the switch action
 * (the monitor), Ctrl-A Ctrl-A sends Ctrl-A.
 *
 * <p>When standard input is not a terminal (a pipe or a file), nothing is changed and every
 * byte goes to the guest as it is, Ctrl-A included; end of file simply ends the input.
 *
 * <p>Input is read on a daemon thread, which calls the sink and the quit action; the sink
 * must be thread-safe ({@link Uart16550#receive(byte[])} is).
 */
public final class TerminalConsole implements AutoCloseable {
    /** Switches a terminal to raw mode and back. */
    interface RawMode {
        void enter() throws IOException;

        void restore();
    }

    private final InputStream in;
    private final PrintStream messages;
    private final RawMode rawMode;
    private final Consumer<byte[]> sink;
    private final Runnable onQuit;
    private final EscapeFilter escapes;
    private final AtomicBoolean rawActive = new AtomicBoolean();
    private final AtomicBoolean started = new AtomicBoolean();
    private Thread reader;
    private Thread shutdownHook;

    /**
     * A console on the process's standard input feeding {@code uart}; {@code onQuit} runs on
     * the input thread after Ctrl-A x (the terminal already restored). Call {@link #start()}.
     */
    public static TerminalConsole forStdin(Uart16550 uart, Runnable onQuit) {
        return forStdin(uart::receive, onQuit);
    }

    /** As {@link #forStdin(Uart16550, Runnable)}, feeding any thread-safe byte sink. */
    public static TerminalConsole forStdin(Consumer<byte[]> sink, Runnable onQuit) {
        return forStdin(sink, onQuit, () -> { });
    }

    /** As {@link #forStdin(Consumer, Runnable)}; {@code onSwitch} runs on Ctrl-A c. */
    public static TerminalConsole forStdin(Consumer<byte[]> sink, Runnable onQuit, Runnable onSwitch) {
        return new TerminalConsole(new FileInputStream(FileDescriptor.in), System.out, Stty.forStdin(), sink, onQuit,
                onSwitch);
    }

    /** {@code rawMode} null means the input is not a terminal: no raw mode, no escapes. */
    TerminalConsole(InputStream in, PrintStream messages, RawMode rawMode, Consumer<byte[]> sink, Runnable onQuit) {
        this(in, messages, rawMode, sink, onQuit, () -> { });
    }

    TerminalConsole(InputStream in, PrintStream messages, RawMode rawMode, Consumer<byte[]> sink, Runnable onQuit,
                    Runnable onSwitch) {
        this.in = Objects.requireNonNull(in);
        this.messages = Objects.requireNonNull(messages);
        this.rawMode = rawMode;
        this.sink = Objects.requireNonNull(sink);
        this.onQuit = Objects.requireNonNull(onQuit);
        this.escapes = new EscapeFilter(() -> { }, this::printHelp, onSwitch);
    }

    /** True when the input is a terminal (raw mode and the Ctrl-A escapes apply). */
    public boolean interactive() {
        return rawMode != null;
    }

    /** Enters raw mode if the input is a terminal and starts reading. Returns this. */
    public TerminalConsole start() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("already started");
        }
        if (rawMode != null) {
            try {
                rawMode.enter();
                rawActive.set(true);
                shutdownHook = new Thread(this::restoreTerminal, "jvisor-terminal-restore");
                Runtime.getRuntime().addShutdownHook(shutdownHook);
            } catch (IOException e) {
                messages.print("jvisor: cannot put the terminal in raw mode (" + e.getMessage() + ")\r\n");
                messages.flush();
            }
        }
        reader = Thread.ofPlatform().daemon().name("jvisor-console-input").start(this::readLoop);
        return this;
    }

    /**
     * Waits up to {@code timeout} for the input to end (end of file, read error or Ctrl-A x);
     * true if it has.
     */
    public boolean awaitEndOfInput(Duration timeout) throws InterruptedException {
        Thread t = reader;
        if (t == null) {
            return false;
        }
        t.join(timeout);
        return !t.isAlive();
    }

    /** Restores the terminal. The input thread, blocked in a read, is a daemon and is left. */
    @Override
    public void close() {
        restoreTerminal();
        Thread hook = shutdownHook;
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or will: nothing to undo
            }
        }
    }

    private void restoreTerminal() {
        if (rawActive.compareAndSet(true, false)) {
            rawMode.restore();
        }
    }

    private void printHelp() {
        messages.print("\r\n" + EscapeFilter.helpText());
        messages.flush();
    }

    private void readLoop() {
        byte[] buf = new byte[4096];
        try {
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    return;
                }
                if (rawMode != null) {
                    filterInOrder(buf, n);
                } else if (n > 0) {
                    sink.accept(Arrays.copyOf(buf, n));
                }
                if (escapes.quitRequested()) {
                    restoreTerminal();
                    onQuit.run();
                    return;
                }
            }
        } catch (IOException e) {
            // input closed under us: the same as end of file
        }
    }

    /**
     * Passes a chunk through the escape filter so that an escape's action (Ctrl-A c switching
     * to the monitor) runs after the bytes typed before it reached the sink and before the
     * bytes typed after it: the chunk is cut just before each Ctrl-A c.
     */
    private void filterInOrder(byte[] buf, int n) {
        int from = 0;
        for (int i = 0; i < n; i++) {
            boolean afterEscape = i == from ? escapes.escapePending() : buf[i - 1] == EscapeFilter.CTRL_A
                    && !(i - 2 >= from && buf[i - 2] == EscapeFilter.CTRL_A);
            if (afterEscape && (buf[i] == 'c' || buf[i] == 'C') && i > from) {
                deliver(buf, from, i - from);
                from = i;
            }
        }
        deliver(buf, from, n - from);
    }

    private void deliver(byte[] buf, int off, int len) {
        if (len <= 0 || escapes.quitRequested()) {
            return;
        }
        int m = escapes.filter(buf, off, len);
        if (m > 0) {
            sink.accept(Arrays.copyOfRange(buf, off, off + m));
        }
    }

    /** Raw mode through stty(1) on the terminal that is standard input. */
    static final class Stty implements RawMode {
        private final String saved;

        private Stty(String saved) {
            this.saved = saved;
        }

        /** The terminal on standard input with its current settings, or null if it is none. */
        static Stty forStdin() {
            try {
                String settings = run("-g");
                if (settings == null || !settings.matches("[0-9A-Za-z:=]+")) {
                    return null;
                }
                return new Stty(settings);
            } catch (IOException e) {
                return null;
            }
        }

        @Override
        public void enter() throws IOException {
            if (run("raw", "-echo", "opost") == null) {
                throw new IOException("stty raw failed");
            }
        }

        @Override
        public void restore() {
            try {
                run(saved);
            } catch (IOException e) {
                // nothing more can be done for the terminal
            }
        }

        /** Runs stty on our standard input; its output, or null if it failed. */
        private static String run(String... args) throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add("stty");
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd)
                    .redirectInput(Redirect.INHERIT)
                    .redirectError(Redirect.DISCARD)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            try {
                return p.waitFor() == 0 ? out : null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for stty", e);
            }
        }
    }
}
