package io.jvisor.engine;

import io.jvisor.cpu.Cpu;
import io.jvisor.memory.PhysicalMemory;

import java.util.ArrayList;
import java.util.List;

/**
 * The guest's current linear-to-physical mappings, read from its page tables (two-level
 * 32-bit paging with 4 MiB pages under CR4.PSE, or PAE with 2 MiB pages; SDM 4.3 and 4.4),
 * for the monitor's {@code info tlb} and {@code info mem}. Reading never changes the tables
 * (no accessed or dirty bits are set).
 */
public final class PageTableReport {
    /** One mapped page (4 KiB, 2 MiB or 4 MiB). */
    public record Page(long linear, long physical, long size, boolean user, boolean writable, boolean accessed,
                       boolean dirty, boolean global) {
        String attrs() {
            return (global ? "G" : "-") + (dirty ? "D" : "-") + (accessed ? "A" : "-") + (user ? "U" : "-")
                    + (writable ? "W" : "-");
        }
    }

    private PageTableReport() {
    }

    /** Every present mapping in linear-address order; empty when paging is off. */
    public static List<Page> pages(Cpu c) {
        List<Page> out = new ArrayList<>();
        if (!c.paging()) {
            return out;
        }
        PhysicalMemory m = c.mem;
        if ((c.cr4 & Cpu.CR4_PAE) != 0) {
            long base = c.cr3 & 0xffffffe0L;
            for (int i = 0; i < 4; i++) {
                long pdpte = read64(m, base + 8L * i);
                if ((pdpte & 1) == 0) {
                    continue;
                }
                long pd = pdpte & 0x000f_ffff_ffff_f000L;
                for (int j = 0; j < 512; j++) {
                    long pde = read64(m, pd + 8L * j);
                    if ((pde & 1) == 0) {
                        continue;
                    }
                    long lin = (long) i << 30 | (long) j << 21;
                    if ((pde & 0x80) != 0) {
                        out.add(page(lin, pde & 0x000f_ffff_ffe0_0000L, 1 << 21, pde, -1));
                        continue;
                    }
                    long pt = pde & 0x000f_ffff_ffff_f000L;
                    for (int k = 0; k < 512; k++) {
                        long pte = read64(m, pt + 8L * k);
                        if ((pte & 1) != 0) {
                            out.add(page(lin | (long) k << 12, pte & 0x000f_ffff_ffff_f000L, 4096, pde, pte));
                        }
                    }
                }
            }
            return out;
        }
        long pd = c.cr3 & 0xfffff000L;
        boolean pse = (c.cr4 & Cpu.CR4_PSE) != 0;
        for (int i = 0; i < 1024; i++) {
            long pde = read32(m, pd + 4L * i);
            if ((pde & 1) == 0) {
                continue;
            }
            long lin = (long) i << 22;
            if (pse && (pde & 0x80) != 0) {
                // PSE-36: bits 20:13 of the PDE are physical address bits 39:32
                long pa = (pde & 0xffc0_0000L) | (pde >>> 13 & 0xff) << 32;
                out.add(page(lin, pa, 1 << 22, pde, -1));
                continue;
            }
            long pt = pde & 0xfffff000L;
            for (int k = 0; k < 1024; k++) {
                long pte = read32(m, pt + 4L * k);
                if ((pte & 1) != 0) {
                    out.add(page(lin | (long) k << 12, pte & 0xfffff000L, 4096, pde, pte));
                }
            }
        }
        return out;
    }

    private static Page page(long lin, long pa, long size, long pde, long pte) {
        long leaf = pte < 0 ? pde : pte;
        boolean user = (pde & 4) != 0 && (leaf & 4) != 0;
        boolean write = (pde & 2) != 0 && (leaf & 2) != 0;
        return new Page(lin, pa, size, user, write, (leaf & 0x20) != 0, (leaf & 0x40) != 0, (leaf & 0x100) != 0);
    }

    /** QEMU's {@code info tlb}: one line per mapped page, "linear: physical attributes". */
    public static String tlb(Cpu c) {
        if (!c.paging()) {
            return "paging is disabled\n";
        }
        StringBuilder b = new StringBuilder();
        for (Page p : pages(c)) {
            b.append(String.format("%08x: %09x %s%n", p.linear(), p.physical(), p.attrs()));
        }
        return b.toString();
    }

    /**
     * QEMU's {@code info mem}: runs of consecutive linear pages with the same user and write
     * permission, "start-end size attributes" (u or -, r, w or -).
     */
    public static String mem(Cpu c) {
        if (!c.paging()) {
            return "paging is disabled\n";
        }
        StringBuilder b = new StringBuilder();
        long start = -1, end = -1;
        String attrs = null;
        for (Page p : pages(c)) {
            String a = (p.user() ? "u" : "-") + "r" + (p.writable() ? "w" : "-");
            if (start >= 0 && p.linear() == end && a.equals(attrs)) {
                end += p.size();
                continue;
            }
            if (start >= 0) {
                b.append(String.format("%08x-%08x %08x %s%n", start, end, end - start, attrs));
            }
            start = p.linear();
            end = start + p.size();
            attrs = a;
        }
        if (start >= 0) {
            b.append(String.format("%08x-%08x %08x %s%n", start, end, end - start, attrs));
        }
        return b.toString();
    }

    private static long read32(PhysicalMemory m, long pa) {
        long v = 0;
        for (int i = 3; i >= 0; i--) {
            int b = m.peek(pa + i);
            v = v << 8 | (b < 0 ? 0 : b);
        }
        return v;
    }

    private static long read64(PhysicalMemory m, long pa) {
        return read32(m, pa) | read32(m, pa + 4) << 32;
    }
}
