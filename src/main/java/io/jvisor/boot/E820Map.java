package io.jvisor.boot;

import java.util.ArrayList;
import java.util.List;

/**
 * The PC physical memory map a VM reports to its guest (BIOS INT 15h E820 style): usable
 * RAM below the EBDA and from 1 MiB up, the EBDA, and the BIOS/ACPI area at the top of
 * the first MiB marked reserved.
 */
public final class E820Map {
    public static final int RAM = 1, RESERVED = 2, ACPI = 3;

    public record Entry(long base, long length, int type) { }

    private E820Map() { }

    /** The map for a VM with {@code ramBytes} of RAM and ACPI/BIOS data in [0xE0000, 0x100000). */
    public static List<Entry> forRam(long ramBytes) {
        List<Entry> e = new ArrayList<>();
        e.add(new Entry(0, 0x9fc00, RAM));
        e.add(new Entry(0x9fc00, 0x400, RESERVED));
        e.add(new Entry(0xe0000, 0x20000, RESERVED));
        if (ramBytes > 0x100000) {
            e.add(new Entry(0x100000, ramBytes - 0x100000, RAM));
        }
        return e;
    }
}
