package io.jvisor.vm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A direct kernel boot finds the devices and the BIOS data area as a PC BIOS leaves them. */
class FirmwareStateTest {
    @Test
    void picsPitAndBiosDataArea(@TempDir Path dir) throws Exception {
        Path k = dir.resolve("demo.elf");
        try (InputStream in = getClass().getResourceAsStream("/guests/demo.elf")) {
            Files.write(k, in.readAllBytes());
        }
        VmConfig cfg = new VmConfig(32L << 20, k, List.of(), "", null, null, true);
        try (VirtualMachine vm = VirtualMachine.create(cfg, new ByteArrayOutputStream(), m -> { })) {
            assertEquals(0x08, vm.pic().master().vectorBase());
            assertEquals(0x70, vm.pic().slave().vectorBase());
            assertEquals(0xb8, vm.pic().master().imr(), "IRQs 0, 1, 2 and 6 open");
            assertEquals(0xff, vm.pic().slave().imr());
            assertEquals(0x3f8, vm.memory().read16(0x400), "COM1 in the BIOS data area");
            assertEquals(640, vm.memory().read16(0x413), "640 KiB of conventional memory");
            // PIT channel 0 counts down from 65536 in mode 3: latch and read it
            vm.cpu().io.out(0x43, 1, 0x00);
            int lo = vm.cpu().io.in(0x40, 1), hi = vm.cpu().io.in(0x40, 1);
            int count = lo | hi << 8;
            assertEquals(0, count & 1, "mode 3 counts by twos: " + count);
        }
    }
}
