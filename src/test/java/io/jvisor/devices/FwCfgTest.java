package io.jvisor.devices;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The fw_cfg items as firmware and QEMU's test programs read them (selector 0x510, data 0x511). */
class FwCfgTest {
    private static long read(FwCfg f, int key, int bytes) {
        f.out(FwCfg.SELECTOR_PORT, 2, key);
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v |= (long) f.in(FwCfg.DATA_PORT, 1) << (8 * i);
        }
        return v;
    }

    @Test
    void itemsReadByteByByteFromTheStart() {
        FwCfg f = new FwCfg(256L << 20, 4, "console=ttyS0");
        assertEquals(0x554d4551L, read(f, FwCfg.SIGNATURE, 4), "\"QEMU\"");
        assertEquals(1, read(f, FwCfg.ID, 4), "traditional interface, no DMA");
        assertEquals(256L << 20, read(f, FwCfg.RAM_SIZE, 8));
        assertEquals(4, read(f, FwCfg.NB_CPUS, 2));
        assertEquals(4, read(f, FwCfg.MAX_CPUS, 2));
        assertEquals(14, read(f, FwCfg.CMDLINE_SIZE, 4), "with the terminating NUL");
        assertEquals('c' | 'o' << 8, read(f, FwCfg.CMDLINE_DATA, 2));
        assertEquals('n', f.in(FwCfg.DATA_PORT, 1), "the next read goes on where the last stopped");
        assertEquals(0, read(f, FwCfg.FILE_DIR, 4), "no named files");
    }

    @Test
    void unknownItemsAndPastTheEndReadZero() {
        FwCfg f = new FwCfg(64L << 20, 1, null);
        assertEquals(0, read(f, 0x1234, 4));
        assertEquals(0, read(f, 0x8003, 4), "no architecture-specific items");
        assertEquals(0, read(f, FwCfg.CMDLINE_SIZE, 4), "no command line without a kernel");
        f.out(FwCfg.SELECTOR_PORT, 2, FwCfg.SIGNATURE);
        for (int i = 0; i < 4; i++) {
            f.in(FwCfg.DATA_PORT, 1);
        }
        assertEquals(0, f.in(FwCfg.DATA_PORT, 1), "past the end");
        f.out(FwCfg.DATA_PORT, 1, 0x55);   // ignored
        f.out(FwCfg.SELECTOR_PORT, 2, FwCfg.SIGNATURE);
        assertEquals('Q', f.in(FwCfg.DATA_PORT, 1), "a new selection starts at offset 0");
    }
}
