package io.jvisor.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The front end through the real jvisor process: QEMU-style command lines, the start line,
 * the monitor on standard input and on a Unix socket, Debian's gdb against the stub, and the
 * console under a pseudo-terminal across a guest reboot.
 */
class FrontEndProcessTest {
    static final Duration LIMIT = Duration.ofSeconds(90);
    /** guests/debug/counter.asm ends with (5 << 1) | 1. */
    static final int COUNTER_STATUS = 11;

    static Path counter;
    static Path echo;

    @TempDir
    static Path dir;

    @BeforeAll
    static void guests() throws Exception {
        assumeTrue(JvisorProcess.haveTool("nasm") && JvisorProcess.haveTool("ld"),
                "nasm and ld are needed to assemble the debug guests");
        counter = JvisorProcess.guest("counter");
        echo = JvisorProcess.guest("echo");
    }

    /** Command lines as QEMU's documentation writes them, with jvisor's kernel. */
    @ParameterizedTest
    @ValueSource(strings = {
        "-kernel K -nographic -no-reboot",
        "-M pc -m 64M -smp 1 -cpu max -accel tcg -display none -name guest=test -serial none -monitor none -kernel K",
        "-machine pc,accel=tcg -m size=64M -kernel K -serial stdio -append console=ttyS0",
        "-kernel K -d guest_errors,cpu_reset -D LOG -debugcon file:LOG2 -no-shutdown -accel tcg,thread=single",
        "-kernel K -cpu core2duo -smp cpus=1 -vga none -nographic -device pvpanic",
        "run --kernel K --engine interp --memory 32M --quiet",
    })
    void qemuStyleCommandLinesRunTheGuest(String line) throws Exception {
        List<String> args = new ArrayList<>();
        for (String a : line.split(" ")) {
            args.add(a.equals("K") ? counter.toString() : a.equals("LOG") ? dir.resolve("log").toString()
                    : a.equals("LOG2") ? dir.resolve("debugcon").toString() : a);
        }
        try (JvisorProcess p = JvisorProcess.run(LIMIT, args.toArray(String[]::new))) {
            assertEquals(COUNTER_STATUS, p.exitValue(), line + "\n" + p.stderr());
            if (line.contains("--quiet")) {
                assertTrue(p.stderr().isEmpty(), p.stderr());
            } else {
                assertTrue(p.stderr().startsWith("jvisor: starting VM"), "the start line: " + p.stderr());
                assertTrue(p.stderr().contains("multiboot kernel " + counter), p.stderr());
            }
            if (line.contains("-name")) {
                assertTrue(p.stderr().contains("VM 'test'"), p.stderr());
            }
        }
        if (line.contains("-D")) {
            assertTrue(Files.exists(dir.resolve("log")));
        }
    }

    @Test
    void monitorOnStandardInput() throws Exception {
        try (JvisorProcess p = JvisorProcess.start("-kernel", echo.toString(), "-serial", "none", "-monitor", "stdio")) {
            p.awaitOutput("(jvisor) ", LIMIT);
            p.type("info status\n");
            p.awaitOutput("VM status: running", LIMIT);
            p.type("stop\ninfo status\n");
            p.awaitOutput("VM status: paused", LIMIT);
            p.type("info registers\n");
            p.awaitOutput("EIP=", LIMIT);
            p.type("xp /4xb 0x100000\n");
            p.awaitOutput("000100000: 0x02 0xb0 0xad 0x1b", LIMIT);   // the multiboot magic, little-endian
            p.type("x /1xw 0x100000\n");
            p.awaitOutput("00100000: 0x1badb002", LIMIT);
            p.type("info pic\ninfo cpus\ninfo mem\n");
            p.awaitOutput("paging is disabled", LIMIT);
            assertTrue(p.stdout().contains("pic master"), p.stdout());
            assertTrue(p.stdout().contains("* CPU #0: pc=0x"), p.stdout());
            p.type("info stats\n");
            p.awaitOutput("IO_PORT", LIMIT);
            p.type("frobnicate\n");
            p.awaitOutput("unknown command: 'frobnicate'", LIMIT);
            p.type("cont\ninfo status\n");
            p.awaitOutput("VM status: running", 2, LIMIT);
            p.type("quit\n");
            assertEquals(0, p.awaitExit(LIMIT), p.stderr());
        }
    }

    @Test
    void monitorOnAUnixSocketAndSystemReset() throws Exception {
        Path sock = dir.resolve("mon.sock");
        try (JvisorProcess p = JvisorProcess.start("-kernel", echo.toString(), "-monitor",
                "unix:" + sock + ",server,nowait")) {
            p.awaitOutput("echo ready", LIMIT);
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                c.connect(UnixDomainSocketAddress.of(sock));
                var out = Channels.newOutputStream(c);
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c),
                        StandardCharsets.UTF_8));
                assertTrue(in.readLine().startsWith("jvisor monitor"));
                out.write("system_reset\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                p.awaitOutput("echo ready", 2, LIMIT);   // the machine booted again
                out.write("quit\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                assertEquals(0, p.awaitExit(LIMIT), p.stderr());
            }
        }
        assertFalse(Files.exists(sock), "the socket file is removed at the end");
    }

    @Test
    void gdbBreaksStepsReadsAndContinuesToTheExit() throws Exception {
        assumeTrue(JvisorProcess.haveTool("gdb"), "Debian's gdb is needed for the stub test");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (JvisorProcess vm = JvisorProcess.start("-kernel", counter.toString(), "-serial", "none", "-S", "-gdb",
                "tcp::" + port)) {
            vm.type("");
            Process gdb = new ProcessBuilder("gdb", "-batch", "-nx",
                    "-ex", "file " + counter.toAbsolutePath(),
                    "-ex", "target remote 127.0.0.1:" + port,
                    "-ex", "break tick",
                    "-ex", "continue",
                    "-ex", "print *(int *) &counter",
                    "-ex", "continue",
                    "-ex", "print *(int *) &counter",
                    "-ex", "stepi",
                    "-ex", "print $pc",
                    "-ex", "delete",
                    "-ex", "watch *(int *) &counter",
                    "-ex", "continue",
                    "-ex", "delete",
                    "-ex", "set var *(int *) &counter = 40",
                    "-ex", "continue")
                    .redirectErrorStream(true).start();
            String log = new String(gdb.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, gdb.waitFor(), log);
            assertTrue(log.contains("Breakpoint 1, 0x00100026 in tick ()"), log);   // nm: tick = 0x100026
            assertTrue(log.contains("$1 = 0"), log);
            assertTrue(log.contains("$2 = 1"), log);
            assertTrue(log.contains("$3 = (void (*)()) 0x10002c <tick+6>"), log);   // past inc dword [counter]
            assertTrue(log.contains("Old value = 2") && log.contains("New value = 3"), log);
            // counter set to 40 by the debugger, then tick() runs twice more: exit status (42 << 1) | 1
            assertTrue(log.contains("exited with code 0125"), log);
            assertEquals((42 << 1) | 1, vm.awaitExit(LIMIT), vm.stderr());
        }
    }

    @Test
    void noShutdownHoldsAPoweredOffGuestForTheMonitor() throws Exception {
        assumeTrue(JvisorProcess.haveTool("script"), "script(1) from util-linux provides the pseudo-terminal");
        try (JvisorProcess p = JvisorProcess.startOnTerminal("-kernel", echo.toString(), "-no-shutdown")) {
            p.awaitOutput("echo ready", LIMIT);
            p.type("poweroff\r");
            Thread.sleep(300);
            p.type("\u0001c");
            p.awaitOutput("(jvisor) ", LIMIT);
            p.type("info status\r");
            p.awaitOutput("the guest has powered off", LIMIT);
            p.type("system_reset\r");
            p.awaitOutput("echo ready", 2, LIMIT);
            p.type("\u0001c");
            p.type("after\r");
            p.awaitOutput("got: after", LIMIT);
            p.type("\u0001x");
            assertEquals(0, p.awaitExit(Duration.ofSeconds(20)), p.stdout());
        }
    }

    @Test
    void consoleSurvivesAGuestRebootAndCtrlAxQuitsAtOnce() throws Exception {
        assumeTrue(JvisorProcess.haveTool("script"), "script(1) from util-linux provides the pseudo-terminal");
        try (JvisorProcess p = JvisorProcess.startOnTerminal("-kernel", echo.toString())) {
            p.awaitOutput("echo ready", LIMIT);
            p.type("hello\r");
            p.awaitOutput("got: hello", LIMIT);
            p.type("reboot\r");
            p.awaitOutput("echo ready", 2, LIMIT);
            p.type("again\r");
            p.awaitOutput("got: again", LIMIT);
            // the monitor on Ctrl-A c, and back
            p.type("\u0001c");
            p.awaitOutput("(jvisor) ", LIMIT);
            p.type("info registers\r");
            p.awaitOutput("EAX=", LIMIT);
            p.type("\u0001c");
            p.type("still here\r");
            p.awaitOutput("got: still here", LIMIT);
            long t0 = System.nanoTime();
            p.type("\u0001x");
            assertEquals(0, p.awaitExit(Duration.ofSeconds(20)), p.stdout());
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "Ctrl-A x ends jvisor at once");
        }
    }
}
