package io.jvisor.cli;

import io.jvisor.memory.PhysicalMemory;

import java.util.Locale;

/** Parses QEMU-style sizes: "256M", "1G", "65536K"; a bare number means MiB (as QEMU's -m). */
final class MemorySize {
    static final long MIN = 2L << 20;

    private MemorySize() {
    }

    /** The size in bytes, within the range a VM accepts; {@link BadInput} otherwise. */
    static long parse(String s) {
        String t = s.strip().toUpperCase(Locale.ROOT);
        long mul = 1L << 20;
        if (t.endsWith("B") && t.length() > 1 && Character.isLetter(t.charAt(t.length() - 2))) {
            t = t.substring(0, t.length() - 1);
        }
        if (t.endsWith("K")) {
            mul = 1L << 10;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("M")) {
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("G")) {
            mul = 1L << 30;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("T")) {
            mul = 1L << 40;
            t = t.substring(0, t.length() - 1);
        }
        long v;
        try {
            v = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new BadInput("'" + s + "' is not a memory size (e.g. 256M, 1G)");
        }
        String range = "2M to " + (PhysicalMemory.MAX_RAM >> 20) + "M";
        if (v <= 0 || v > PhysicalMemory.MAX_RAM / mul || v * mul < MIN) {
            throw new BadInput("memory size " + s.strip() + " is out of range (" + range + ")");
        }
        if ((v * mul & 0xfff) != 0) {
            throw new BadInput("memory size " + s.strip() + " is not a whole number of 4 KiB pages");
        }
        return v * mul;
    }
}
