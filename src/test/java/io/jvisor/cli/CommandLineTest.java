package io.jvisor.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gets one clear line on stderr and a non-zero status, never a stack trace. */
class CommandLineTest {
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private PrintStream oldErr, oldOut;

    @BeforeEach
    void capture() {
        oldErr = System.err;
        oldOut = System.out;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(oldErr);
        System.setOut(oldOut);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private void assertOneLineError(int status, String contains) {
        String e = stderr();
        assertTrue(status != 0, "non-zero status expected");
        assertEquals(1, e.strip().lines().count(), "exactly one line: " + e);
        assertTrue(e.contains(contains), e);
        assertFalse(e.contains("Exception") || e.contains("\tat "), "no stack trace: " + e);
    }

    @Test
    void missingKernel() {
        int st = Main.execute("run", "--kernel", "/nonexistent/kernel.elf");
        assertOneLineError(st, "not a readable file");
    }

    @Test
    void kernelWithoutMultibootHeader(@TempDir Path dir) throws Exception {
        Path k = dir.resolve("junk.bin");
        Files.write(k, new byte[10000]);
        int st = Main.execute("run", "-kernel", k.toString());
        assertOneLineError(st, "multiboot");
    }

    @Test
    void memorySizeOutOfRange(@TempDir Path dir) throws Exception {
        Path k = dir.resolve("junk.bin");
        Files.write(k, new byte[16]);
        assertOneLineError(Main.execute("run", "--kernel", k.toString(), "-m", "8G"), "out of range");
        err.reset();
        assertOneLineError(Main.execute("run", "--kernel", k.toString(), "-m", "lots"), "not a memory size");
    }

    @Test
    void kernelAndBiosTogether(@TempDir Path dir) throws Exception {
        Path k = dir.resolve("k");
        Files.write(k, new byte[16]);
        assertOneLineError(Main.execute("run", "--kernel", k.toString(), "--bios", k.toString()), "exactly one");
    }

    @Test
    void badBiosSize(@TempDir Path dir) throws Exception {
        Path b = dir.resolve("bios.bin");
        Files.write(b, new byte[70000]);
        assertOneLineError(Main.execute("run", "--bios", b.toString()), "BIOS image");
    }

    @Test
    void unknownOption() {
        assertOneLineError(Main.execute("run", "--frobnicate"), "frobnicate");
    }

    @Test
    void conformanceOnAnEmptyDirectory(@TempDir Path dir) {
        assertOneLineError(Main.execute("conformance", dir.toString()), "no *.MOO.gz");
    }
}
