package io.jvisor.cli;

import java.io.PrintStream;
import java.util.function.Consumer;

/**
 * The terminal shared by the guest console and the monitor (QEMU's mon:stdio): typed bytes
 * go to the guest until Ctrl-A c switches to the monitor, where they are edited as a line
 * (echo, backspace, Enter runs the command), and back again on the next Ctrl-A c. The
 * terminal is in raw mode, so this does the echoing itself. With no monitor (it has a backend
 * of its own) Ctrl-A c only says so.
 */
final class ConsoleMux implements Consumer<byte[]> {
    private final Consumer<byte[]> guest;
    private final Monitor monitor;
    private final PrintStream out;
    private final StringBuilder line = new StringBuilder();
    private volatile boolean monitorMode;
    private boolean bannerShown;

    ConsoleMux(Consumer<byte[]> guest, Monitor monitor, PrintStream out) {
        this.guest = guest;
        this.monitor = monitor;
        this.out = out;
    }

    /** Ctrl-A c: console to monitor or back. */
    synchronized void toggle() {
        if (monitor == null) {
            out.print("\n[jvisor: the monitor has a backend of its own (-monitor); Ctrl-A c does nothing here]\n");
            out.flush();
            return;
        }
        monitorMode = !monitorMode;
        if (monitorMode) {
            out.print("\n" + (bannerShown ? "" : MonitorSession.BANNER) + Monitor.PROMPT + line);
            bannerShown = true;
        } else {
            out.print("\n");
        }
        out.flush();
    }

    boolean inMonitor() {
        return monitorMode;
    }

    @Override
    public synchronized void accept(byte[] bytes) {
        if (!monitorMode) {
            guest.accept(bytes);
            return;
        }
        for (byte x : bytes) {
            int b = x & 0xff;
            if (b == '\r' || b == '\n') {
                out.print("\n");
                String cmd = line.toString();
                line.setLength(0);
                out.print(monitor.execute(cmd));
                out.print(Monitor.PROMPT);
            } else if (b == 0x7f || b == 0x08) {
                if (!line.isEmpty()) {
                    line.setLength(line.length() - 1);
                    out.print("\b \b");
                }
            } else if (b == 0x15) {   // Ctrl-U: erase the line
                out.print("\r" + Monitor.PROMPT + " ".repeat(line.length()) + "\r" + Monitor.PROMPT);
                line.setLength(0);
            } else if (b >= 0x20 && b < 0x7f) {
                line.append((char) b);
                out.print((char) b);
            }
        }
        out.flush();
    }
}
