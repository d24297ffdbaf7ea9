package io.jvisor.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TerminalConsoleTest {
    static final Duration WAIT = Duration.ofSeconds(10);

    /** Records what the console does, in order. */
    final List<String> events = new CopyOnWriteArrayList<>();
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final ByteArrayOutputStream messageBytes = new ByteArrayOutputStream();
    final PrintStream messages = new PrintStream(messageBytes, true, StandardCharsets.UTF_8);

    final Consumer<byte[]> sink = b -> {
        synchronized (received) {
            received.writeBytes(b);
        }
        events.add("data " + b.length);
    };

    final class FakeRaw implements TerminalConsole.RawMode {
        boolean fail;

        @Override
        public void enter() throws IOException {
            events.add("raw");
            if (fail) {
                throw new IOException("no tty");
            }
        }

        @Override
        public void restore() {
            events.add("restore");
        }
    }

    byte[] received() {
        synchronized (received) {
            return received.toByteArray();
        }
    }

    @Test
    void pipeInputPassesThroughAsIs() throws InterruptedException {
        byte[] input = {'e', 'c', 'h', 'o', 0x01, 'x', 0x01, 0x01, '\n'};
        TerminalConsole c = new TerminalConsole(new ByteArrayInputStream(input), messages, null, sink,
                () -> events.add("quit"));
        assertFalse(c.interactive());
        c.start();
        assertTrue(c.awaitEndOfInput(WAIT), "end of file ends the input");
        assertArrayEquals(input, received(), "no escapes on a pipe");
        assertFalse(events.contains("quit"));
        assertFalse(events.contains("raw"));
        c.close();
        assertFalse(events.contains("restore"));
    }

    @Test
    void aSwitchRunsBetweenTheBytesTypedBeforeAndAfterIt() throws InterruptedException {
        // one chunk, as a paste: "ab" to the console, then Ctrl-A c, then "cd" to wherever the switch leads
        byte[] input = {'a', 'b', 0x01, 'c', 'c', 'd', 0x01, 'x'};
        TerminalConsole c = new TerminalConsole(new ByteArrayInputStream(input), messages, new FakeRaw(), sink,
                () -> events.add("quit"), () -> events.add("switch"));
        c.start();
        assertTrue(c.awaitEndOfInput(WAIT));
        assertEquals(List.of("raw", "data 2", "switch", "data 2", "restore", "quit"), events);
        assertArrayEquals(new byte[] {'a', 'b', 'c', 'd'}, received());
    }

    @Test
    void terminalEscapesAndQuitRestoresFirst() throws InterruptedException {
        byte[] input = {'a', 0x01, 0x01, 'b', 0x01, 'h', 'c', 0x01, 'x', 'l', 'o', 's', 't'};
        FakeRaw raw = new FakeRaw();
        TerminalConsole c = new TerminalConsole(new ByteArrayInputStream(input), messages, raw, sink,
                () -> events.add("quit"));
        assertTrue(c.interactive());
        c.start();
        assertTrue(c.awaitEndOfInput(WAIT));
        assertArrayEquals(new byte[] {'a', 0x01, 'b', 'c'}, received());
        assertEquals(List.of("raw", "data 4", "restore", "quit"), events);
        assertTrue(messageBytes.toString(StandardCharsets.UTF_8).contains("C-a x"), "help printed");
        c.close();
        assertEquals(1, events.stream().filter("restore"::equals).count(), "restored once");
    }

    @Test
    void escapeSplitAcrossReads() throws IOException, InterruptedException {
        PipedOutputStream typing = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(typing);
        TerminalConsole c = new TerminalConsole(in, messages, new FakeRaw(), sink, () -> events.add("quit"));
        c.start();
        typing.write(new byte[] {'h', 'i', 0x01});
        typing.flush();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (received().length < 2 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertArrayEquals(new byte[] {'h', 'i'}, received());
        assertFalse(events.contains("quit"));
        typing.write('x');
        typing.flush();
        assertTrue(c.awaitEndOfInput(WAIT));
        assertTrue(events.contains("quit"));
        typing.close();
        c.close();
    }

    @Test
    void closeRestoresTheTerminal() throws IOException, InterruptedException {
        PipedOutputStream typing = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(typing);
        TerminalConsole c = new TerminalConsole(in, messages, new FakeRaw(), sink, () -> events.add("quit"));
        c.start();
        c.close();
        c.close();
        assertEquals(List.of("raw", "restore"), events);
        typing.close();
        assertTrue(c.awaitEndOfInput(WAIT), "end of the pipe ends the input");
        assertFalse(events.contains("quit"));
    }

    @Test
    void rawModeFailureStillReadsWithEscapes() throws InterruptedException {
        FakeRaw raw = new FakeRaw();
        raw.fail = true;
        byte[] input = {'o', 'k', 0x01, 'x'};
        TerminalConsole c = new TerminalConsole(new ByteArrayInputStream(input), messages, raw, sink,
                () -> events.add("quit"));
        c.start();
        assertTrue(c.awaitEndOfInput(WAIT));
        assertArrayEquals(new byte[] {'o', 'k'}, received());
        assertTrue(messageBytes.toString(StandardCharsets.UTF_8).contains("raw mode"));
        assertEquals(List.of("raw", "data 2", "quit"), events, "nothing to restore");
        c.close();
    }

    @Test
    void startsOnce() {
        TerminalConsole c = new TerminalConsole(new ByteArrayInputStream(new byte[0]), messages, null, sink, () -> { });
        c.start();
        assertThrows(IllegalStateException.class, c::start);
        c.close();
    }
}
