package io.jvisor.cpu;

/**
 * The state a multi-step control transfer may change before it can fault (stack pointer,
 * segment caches, CPL, EFLAGS): saved first and restored if a fault interrupts the
 * transfer, so the fault is reported against the state the instruction started from.
 */
final class Rollback {
    private final int esp, cpl, eflags;
    private final int[] sel = new int[6], base = new int[6], limit = new int[6], attr = new int[6];

    Rollback(Cpu c) {
        esp = c.r[Cpu.ESP];
        cpl = c.cpl;
        eflags = c.getEflags();
        for (int s = 0; s < 6; s++) {
            sel[s] = c.segSel[s];
            base[s] = c.segBase[s];
            limit[s] = c.segLimit[s];
            attr[s] = c.segAttr[s];
        }
    }

    /** The CS selector when the transfer began. */
    int oldCs() {
        return sel[Cpu.CS];
    }

    void restore(Cpu c) {
        c.r[Cpu.ESP] = esp;
        c.setEflags(eflags);
        c.setCpl(cpl);
        for (int s = 0; s < 6; s++) {
            c.setSegmentCache(s, sel[s], base[s], limit[s], attr[s]);
        }
    }
}
