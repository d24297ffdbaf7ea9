package io.jvisor.boot;

import io.jvisor.cpu.Cpu;
import io.jvisor.memory.IoBus;
import io.jvisor.memory.PhysicalMemory;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Linux 32-bit boot protocol loader on synthetic bzImages (Documentation/x86/boot.rst). */
class LinuxLoaderTest {
    /** A minimal bzImage: 4 setup sectors + {@code kernelBytes} of protected-mode code. */
    static byte[] bzImage(int version, int kernelBytes, int initSize) {
        byte[] img = new byte[5 * 512 + kernelBytes];
        ByteBuffer b = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) 4);
        b.putShort(0x1fe, (short) 0xaa55);
        b.put(0x201, (byte) 0x66);                  // header length: up to 0x268
        b.putInt(0x202, 0x53726448);                // "HdrS"
        b.putShort(0x206, (short) version);
        b.put(0x211, (byte) 1);                      // LOADED_HIGH
        b.putInt(0x214, 0x100000);
        b.putInt(0x22c, 0x37ffffff);                 // initrd_addr_max
        b.putInt(0x238, 2048);                       // cmdline_size
        b.putInt(0x260, initSize);
        for (int i = 0; i < kernelBytes; i++) {
            img[5 * 512 + i] = (byte) (i * 7);
        }
        return img;
    }

    @Test
    void loadsKernelZeroPageInitrdAndEntersProtectedMode() throws Exception {
        try (PhysicalMemory mem = new PhysicalMemory(64L << 20)) {
            Cpu cpu = new Cpu(mem, new IoBus());
            byte[] initrd = new byte[100_000];
            initrd[0] = 0x1f;
            LinuxLoader.load(mem, cpu, bzImage(0x20f, 8192, 1 << 20), initrd, "console=ttyS0");
            assertEquals(0x100000, cpu.eip);
            assertEquals(LinuxLoader.ZERO_PAGE, cpu.r[Cpu.ESI]);
            assertEquals(0x10, cpu.segSel[Cpu.CS]);
            assertEquals(0x18, cpu.segSel[Cpu.DS]);
            assertTrue(cpu.protectedMode() && !cpu.paging());
            assertEquals(0, cpu.getEflags() & 0x200, "interrupts off");
            assertEquals(7 * 5, mem.read8(0x100000 + 5), "protected-mode code at 1 MiB");
            int zp = LinuxLoader.ZERO_PAGE;
            assertEquals(0xff, mem.read8(zp + 0x210), "type_of_loader");
            int rd = mem.read32(zp + 0x218);
            assertEquals(100_000, mem.read32(zp + 0x21c));
            assertEquals(0, rd & 0xfff, "initrd page-aligned");
            assertTrue(rd + 100_000 <= 64 << 20 && rd >= 0x200000, "initrd high in RAM");
            assertEquals(0x1f, mem.read8(rd));
            int cmd = mem.read32(zp + 0x228);
            assertEquals('c', mem.read8(cmd));
            assertEquals(4, mem.read8(zp + 0x1e8), "e820 entries");
            assertEquals(1, mem.read32(zp + 0x2d0 + 16), "first e820 entry is RAM");
        }
    }

    private static String reject(byte[] image, byte[] initrd, long ram, String cmdline) {
        try (PhysicalMemory mem = new PhysicalMemory(ram)) {
            Cpu cpu = new Cpu(mem, new IoBus());
            int before = mem.read32(0x100000);
            BootException e = assertThrows(BootException.class, () -> LinuxLoader.load(mem, cpu, image, initrd, cmdline));
            assertEquals(before, mem.read32(0x100000), "nothing loaded");
            assertTrue(!e.getMessage().contains("\n"), "one line");
            return e.getMessage();
        }
    }

    @Test
    void rejectsBadImagesBeforeLoadingAnything() {
        assertTrue(reject(new byte[600], null, 16L << 20, "").contains("not a Linux bzImage"));
        assertTrue(reject(bzImage(0x204, 4096, 0), null, 16L << 20, "").contains("too old"));
        byte[] truncated = java.util.Arrays.copyOf(bzImage(0x20f, 4096, 0), 5 * 512);
        assertTrue(reject(truncated, null, 16L << 20, "").contains("truncated"));
        assertTrue(reject(bzImage(0x20f, 4096, 32 << 20), null, 16L << 20, "").contains("needs"));
        assertTrue(reject(bzImage(0x20f, 4096, 1 << 20), new byte[15 << 20], 16L << 20, "")
                .contains("does not fit"));
        assertTrue(reject(bzImage(0x20f, 4096, 1 << 20), null, 16L << 20, "x".repeat(3000))
                .contains("command line"));
    }
}
