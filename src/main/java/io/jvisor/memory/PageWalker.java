package io.jvisor.memory;

/**
 * Walks the guest's page tables (SDM Vol. 3 ch. 4): 32-bit paging with 4 KiB and, with
 * CR4.PSE, 4 MiB pages; PAE paging with 4 KiB and 2 MiB pages. Sets accessed and dirty
 * bits as the hardware does, and answers either a physical address or the page-fault
 * error code. It does not throw: the CPU turns a failure into #PF.
 *
 * <p>With PAE and IA32_EFER.NXE, bit 63 of a directory or table entry is XD (SDM 4.6):
 * an instruction fetch from a page with XD at either level faults, and every fault of a
 * fetch reports the I/D bit; without NXE bit 63 is reserved.
 */
public final class PageWalker {
    /** Page-fault error code bits (SDM 4.7). */
    public static final int PF_PRESENT = 1, PF_WRITE = 2, PF_USER = 4, PF_RSVD = 8, PF_FETCH = 16;

    private final PhysicalMemory mem;

    /** Filled by a successful walk. */
    public long physAddr;
    public boolean global;
    /** Effective permissions of the translation (AND over all levels). */
    public boolean writable, user, executable;
    /** Whether the final entry is dirty (a read fill of a clean page cannot serve writes). */
    public boolean dirty;
    /** log2(pages of 4 KiB) of the translation's page: 0, 9 (2 MiB) or 10 (4 MiB). */
    public int largeShift;
    /** Filled by a failed walk: the #PF error code. */
    public int errorCode;
    /** When false, a walk sets no accessed/dirty bits (debugger and report reads). */
    private boolean update = true;
    /** This walk is for an instruction fetch with NX in force: XD applies and faults report I/D. */
    private boolean fetchNx;
    /** IA32_EFER.NXE with PAE paging: bit 63 is XD instead of reserved. */
    private boolean nxe;

    /** Translates without side effects; returns the physical address or -1. */
    public long probe(int cr3, long[] pdpte, boolean pse, int lin, boolean noExecute) {
        update = false;
        try {
            return walk(cr3, pdpte, pse, lin, false, false, false, false, noExecute) ? physAddr : -1;
        } finally {
            update = true;
        }
    }

    public PageWalker(PhysicalMemory mem) {
        this.mem = mem;
    }

    /**
     * Translates {@code lin}. {@code supervisorWriteProtect} is CR0.WP. Returns true on
     * success (see the public fields).
     *
     * @param pdpte the four PAE PDPTEs loaded at the last CR3 write, or null for 32-bit paging
     */
    public boolean walk(int cr3, long[] pdpte, boolean pse, int lin, boolean write, boolean userAccess,
                        boolean supervisorWriteProtect) {
        return walk(cr3, pdpte, pse, lin, write, userAccess, supervisorWriteProtect, false, false);
    }

    /**
     * As above for any access: {@code fetch} for an instruction fetch, {@code noExecute} for
     * IA32_EFER.NXE (it has effect with PAE paging only).
     */
    public boolean walk(int cr3, long[] pdpte, boolean pse, int lin, boolean write, boolean userAccess,
                        boolean supervisorWriteProtect, boolean fetch, boolean noExecute) {
        nxe = noExecute && pdpte != null;
        fetchNx = fetch && nxe;
        return pdpte != null
                ? walkPae(pdpte, lin, write, userAccess, supervisorWriteProtect)
                : walk32(cr3, pse, lin, write, userAccess, supervisorWriteProtect);
    }

    private boolean walk32(int cr3, boolean pse, int lin, boolean write, boolean userAccess, boolean wp) {
        long pdeAddr = (cr3 & 0xfffff000L) | ((lin >>> 22) << 2);
        long pde = mem.read32(pdeAddr) & 0xffffffffL;
        if ((pde & 1) == 0) {
            return fail(0, write, userAccess);
        }
        if ((pde & 0x80) != 0 && pse) {
            // 4 MiB page; bits 13..21 of a PSE-36 PDE are reserved here (PSE-36 is not advertised)
            if ((pde & 0x003fe000) != 0) {
                return fail(PF_PRESENT | PF_RSVD, write, userAccess);
            }
            return leaf(-1, 0, pdeAddr, pde, (pde & 0xffc00000L) | (lin & 0x3fffff), 10, write, userAccess, wp);
        }
        long pteAddr = (pde & 0xfffff000L) | (((lin >>> 12) & 0x3ff) << 2);
        long pte = mem.read32(pteAddr) & 0xffffffffL;
        if ((pte & 1) == 0) {
            return fail(0, write, userAccess);
        }
        return leaf(pdeAddr, pde, pteAddr, pte, (pte & 0xfffff000L) | (lin & 0xfff), 0, write, userAccess, wp);
    }

    /** Reserved bits of PAE entries with MAXPHYADDR 36 and NX not enabled: 36..63. */
    private static final long PAE_RSVD = 0xffff_fff0_0000_0000L;
    /** XD: bit 63 of a PAE directory or table entry when IA32_EFER.NXE is set. */
    public static final long XD = 1L << 63;

    private long reserved() {
        return nxe ? PAE_RSVD & ~XD : PAE_RSVD;
    }

    private boolean walkPae(long[] pdpte, int lin, boolean write, boolean userAccess, boolean wp) {
        long pdp = pdpte[lin >>> 30];
        if ((pdp & 1) == 0) {
            return fail(0, write, userAccess);
        }
        long pdeAddr = (pdp & 0xf_ffff_f000L) | (((lin >>> 21) & 0x1ff) << 3);
        long pde = mem.read64(pdeAddr);
        if ((pde & 1) == 0) {
            return fail(0, write, userAccess);
        }
        if ((pde & reserved()) != 0) {
            return fail(PF_PRESENT | PF_RSVD, write, userAccess);
        }
        if ((pde & 0x80) != 0) {
            if ((pde & 0x1fe000L) != 0) {
                return fail(PF_PRESENT | PF_RSVD, write, userAccess);
            }
            return leaf(-1, 0, pdeAddr, pde, (pde & 0xf_ffe0_0000L) | (lin & 0x1fffff), 9, write, userAccess, wp);
        }
        long pteAddr = (pde & 0xf_ffff_f000L) | (((lin >>> 12) & 0x1ff) << 3);
        long pte = mem.read64(pteAddr);
        if ((pte & 1) == 0) {
            return fail(0, write, userAccess);
        }
        if ((pte & reserved()) != 0) {
            return fail(PF_PRESENT | PF_RSVD, write, userAccess);
        }
        return leaf(pdeAddr, pde, pteAddr, pte, (pte & 0xf_ffff_f000L) | (lin & 0xfff), 0, write, userAccess, wp);
    }

    /**
     * The last step of a walk, alike for every format: permissions are the AND over the
     * directory entry (if any, {@code dirAddr} >= 0) and the entry that maps the page; then the
     * accessed bits are set, and the dirty bit on a write (SDM 4.8), in the entries' low dword.
     */
    private boolean leaf(long dirAddr, long dir, long entryAddr, long entry, long phys, int shift, boolean write,
                         boolean userAccess, boolean wp) {
        long perm = dirAddr >= 0 ? dir & entry : entry;
        boolean u = (perm & 4) != 0, w = (perm & 2) != 0;
        boolean x = !nxe || ((dirAddr >= 0 ? dir | entry : entry) & XD) == 0;
        if (!permitted(u, w, write, userAccess, wp) || fetchNx && !x) {
            return fail(PF_PRESENT, write, userAccess);
        }
        // atomic OR: other vCPUs may clear accessed bits (lock btr) in the same entries meanwhile
        if (dirAddr >= 0 && (dir & 0x20) == 0 && update) {
            mem.atomicOr32(dirAddr, 0x20);
        }
        long newEntry = entry | 0x20 | (write ? 0x40 : 0);
        if (newEntry != entry && update) {
            mem.atomicOr32(entryAddr, (int) (newEntry & ~entry));
        }
        physAddr = phys;
        largeShift = shift;
        global = (entry & 0x100) != 0;
        writable = w;
        user = u;
        executable = x;
        dirty = (newEntry & 0x40) != 0;
        return true;
    }

    /** SDM 4.6: user accesses need U/S everywhere; writes need R/W unless a supervisor write with CR0.WP=0. */
    private static boolean permitted(boolean u, boolean w, boolean write, boolean userAccess, boolean wp) {
        if (userAccess && !u) {
            return false;
        }
        if (write && !w) {
            return !userAccess && !wp;
        }
        return true;
    }

    private boolean fail(int code, boolean write, boolean userAccess) {
        errorCode = code | (write ? PF_WRITE : 0) | (userAccess ? PF_USER : 0) | (fetchNx ? PF_FETCH : 0);
        return false;
    }
}
