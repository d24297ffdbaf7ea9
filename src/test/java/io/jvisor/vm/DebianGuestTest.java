package io.jvisor.vm;

import io.jvisor.engine.EngineOptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Boots the reference Debian guest (stock 6.1 i386 kernels + busybox initramfs, built by
 * scripts/debian-guest.sh from Debian's packages) and checks what it prints. The guest
 * directory comes from the system property or environment variable JVISOR_DEBIAN_GUEST,
 * else target/debian-guest; without it these tests report themselves skipped.
 */
@Tag("debian")
class DebianGuestTest {
    static final String CMDLINE = "console=ttyS0 quiet panic=-1";
    /** The results every correct x86 gives (../shared/bench/README.md). */
    /**
     * The workloads' results on real processors; "fp" (guests/fpcheck: SSE2 and long double)
     * is also computed on the build host by scripts/debian-guest.sh (fpcheck.expected).
     */
    static final Map<String, String> EXPECTED = Map.of(
            "md5", "58f06dd588d8ffb3beb46ada6309436b",
            "sort", "4c88e650a79a06a7bbd5990488f41f07",
            "awk", "452384729",
            "gzip", "93792fd7a51bb3b7914760b98b149712",
            "zcat", "e68ee92952657b0d337b467b34ee7f65",
            "sys", "200000+0",
            "fork", "500",
            "fp", "97bc2be2817ab2ed:1.64492406689822626977:628562862083");

    static Path guestDir() {
        String p = System.getProperty("JVISOR_DEBIAN_GUEST", System.getenv("JVISOR_DEBIAN_GUEST"));
        return Path.of(p != null ? p : "target/debian-guest");
    }

    static void assumeGuest(String... files) {
        for (String f : files) {
            assumeTrue(Files.isRegularFile(guestDir().resolve(f)),
                    "Debian guest not built: run scripts/debian-guest.sh " + guestDir() + " (missing " + f + ")");
        }
    }

    /** Runs a VM to its end with serial output captured; returns the exit status and the console text. */
    record Run(VmExitStatus status, String console) { }

    static Run boot(String kernel, String initrd, long memory, String input) throws Exception {
        return boot(kernel, initrd, memory, input, 1);
    }

    static Run boot(String kernel, String initrd, long memory, String input, int cpus) throws Exception {
        return boot(kernel, initrd, memory, input, cpus, CMDLINE);
    }

    static Run boot(String kernel, String initrd, long memory, String input, int cpus, String cmdline)
            throws Exception {
        Path serial = Files.createTempFile("jvisor-serial", ".log");
        try {
            // the tier of this test run, with the translator as users run it (hot blocks, background thread)
            EngineOptions tier = EngineOptions.fromSystemProperties().jit() ? EngineOptions.JIT : EngineOptions.INTERPRETER;
            VmConfig cfg = new VmConfig(memory, guestDir().resolve(kernel), List.of(guestDir().resolve(initrd)),
                    cmdline, null, null, true, serial).withEngine(tier).withCpus(cpus);
            try (VirtualMachine vm = VirtualMachine.create(cfg, new ByteArrayOutputStream(), m -> { })) {
                var exec = Executors.newSingleThreadExecutor();
                try {
                    Future<VmExitStatus> f = exec.submit(vm::run);
                    if (input != null) {
                        feed(vm, serial, input);
                    }
                    VmExitStatus st = f.get(40, TimeUnit.MINUTES);
                    return new Run(st, Files.readString(serial, StandardCharsets.ISO_8859_1));
                } finally {
                    exec.shutdownNow();
                }
            }
        } finally {
            Files.deleteIfExists(serial);
        }
    }

    /** Types each line into COM1 once the shell prompt has appeared after the previous one. */
    private static void feed(VirtualMachine vm, Path serial, String input) throws IOException, InterruptedException {
        int prompts = 0;
        for (String line : input.split("\n")) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
            while (countPrompts(serial) <= prompts && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            prompts = countPrompts(serial);
            vm.serialPort().receive((line + "\n").getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static int countPrompts(Path serial) throws IOException {
        String s = Files.readString(serial, StandardCharsets.ISO_8859_1);
        int n = 0;
        for (int i = s.indexOf("# "); i >= 0; i = s.indexOf("# ", i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void kernel686RunsEveryWorkloadWithHardwareResults() throws Exception {
        assumeGuest("bzImage", "initrd-bench.gz");
        assertEveryWorkload(boot("bzImage", "initrd-bench.gz", 256L << 20, null));
    }

    /** The token the build host's own run of guests/fpcheck printed. */
    private static String hostFpcheck() {
        try {
            return Files.readString(guestDir().resolve("fpcheck.expected")).strip();
        } catch (IOException e) {
            throw new AssertionError("fpcheck.expected missing: rebuild the guest with scripts/debian-guest.sh", e);
        }
    }

    /** Every workload printed the hardware result, and the guest powered off. */
    private static void assertEveryWorkload(Run r) {
        String out = r.console();
        assertTrue(out.contains("BOOT-OK"), out);
        assertEquals(EXPECTED.get("fp"), hostFpcheck(), "fpcheck on the build host");
        for (var e : EXPECTED.entrySet()) {
            Matcher m = Pattern.compile("BENCH name=" + e.getKey() + " secs=\\S+ result=(\\S+)").matcher(out);
            assertTrue(m.find(), "no result for " + e.getKey() + "\n" + out);
            assertEquals(e.getValue(), m.group(1), e.getKey() + " result");
        }
        assertTrue(out.contains("ALL-DONE"), out);
        assertEquals(0, r.status().status(), r.status().reason());
        assertTrue(r.status().reason().contains("powered off"), r.status().reason());
    }

    /** The eight workloads with their hardware results on a VM with two vCPUs (translator tier only: the slowest test). */
    @TestFactory
    Stream<DynamicTest> kernel686OnTwoVcpusRunsEveryWorkload() {
        if (!EngineOptions.fromSystemProperties().jit()) {
            return Stream.of();   // the interpreter tier boots SMP guests in kernelsBringUpEveryVcpu
        }
        return Stream.of(DynamicTest.dynamicTest("686 on 2 vCPUs: every workload", () -> {
            assumeGuest("bzImage", "initrd-bench.gz");
            assertEveryWorkload(boot("bzImage", "initrd-bench.gz", 256L << 20, null, 2));
        }));
    }

    /**
     * SMP guests: the kernel brings up every vCPU (INIT/SIPI/SIPI), /proc/cpuinfo lists them,
     * and N copies of the md5 workload at once all give the hardware result. The translator
     * tier boots the 686 kernel on 2 and 4 vCPUs and the 686-pae kernel on 2; the
     * interpreter tier the 686 kernel on 2. With {@code acpi=off} Linux finds the processors
     * in the MP specification tables instead of the MADT (and, without ACPI, cannot power off:
     * the VM ends with the processors halted).
     */
    @TestFactory
    Stream<DynamicTest> kernelsBringUpEveryVcpu() {
        record Case(String kernel, int cpus, boolean acpi) { }
        List<Case> cases = EngineOptions.fromSystemProperties().jit()
                ? List.of(new Case("bzImage", 2, true), new Case("bzImage", 4, true), new Case("bzImage-pae", 2, true),
                        new Case("bzImage", 2, false))
                : List.of(new Case("bzImage", 2, true));
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.kernel() + " on " + c.cpus() + " vCPUs"
                + (c.acpi() ? "" : " from the MP table (acpi=off)"), () -> {
            assumeGuest(c.kernel(), "initrd-par.gz");
            Run r = boot(c.kernel(), "initrd-par.gz", 256L << 20, null, c.cpus(),
                    c.acpi() ? CMDLINE : CMDLINE + " acpi=off");
            String out = r.console();
            assertTrue(out.contains("CPUS n=" + c.cpus()), "processors in /proc/cpuinfo\n" + out);
            assertTrue(out.contains("BENCH name=md5par") && out.contains("result=" + EXPECTED.get("md5") + " copies="
                    + c.cpus()), "parallel md5\n" + out);
            assertTrue(out.contains("ALL-DONE"), out);
            if (c.acpi()) {
                assertEquals(0, r.status().status(), r.status().reason());
            } else {
                assertEquals(VmExitStatus.HUNG, r.status().status(), r.status().reason());
            }
        }));
    }

    @Test
    void kernel686PaeBootsAndPowersOff() throws Exception {
        assumeGuest("bzImage-pae", "initrd-boot.gz");
        Run r = boot("bzImage-pae", "initrd-boot.gz", 256L << 20, null);
        assertTrue(r.console().contains("BOOT-OK"), r.console());
        assertEquals(0, r.status().status(), r.status().reason());
        assertTrue(r.status().reason().contains("powered off"), r.status().reason());
    }

    @Test
    void interactiveShellAnswersCommands() throws Exception {
        assumeGuest("bzImage", "initrd-shell.gz");
        String input = "uname -a\ncat /proc/cpuinfo\nls /proc\ndmesg | tail\necho DONE-$((6*7))\npoweroff -f\n";
        Run r = boot("bzImage", "initrd-shell.gz", 256L << 20, input);
        String out = r.console();
        assertTrue(out.contains("Linux") && out.contains("i686"), "uname -a\n" + out);
        assertTrue(out.contains("GenuineIntel") && out.contains("Intel(R) Core(TM)2 CPU"), "cpuinfo\n" + out);
        String flags = out.lines().filter(l -> l.startsWith("flags")).findFirst().orElse("");
        for (String f : new String[] {"fpu", "pse", "tsc", "pae", "cx8", "sep", "cmov", "pat", "clflush", "mmx", "fxsr",
            "sse", "sse2", "pni", "ssse3"}) {
            assertTrue((" " + flags + " ").contains(" " + f + " "), "cpuinfo flag " + f + "\n" + flags);
        }
        assertTrue(out.contains("cpuinfo") && out.contains("meminfo") && out.contains("uptime"), "ls /proc\n" + out);
        assertTrue(out.contains("DONE-42"), out);
        assertEquals(0, r.status().status(), r.status().reason());
    }
}
