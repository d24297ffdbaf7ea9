package io.jvisor.vm;

import io.jvisor.cpu.Cpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A multiboot kernel's command line starts with its file name, as GRUB and QEMU pass it. */
class MultibootCommandLineTest {
    private static String cmdline(Path kernel, String append) throws Exception {
        VmConfig cfg = new VmConfig(32L << 20, kernel, List.of(), append, null, null, true);
        try (VirtualMachine vm = VirtualMachine.create(cfg, new ByteArrayOutputStream(), m -> { })) {
            int info = vm.cpu().r[Cpu.EBX];
            long p = vm.memory().read32(info + 16) & 0xffffffffL;   // multiboot_info.cmdline
            StringBuilder s = new StringBuilder();
            for (int b; (b = vm.memory().read8(p + s.length())) != 0; ) {
                s.append((char) b);
            }
            return s.toString();
        }
    }

    @Test
    void theKernelsFileNameIsTheFirstWord(@TempDir Path dir) throws Exception {
        Path k = dir.resolve("demo.elf");
        try (InputStream in = getClass().getResourceAsStream("/guests/demo.elf")) {
            Files.write(k, in.readAllBytes());
        }
        assertEquals(k + " one two", cmdline(k, "one two"));
        assertEquals(k.toString(), cmdline(k, ""));
    }
}
