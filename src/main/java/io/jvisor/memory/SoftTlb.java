package io.jvisor.memory;

import java.util.Arrays;

/**
 * The soft TLB: jvisor's shadow page table (DESIGN.md section 4). Direct-mapped, one table
 * per access kind (read/write x supervisor/user); an entry maps a guest linear page to
 * the guest physical page of a RAM page and to where that page is in the VM's RAM arrays,
 * so a hit is a tag compare and a direct array access. Pages that are not plain RAM (ROM, MMIO, holes) are never entered
 * and always take the slow path. Writes to pages holding decoded code are never entered
 * either, so that self-modifying code is caught.
 */
public final class SoftTlb {
    public static final int BITS = 11;
    public static final int SIZE = 1 << BITS;
    public static final int MASK = SIZE - 1;
    public static final int READ_SUP = 0, READ_USER = 1, WRITE_SUP = 2, WRITE_USER = 3;

    /** tag[kind][i] = linear page number, or -1 when empty. */
    public final int[][] tag = new int[4][SIZE];
    /** phys[kind][i] = physical address of the page (low 12 bits zero). */
    public final long[][] phys = new long[4][SIZE];
    /** ram[kind][i] = the RAM array holding the page, off[kind][i] = the page's offset in it. */
    public final byte[][][] ram = new byte[4][SIZE][];
    public final int[][] off = new int[4][SIZE];
    /** The RAM the physical pages are in (null: tags and addresses only, for tests of the TLB itself). */
    private final PhysicalMemory mem;
    private final boolean[][] global = new boolean[4][SIZE];
    /** For entries filled from a 2 MiB or 4 MiB page: log2 of its size in 4 KiB pages (else 0). */
    private final byte[][] largeShift = new byte[4][SIZE];
    /** Fills from large pages since the last full flush (a hint that invlpg must scan). */
    private int largeFills;

    public SoftTlb() {
        this(null);
    }

    public SoftTlb(PhysicalMemory mem) {
        this.mem = mem;
        flushAll();
    }

    public void fill(int kind, int linPage, long physPage, boolean isGlobal) {
        fill(kind, linPage, physPage, isGlobal, 0);
    }

    /** Fills an entry; {@code shift} is 0 for a 4 KiB page, 9 or 10 when it came from a 2 or 4 MiB page. */
    public void fill(int kind, int linPage, long physPage, boolean isGlobal, int shift) {
        int i = linPage & MASK;
        tag[kind][i] = linPage;
        phys[kind][i] = physPage;
        if (mem != null) {
            ram[kind][i] = mem.chunk(physPage);
            off[kind][i] = PhysicalMemory.offsetInChunk(physPage);
        }
        global[kind][i] = isGlobal;
        largeShift[kind][i] = (byte) shift;
        if (shift != 0) {
            largeFills++;
        }
    }

    public void flushAll() {
        for (int k = 0; k < 4; k++) {
            Arrays.fill(tag[k], -1);
        }
        largeFills = 0;
    }

    /** CR3 write with CR4.PGE: global entries survive (SDM 4.10.4.1). */
    public void flushNonGlobal() {
        for (int k = 0; k < 4; k++) {
            int[] t = tag[k];
            boolean[] g = global[k];
            for (int i = 0; i < SIZE; i++) {
                if (!g[i]) {
                    t[i] = -1;
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
        for (int k = 0; k < 4; k++) {
            if (tag[k][i] == linPage) {
                tag[k][i] = -1;
            }
        }
        if (largeFills == 0) {
            return;
        }
        for (int k = 0; k < 4; k++) {
            int[] t = tag[k];
            byte[] ls = largeShift[k];
            for (int j = 0; j < SIZE; j++) {
                int s = ls[j];
                if (s != 0 && t[j] != -1 && (t[j] >>> s) == (linPage >>> s)) {
                    t[j] = -1;
                }
            }
        }
    }

    /** Drops write entries that point at a physical page (it now holds decoded code). */
    public void dropWritesTo(long physPage) {
        for (int k = WRITE_SUP; k <= WRITE_USER; k++) {
            int[] t = tag[k];
            long[] p = phys[k];
            for (int i = 0; i < SIZE; i++) {
                if (t[i] != -1 && p[i] == physPage) {
                    t[i] = -1;
                }
            }
        }
    }
}
