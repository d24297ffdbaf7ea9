package io.jvisor.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real jvisor process for front-end tests: {@code java ... io.jvisor.cli.Main ARGS} with
 * the test's class path and the launcher's JVM options, optionally under a pseudo-terminal
 * (util-linux script(1)). Its output is collected as it comes, to wait for text.
 */
final class JvisorProcess implements AutoCloseable {
    static final Path DEBUG_GUESTS = Path.of("guests", "debug");
    static final Path OUT = Path.of("target", "guests");

    private final Process process;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final OutputStream in;

    private JvisorProcess(Process p) {
        this.process = p;
        this.in = p.getOutputStream();
        pump(p.getInputStream(), out);
        pump(p.getErrorStream(), err);
    }

    /** The java command that runs jvisor's Main with {@code args}. */
    static List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(List.of("-Xss16m", "-XX:+UseParallelGC", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), "io.jvisor.cli.Main"));
        cmd.addAll(args);
        return cmd;
    }

    /** Starts jvisor with {@code args}; standard input is a pipe. */
    static JvisorProcess start(String... args) throws IOException {
        return new JvisorProcess(new ProcessBuilder(command(List.of(args))).start());
    }

    /** Starts jvisor under a pseudo-terminal: what {@link #type} writes arrives as typed keys. */
    static JvisorProcess startOnTerminal(String... args) throws IOException {
        StringBuilder line = new StringBuilder();
        for (String a : command(List.of(args))) {
            line.append('\'').append(a.replace("'", "'\\''")).append("' ");
        }
        return new JvisorProcess(new ProcessBuilder("script", "-qfec", line.toString(), "/dev/null").start());
    }

    /** Runs jvisor to its end (at most {@code timeout}) with nothing on standard input. */
    static JvisorProcess run(Duration timeout, String... args) throws Exception {
        JvisorProcess p = start(args);
        p.in.close();
        p.awaitExit(timeout);
        return p;
    }

    private static void pump(InputStream s, ByteArrayOutputStream to) {
        Thread.ofPlatform().daemon().start(() -> {
            byte[] b = new byte[4096];
            try {
                int n;
                while ((n = s.read(b)) > 0) {
                    synchronized (to) {
                        to.write(b, 0, n);
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    String stdout() {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    String stderr() {
        synchronized (err) {
            return err.toString(StandardCharsets.UTF_8);
        }
    }

    void type(String s) throws IOException {
        in.write(s.getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** Waits until standard output contains {@code text} {@code times} times. */
    void awaitOutput(String text, int times, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            String s = stdout();
            int n = 0;
            for (int at = s.indexOf(text); at >= 0; at = s.indexOf(text, at + 1)) {
                n++;
            }
            if (n >= times) {
                return;
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(20);
        }
        fail("no '" + text + "' (x" + times + ") in the output:\n" + stdout() + "\nstderr:\n" + stderr());
    }

    void awaitOutput(String text, Duration timeout) throws InterruptedException {
        awaitOutput(text, 1, timeout);
    }

    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            fail("jvisor did not end within " + timeout + "; output:\n" + stdout() + "\nstderr:\n" + stderr());
        }
        Thread.sleep(50);   // the last output
        return process.exitValue();
    }

    int exitValue() {
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    static boolean haveTool(String tool) {
        try {
            return new ProcessBuilder("sh", "-c", "command -v " + tool).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Assembles guests/debug/NAME.asm into target/guests/NAME.elf (a multiboot kernel at 1 MiB, with symbols). */
    static Path guest(String name) throws Exception {
        Files.createDirectories(OUT);
        Path obj = OUT.resolve(name + ".o"), elf = OUT.resolve(name + ".elf");
        exec("nasm", "-f", "elf32", "-Werror", "-o", obj.toString(), DEBUG_GUESTS.resolve(name + ".asm").toString());
        exec("ld", "-m", "elf_i386", "-N", "-Ttext=0x100000", "-e", "_start", "-nostdlib", "--build-id=none",
                "--no-warn-rwx-segments", "-o", elf.toString(), obj.toString());
        Files.deleteIfExists(obj);
        return elf;
    }

    private static void exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ":\n" + log);
    }
}
