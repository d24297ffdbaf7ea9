package io.jvisor.boot;

import io.jvisor.memory.PhysicalMemory;

/**
 * The BIOS data area (segment 0x40) as a PC BIOS leaves it for the operating system, for
 * direct kernel and multiboot boots: COM1 at 0x3F8 as the first serial port, the equipment
 * word (one serial port, an 80x25 colour display, an x87), 640 KiB of conventional memory,
 * and no extended BIOS data area (Linux reads its segment at 0x40E to reserve it).
 */
public final class BiosDataArea {
    public static final int BASE = 0x400;
    public static final int COM_PORTS = BASE, EQUIPMENT = BASE + 0x10, MEMORY_KB = BASE + 0x13, EBDA_SEGMENT = 0x40e;

    private BiosDataArea() {
    }

    public static void write(PhysicalMemory mem) {
        mem.write16(COM_PORTS, 0x3f8);
        // bits 11:9 serial ports = 1, bits 5:4 initial video = 10 (80x25 colour), bit 1 x87
        mem.write16(EQUIPMENT, 1 << 9 | 2 << 4 | 1 << 1);
        mem.write16(MEMORY_KB, 640);
        mem.write16(EBDA_SEGMENT, 0);
    }
}
