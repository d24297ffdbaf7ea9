package io.jvisor.vm;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Boots every guest test program of guests/tests (assembled here with nasm) through the
 * multiboot loader; each must report PASS through the debug-exit port (exit status 1).
 */
class GuestProgramsTest {
    static final Path SOURCES = Path.of("guests", "tests");
    static final Path OUT = Path.of("target", "guests");

    static boolean haveTool(String tool) {
        try {
            return new ProcessBuilder("sh", "-c", "command -v " + tool).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static void build() throws Exception {
        Process p = new ProcessBuilder("sh", SOURCES.resolve("build.sh").toString(), OUT.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "guest build failed:\n" + log);
    }

    /** A ROM image booted from the reset vector with --bios (guests/bios/reset.asm). */
    @org.junit.jupiter.api.Test
    void biosImageBootsFromTheResetVector() throws Exception {
        assumeTrue(haveTool("nasm"), "nasm is needed to assemble the ROM image");
        Files.createDirectories(OUT);
        Path rom = OUT.resolve("reset.bin");
        Process p = new ProcessBuilder("nasm", "-f", "bin", "-o", rom.toString(), "guests/bios/reset.asm")
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), log);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        VmConfig cfg = new VmConfig(16L << 20, null, List.of(), "", rom, null, true);
        VmExitStatus st;
        try (VirtualMachine vm = VirtualMachine.create(cfg, console, m -> { })) {
            st = vm.run();
        }
        String out = console.toString(StandardCharsets.UTF_8);
        assertEquals(1, st.status(), st.reason() + "\n" + out);
        assertTrue(out.contains("reset vector reached") && out.contains("BIOS boot: PASS"), out);
    }

    @TestFactory
    Stream<DynamicTest> everyGuestProgramPasses() throws Exception {
        assumeTrue(haveTool("nasm") && haveTool("ld"), "nasm and ld are needed to assemble the guest tests");
        build();
        List<Path> sources;
        try (Stream<Path> s = Files.list(SOURCES)) {
            sources = s.filter(f -> f.toString().endsWith(".asm")).sorted().toList();
        }
        assertTrue(sources.size() >= 2, "guest programs missing");
        // the multiprocessor programs (smp*.asm) run on 1, 2 and 4 vCPUs, the others on one
        return sources.stream().flatMap(src -> {
            String name = src.getFileName().toString().replace(".asm", "");
            List<Integer> counts = name.startsWith("smp") ? List.of(1, 2, 4) : List.of(1);
            return counts.stream().map(cpus -> guestTest(name, cpus));
        });
    }

    private static DynamicTest guestTest(String name, int cpus) {
        {
            return DynamicTest.dynamicTest(cpus == 1 ? name : name + " on " + cpus + " vCPUs", () -> {
                ByteArrayOutputStream console = new ByteArrayOutputStream();
                // as guests/tests/run-qemu.sh runs QEMU: with its test device (apic.asm drives an I/O APIC pin with it)
                VmConfig cfg = new VmConfig(64L << 20, OUT.resolve(name + ".elf"), List.of(), "", null, null, true)
                        .withCpus(cpus).withPcTestdev(true).withPciTestdev(true);
                VmExitStatus st;
                try (VirtualMachine vm = VirtualMachine.create(cfg, console, m -> { })) {
                    st = vm.run();
                }
                String out = console.toString(StandardCharsets.UTF_8);
                assertEquals(1, st.status(), name + " did not pass: " + st.reason() + "\n" + out + st.report());
                assertTrue(out.contains("PASS"), out);
            });
        }
    }
}
