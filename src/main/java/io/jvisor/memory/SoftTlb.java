package io.jvisor.memory;

import java.util.Arrays;

/**
 * The soft TLB: jvisor's shadow page table (DESIGN.md section 4). Direct-mapped, one table
 * per access kind (read/write x supervisor/user); an entry maps a guest linear page to
 * the guest physical page of a RAM page, so a hit is a tag compare and a direct load from
 * the VM's RAM segment. Pages that are not plain RAM (ROM, MMIO, holes) are never entered
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
    private final boolean[][] global = new boolean[4][SIZE];

    public SoftTlb() {
        flushAll();
    }

    public void fill(int kind, int linPage, long physPage, boolean isGlobal) {
        int i = linPage & MASK;
        tag[kind][i] = linPage;
        phys[kind][i] = physPage;
        global[kind][i] = isGlobal;
    }

    public void flushAll() {
        for (int k = 0; k < 4; k++) {
            Arrays.fill(tag[k], -1);
        }
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

    /** invlpg: drops the page in every kind, global or not. */
    public void flushPage(int linPage) {
        int i = linPage & MASK;
        for (int k = 0; k < 4; k++) {
            if (tag[k][i] == linPage) {
                tag[k][i] = -1;
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
