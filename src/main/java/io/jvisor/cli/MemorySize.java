package io.jvisor.cli;

import picocli.CommandLine;

/** Parses QEMU-style sizes: "256M", "1G", "65536K"; a bare number means MiB (as QEMU's -m). */
final class MemorySize implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String s) {
        String t = s.strip().toUpperCase();
        long mul = 1L << 20;
        if (t.endsWith("B")) {
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
        }
        try {
            long v = Long.parseLong(t);
            if (v <= 0 || v > (1L << 40) / mul) {
                throw new CommandLine.TypeConversionException("memory size '" + s + "' is out of range");
            }
            return v * mul;
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + s + "' is not a memory size (e.g. 256M, 1G)");
        }
    }
}
