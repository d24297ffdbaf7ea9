package io.jvisor.memory;

import java.util.Arrays;

/**
 * The soft TLB: jvisor's shadow page table (DESIGN.md section 4). Direct-mapped, one table
 * per access kind (read/write/execute x supervisor/user; execute entries exist only for
 * pages the walk found executable, so that NX is honoured on every fetch); an entry maps a guest linear page to the
 * guest physical page of a RAM page. Entry and tag are one {@code long}: the linear page
 * number in the high half, the physical page address in the low half, which for RAM is
 * also where the page is among the VM's RAM arrays ({@link PhysicalMemory#chunks}: chunk
 * index in the top bits, offset below), so a hit is one load, a compare and a direct array
 * access. Pages that are not plain RAM (ROM, MMIO, holes) are never entered and always take
 * the slow path. Writes to pages holding decoded code are never entered either, so that
 * self-modifying code is caught.
 */
public final class SoftTlb {
    public static final int BITS = 11;
    public static final int SIZE = 1 << BITS;
    public static final int MASK = SIZE - 1;
    public static final int READ_SUP = 0, READ_USER = 1, WRITE_SUP = 2, WRITE_USER = 3, EXEC_SUP = 4, EXEC_USER = 5;
    static final int KINDS = 6;
    /** An empty entry: its tag (-1) is no linear page number. */
    public static final long EMPTY = -1L;

    /** entry[kind][i] = linear page number &lt;&lt; 32 | physical address of the page, or {@link #EMPTY}. */
    public final long[][] entry = new long[KINDS][SIZE];
    private final boolean[][] global = new boolean[KINDS][SIZE];
    /** For entries filled from a 2 MiB or 4 MiB page: log2 of its size in 4 KiB pages (else 0). */
    private final byte[][] largeShift = new byte[KINDS][SIZE];
    /** Fills from large pages since the last full flush (a hint that invlpg must scan). */
    private int largeFills;

    /** The linear page number an entry maps (-1 when empty). */
    public static int tag(long e) {
        return (int) (e >>> 32);
    }

    /** The physical page address an entry maps to. */
    public static long phys(long e) {
        return e & 0xffff_ffffL;
    }

    public SoftTlb() {
        flushAll();
    }

    public void fill(int kind, int linPage, long physPage, boolean isGlobal) {
        fill(kind, linPage, physPage, isGlobal, 0);
    }

    /**
     * Fills an entry for a RAM page (below 4 GiB: guest RAM ends below {@link PhysicalMemory#MAX_RAM});
     * {@code shift} is 0 for a 4 KiB page, 9 or 10 when it came from a 2 or 4 MiB page.
     */
    public void fill(int kind, int linPage, long physPage, boolean isGlobal, int shift) {
        int i = linPage & MASK;
        entry[kind][i] = (long) linPage << 32 | physPage;
        global[kind][i] = isGlobal;
        largeShift[kind][i] = (byte) shift;
        if (shift != 0) {
            largeFills++;
        }
    }

    public void flushAll() {
        for (int k = 0; k < KINDS; k++) {
            Arrays.fill(entry[k], EMPTY);
        }
        largeFills = 0;
    }

    /** CR3 write with CR4.PGE: global entries survive (SDM 4.10.4.1). */
    public void flushNonGlobal() {
        for (int k = 0; k < KINDS; k++) {
            long[] t = entry[k];
            boolean[] g = global[k];
            for (int i = 0; i < SIZE; i++) {
                if (!g[i]) {
                    t[i] = EMPTY;
                }
            }
        }
    }

    /**
     * invlpg: drops the page in every kind, global or not, and every 4 KiB entry made from a
     * large page containing it (SDM 4.10.2.3: a large page cached as smaller entries goes whole).
     */
    public void flushPage(int linPage) {
        int i = linPage & MASK;
        for (int k = 0; k < KINDS; k++) {
            if (tag(entry[k][i]) == linPage) {
                entry[k][i] = EMPTY;
            }
        }
        if (largeFills == 0) {
            return;
        }
        for (int k = 0; k < KINDS; k++) {
            long[] t = entry[k];
            byte[] ls = largeShift[k];
            for (int j = 0; j < SIZE; j++) {
                int s = ls[j];
                if (s != 0 && t[j] != EMPTY && (tag(t[j]) >>> s) == (linPage >>> s)) {
                    t[j] = EMPTY;
                }
            }
        }
    }

    /** Drops write entries that point at a physical page (it now holds decoded code). */
    public void dropWritesTo(long physPage) {
        for (int k = WRITE_SUP; k <= WRITE_USER; k++) {
            long[] t = entry[k];
            for (int i = 0; i < SIZE; i++) {
                if (t[i] != EMPTY && phys(t[i]) == physPage) {
                    t[i] = EMPTY;
                }
            }
        }
    }
}
