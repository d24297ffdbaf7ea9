package io.jvisor.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input through the real jvisor process: each case is refused before anything runs with
 * exactly one line on standard error, the documented status 1 (README, "Exit statuses"),
 * and no stack trace.
 */
class BadInputProcessTest {
    static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    @BeforeAll
    static void inputs() throws Exception {
        Files.write(dir.resolve("empty.bin"), new byte[0]);
        byte[] random = new byte[100_000];
        new Random(7).nextBytes(random);
        Files.write(dir.resolve("random.bin"), random);
        Files.write(dir.resolve("truncated.bzImage"), bzImage(5 << 20));
        Files.write(dir.resolve("small.bzImage"), bzImage((100 << 10) - 5 * 512));
        Files.writeString(dir.resolve("notes.txt"), "this is not an initrd\nbut a text file\n");
        Files.write(dir.resolve("tiny.rom"), "abcdefg".getBytes(StandardCharsets.US_ASCII));
        byte[] blank = new byte[0x10000];
        Arrays.fill(blank, (byte) 0xff);
        Files.write(dir.resolve("blank.rom"), blank);
        byte[] rom = blank.clone();
        rom[0xfff0] = (byte) 0xf4;   // hlt at the reset vector
        Files.write(dir.resolve("hlt.rom"), rom);
    }

    /**
     * A 100 KiB bzImage whose header says the protected-mode kernel is {@code kernelBytes}
     * long: a setup header (protocol 2.15, loadflags LOADED_HIGH, 4 setup sectors) and syssize.
     */
    static byte[] bzImage(int kernelBytes) {
        ByteBuffer b = ByteBuffer.allocate(100 << 10).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) 4);
        b.putInt(0x1f4, kernelBytes / 16);
        b.putShort(0x1fe, (short) 0xaa55);
        b.put(0x201, (byte) 0x6a);
        b.putInt(0x202, 0x53726448);
        b.putShort(0x206, (short) 0x020f);
        b.put(0x211, (byte) 1);
        b.putInt(0x214, 0x100000);
        b.putInt(0x22c, 0x7fffffff);
        b.putInt(0x238, 2048);
        return b.array();
    }

    static Stream<Arguments> badInputs() {
        String d = dir.toString() + "/";
        return Stream.of(
                Arguments.of("missing kernel", "not a readable file", new String[] {"-kernel", d + "nope.bin"}),
                Arguments.of("empty kernel", "empty", new String[] {"-kernel", d + "empty.bin"}),
                Arguments.of("random kernel", "neither a Linux bzImage (no setup header) nor a multiboot kernel",
                        new String[] {"-kernel", d + "random.bin"}),
                Arguments.of("truncated bzImage", "truncated bzImage",
                        new String[] {"-kernel", d + "truncated.bzImage"}),
                Arguments.of("text initrd", "initrd is text", new String[] {"-kernel",
                        d + "small.bzImage", "-initrd", d + "notes.txt"}),
                Arguments.of("initrd without a kernel", "-initrd is only allowed with -kernel",
                        new String[] {"-bios", d + "hlt.rom", "-initrd", d + "notes.txt"}),
                Arguments.of("append without a kernel", "-append is only allowed with -kernel",
                        new String[] {"-bios", d + "hlt.rom", "-append", "quiet"}),
                Arguments.of("memory too small", "out of range (2M to", new String[] {"-m", "1M", "-kernel",
                        d + "random.bin"}),
                Arguments.of("memory too large", "out of range (2M to", new String[] {"-m", "5000G", "-kernel",
                        d + "random.bin"}),
                Arguments.of("memory not a size", "not a memory size", new String[] {"-m", "lots"}),
                Arguments.of("unknown option", "Unknown option: '-frobnicate'", new String[] {"-frobnicate"}),
                Arguments.of("unknown long option", "Unknown option: '--frobnicate'",
                        new String[] {"run", "--frobnicate"}),
                Arguments.of("clustered-looking option", "disks are not supported yet",
                        new String[] {"-hda", d + "x.img"}),
                Arguments.of("disk image as argument", "disk images are not supported yet",
                        new String[] {d + "x.img"}),
                Arguments.of("serial backend", "-serial backend 'vc' is not supported yet",
                        new String[] {"-serial", "vc", "-kernel", d + "random.bin"}),
                Arguments.of("serial file in a missing directory", "no such file or directory",
                        new String[] {"-serial", "file:" + d + "no/dir/log", "-bios", d + "hlt.rom"}),
                Arguments.of("tiny ROM", "multiple of 64 KiB", new String[] {"-bios", d + "tiny.rom"}),
                Arguments.of("blank ROM", "no code at the reset vector", new String[] {"-bios", d + "blank.rom"}),
                Arguments.of("kernel and ROM", "exactly one", new String[] {"-bios", d + "hlt.rom", "-kernel",
                        d + "random.bin"}),
                Arguments.of("too many vCPUs", "at most 16 vCPUs", new String[] {"-smp", "17", "-kernel",
                        d + "random.bin"}),
                Arguments.of("vCPU topology", "sockets*dies*cores*threads is 4, not 3", new String[] {"-smp",
                        "3,sockets=2,cores=2", "-kernel", d + "random.bin"}),
                Arguments.of("CPU hotplug", "CPU hotplug is not supported", new String[] {"-smp", "2,maxcpus=4",
                        "-kernel", d + "random.bin"}),
                Arguments.of("deterministic SMP", "needs -smp 1", new String[] {"-smp", "2", "--clock",
                        "deterministic", "-kernel", d + "random.bin"}),
                Arguments.of("CPU model", "-cpu host is not available", new String[] {"-cpu", "host"}),
                Arguments.of("KVM", "software VMM", new String[] {"-accel", "kvm"}),
                Arguments.of("machine", "-machine q35 is not available", new String[] {"-machine", "q35"}),
                Arguments.of("display", "no graphical display", new String[] {"-display", "gtk"}),
                Arguments.of("gdb port", "port must be a number", new String[] {"-gdb", "tcp::99999"}),
                Arguments.of("engine", "--engine must be", new String[] {"--engine", "fast", "-kernel",
                        d + "random.bin"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void refusedWithOneLineAndStatusOne(String what, String message, String[] args) throws Exception {
        try (JvisorProcess p = JvisorProcess.run(LIMIT, args)) {
            String err = p.stderr();
            assertEquals(1, p.exitValue(), what + ": " + err);
            assertEquals(1, err.strip().lines().count(), what + ": exactly one line: " + err);
            assertTrue(err.contains(message), what + ": " + err);
            assertTrue(err.startsWith("jvisor: "), err);
            assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
            assertTrue(p.stdout().isEmpty(), what + ": nothing on standard output: " + p.stdout());
        }
    }

    @Test
    void noArgumentsPrintsTheUsageAndFails() throws Exception {
        try (JvisorProcess p = JvisorProcess.run(LIMIT)) {
            assertEquals(1, p.exitValue());
            assertTrue(p.stderr().contains("Usage: jvisor"), p.stderr());
        }
    }
}
