package io.jvisor.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A monitor conversation over a line-based stream (-monitor stdio, one client of -monitor
 * unix:PATH): a banner, then prompt, command, answer, until end of input or {@code quit}.
 */
final class MonitorSession implements Runnable {
    static final String BANNER = "jvisor monitor - type 'help' for more information\n";

    private final Monitor monitor;
    private final InputStream in;
    private final PrintStream out;

    MonitorSession(Monitor monitor, InputStream in, OutputStream out) {
        this.monitor = monitor;
        this.in = in;
        this.out = new PrintStream(out, true, StandardCharsets.UTF_8);
    }

    @Override
    public void run() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            out.print(BANNER);
            out.print(Monitor.PROMPT);
            out.flush();
            String line;
            while ((line = r.readLine()) != null) {
                out.print(monitor.execute(line));
                String verb = line.strip().split("\\s+")[0];
                if (verb.equals("quit") || verb.equals("q")) {
                    return;
                }
                out.print(Monitor.PROMPT);
                out.flush();
            }
        } catch (IOException e) {
            // the client went away: the session ends, the VM goes on
        }
    }

    /** Starts a session on a daemon thread. */
    static Thread start(Monitor monitor, InputStream in, OutputStream out, String name) {
        return Thread.ofPlatform().daemon().name(name).start(new MonitorSession(monitor, in, out));
    }
}
