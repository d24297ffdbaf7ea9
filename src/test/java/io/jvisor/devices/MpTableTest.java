package io.jvisor.devices;

import io.jvisor.memory.PhysicalMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The MP specification tables as a guest scanning the BIOS area finds them. */
class MpTableTest {
    private static int sum(PhysicalMemory m, long at, int len) {
        int s = 0;
        for (int i = 0; i < len; i++) {
            s += m.read8(at + i);
        }
        return s & 0xff;
    }

    private static String ascii(PhysicalMemory m, long at, int len) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < len; i++) {
            b.append((char) m.read8(at + i));
        }
        return b.toString();
    }

    @Test
    void floatingPointerAndConfigurationTable() {
        try (PhysicalMemory m = new PhysicalMemory(16L << 20)) {
            new MpTable(3, 0x652, 0x1234).install(m, MpTable.DEFAULT_ADDRESS);
            long fp = MpTable.DEFAULT_ADDRESS;
            assertEquals("_MP_", ascii(m, fp, 4));
            assertEquals(0, sum(m, fp, 16), "floating pointer checksum");
            assertEquals(4, m.read8(fp + 9), "revision 1.4");
            assertEquals(0, m.read8(fp + 11), "a configuration table, not a default configuration");
            long ct = m.read32(fp + 4) & 0xffffffffL;
            assertEquals("PCMP", ascii(m, ct, 4));
            int length = m.read16(ct + 4);
            assertEquals(0, sum(m, ct, length), "configuration table checksum");
            assertEquals(0xfee00000, m.read32(ct + 36), "local APIC address");
            int entries = m.read16(ct + 34);
            int processors = 0, buses = 0, ioapics = 0, ioInts = 0, localInts = 0;
            long e = ct + 44;
            for (int n = 0; n < entries; n++) {
                int type = m.read8(e);
                switch (type) {
                    case 0 -> {
                        assertEquals(processors, m.read8(e + 1), "APIC IDs in order");
                        assertEquals(processors == 0 ? 3 : 1, m.read8(e + 3), "enabled, BSP flag on the first");
                        assertEquals(0x652, m.read32(e + 4));
                        processors++;
                    }
                    case 1 -> buses++;
                    case 2 -> {
                        assertEquals(0xfec00000, m.read32(e + 4));
                        ioapics++;
                    }
                    case 3 -> {
                        if (m.read8(e + 1) == 0 && m.read8(e + 5) == 0) {
                            assertEquals(2, m.read8(e + 7), "ISA IRQ 0 (the PIT) on pin 2");
                        }
                        ioInts++;
                    }
                    case 4 -> localInts++;
                    default -> throw new AssertionError("entry type " + type);
                }
                e += type == 0 ? 20 : 8;
            }
            assertEquals(ct + length, e, "the entries fill the table");
            assertEquals(3, processors);
            assertEquals(2, buses);
            assertEquals(1, ioapics);
            assertEquals(15, ioInts, "the 15 ISA IRQs other than the cascade");
            assertEquals(2, localInts, "LINT0 ExtINT, LINT1 NMI");
        }
    }
}
