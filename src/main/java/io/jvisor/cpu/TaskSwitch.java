package io.jvisor.cpu;

/**
 * Hardware task switching (SDM Vol. 3 7.3): through a TSS descriptor (JMP, CALL), a task
 * gate (JMP, CALL, INT, exceptions: Linux i386 handles #DF this way) and IRET with NT set.
 * Supports 32-bit and 16-bit TSS formats.
 */
public final class TaskSwitch {
    private TaskSwitch() { }

    public static final int JMP = 0, CALL = 1, INT = 2, IRET = 3;

    static void viaTaskGate(Cpu c, Descriptor gate, int source, int next) {
        int sel = gate.gateSelector();
        if ((sel & 4) != 0) {
            throw Fault.ts(sel & 0xfffc);
        }
        Descriptor d = Segmentation.read(c, sel);
        if (d == null || d.isCodeOrData() || (d.type() != Descriptor.TSS16_AVAIL && d.type() != Descriptor.TSS32_AVAIL)) {
            throw Fault.gp(sel & 0xfffc);
        }
        if (!d.present()) {
            throw Fault.np(sel & 0xfffc);
        }
        switchTo(c, sel, d, source, next);
    }

    /**
     * IRET with NT=1: return to the task named by the back link of the current TSS. The
     * outgoing task's EIP is saved as {@code next}, so that it resumes after its IRET.
     */
    static void iretReturn(Cpu c, int next) {
        int back = c.readSys16(c.segBase[Cpu.TR]);
        if ((back & 4) != 0) {
            throw Fault.ts(back & 0xfffc);
        }
        Descriptor d = Segmentation.read(c, back);
        if (d == null || d.isCodeOrData() || (d.type() != Descriptor.TSS16_BUSY && d.type() != Descriptor.TSS32_BUSY)) {
            throw Fault.ts(back & 0xfffc);
        }
        if (!d.present()) {
            throw Fault.np(back & 0xfffc);
        }
        switchTo(c, back, d, IRET, next);
    }

    /** Performs the switch to the TSS {@code sel} (SDM 7.3 steps 3-14). {@code next} is the EIP saved in the old TSS. */
    static void switchTo(Cpu c, int sel, Descriptor d, int source, int next) {
        boolean new32 = (d.type() & 8) != 0;
        int minLimit = new32 ? 0x67 : 0x2b;
        if (Integer.compareUnsigned(d.limit(), minLimit) < 0) {
            throw Fault.ts(sel & 0xfffc);
        }
        int newBase = d.base();
        int oldSel = c.segSel[Cpu.TR];
        int oldBase = c.segBase[Cpu.TR];
        boolean old32 = (c.segAttr[Cpu.TR] & 0xf) == Descriptor.TSS32_BUSY || (c.segAttr[Cpu.TR] & 0xf) == Descriptor.TSS32_AVAIL;

        // read the whole new state first, so a page fault here leaves everything unchanged
        int[] regs = new int[8];
        int[] sels = new int[6];
        int newEip, newFlags, newCr3 = c.cr3, ldt;
        if (new32) {
            newCr3 = c.readSys32(newBase + 0x1c);
            newEip = c.readSys32(newBase + 0x20);
            newFlags = c.readSys32(newBase + 0x24);
            for (int i = 0; i < 8; i++) {
                regs[i] = c.readSys32(newBase + 0x28 + 4 * i);
            }
            for (int s = 0; s < 6; s++) {
                sels[s] = c.readSys16(newBase + 0x48 + 4 * s);
            }
            ldt = c.readSys16(newBase + 0x60);
        } else {
            newEip = c.readSys16(newBase + 0x0e);
            newFlags = c.readSys16(newBase + 0x10) | (c.getEflags() & 0xffff0000) & ~Flags.VM;
            for (int i = 0; i < 8; i++) {
                regs[i] = c.readSys16(newBase + 0x12 + 2 * i) | 0xffff0000;   // a 386 fills the upper halves with ones
            }
            for (int s = 0; s < 4; s++) {
                sels[s] = c.readSys16(newBase + 0x22 + 2 * s);
            }
            ldt = c.readSys16(newBase + 0x2a);
        }

        // save the outgoing state in the current TSS
        // SDM 7.3 step 8 and table 7-2: only IRET clears NT in the outgoing task's saved image;
        // a fault being delivered through a task gate saves RF set (SDM 17.3.1.1)
        int flags = c.getEflags() | (c.deliveringFault ? Flags.RF : 0);
        if (source == IRET) {
            flags &= ~Flags.NT;
        }
        if (old32) {
            c.writeSys(oldBase + 0x20, 4, next);
            c.writeSys(oldBase + 0x24, 4, flags);
            for (int i = 0; i < 8; i++) {
                c.writeSys(oldBase + 0x28 + 4 * i, 4, c.r[i]);
            }
            for (int s = 0; s < 6; s++) {
                c.writeSys(oldBase + 0x48 + 4 * s, 2, c.segSel[s]);
            }
        } else {
            c.writeSys(oldBase + 0x0e, 2, next);
            c.writeSys(oldBase + 0x10, 2, flags);
            for (int i = 0; i < 8; i++) {
                c.writeSys(oldBase + 0x12 + 2 * i, 2, c.r[i]);
            }
            for (int s = 0; s < 4; s++) {
                c.writeSys(oldBase + 0x22 + 2 * s, 2, c.segSel[s]);
            }
        }
        if (source == JMP || source == IRET) {
            setBusy(c, oldSel, false);
        }
        if (source == CALL || source == INT) {
            c.writeSys(newBase, 2, oldSel);
            newFlags |= Flags.NT;
        }
        if (source != IRET) {
            setBusy(c, sel, true);
        }
        // load TR and the new state; from here on faults belong to the new task
        int trType = (new32 ? Descriptor.TSS32_BUSY : Descriptor.TSS16_BUSY);
        c.setSegmentCache(Cpu.TR, sel, newBase, d.limit(), (d.attr() & ~0xf) | trType);
        if (new32 && c.paging()) {
            c.writeCr(3, newCr3);
        } else if (new32) {
            c.cr3 = newCr3;
        }
        c.cr0 |= Cpu.CR0_TS;
        System.arraycopy(regs, 0, c.r, 0, 8);
        c.eip = newEip;
        c.setEflags(newFlags);
        c.keepResumeFlag = (newFlags & Flags.RF) != 0;   // RF comes from the new task's EFLAGS image
        // selectors first (so a fault shows the new values), then the descriptor checks
        for (int s = 0; s < 6; s++) {
            c.segSel[s] = sels[s];
        }
        c.segSel[Cpu.LDTR] = ldt;
        loadLdt(c, ldt);
        if (c.v86()) {
            c.setCpl(3);
            for (int s = 0; s < 6; s++) {
                c.loadSegmentReal(s, sels[s]);
            }
            return;
        }
        // SDM 7.2.1: the T flag of the new TSS raises a debug trap before its first instruction
        if (new32 && (c.readSys16(newBase + 0x64) & 1) != 0) {
            c.dr[6] |= 0x8000;
            c.pendingDebugTrap = true;
        }
        int newCpl = sels[Cpu.CS] & 3;
        c.setCpl(newCpl);
        loadTaskSegment(c, Cpu.SS, sels[Cpu.SS], newCpl);
        loadTaskSegment(c, Cpu.CS, sels[Cpu.CS], newCpl);
        for (int s : new int[] {Cpu.ES, Cpu.DS, Cpu.FS, Cpu.GS}) {
            if (new32 || s < Cpu.FS) {
                loadTaskSegment(c, s, sels[s], newCpl);
            } else {
                c.setSegmentCache(s, 0, 0, 0, Cpu.ATTR_UNUSABLE);
            }
        }
    }

    private static void setBusy(Cpu c, int sel, boolean busy) {
        int addr = Segmentation.address(c, sel) + 5;
        int b = c.readSys8(addr);
        c.writeSys(addr, 1, busy ? b | 2 : b & ~2);
    }

    private static void loadLdt(Cpu c, int ldt) {
        if ((ldt & 0xfffc) == 0) {
            c.setSegmentCache(Cpu.LDTR, ldt, 0, 0, Cpu.ATTR_UNUSABLE);
            return;
        }
        if ((ldt & 4) != 0) {
            throw Fault.ts(ldt & 0xfffc);
        }
        Descriptor d = Segmentation.read(c, ldt);
        if (d == null || d.isCodeOrData() || d.type() != Descriptor.LDT) {
            throw Fault.ts(ldt & 0xfffc);
        }
        if (!d.present()) {
            throw Fault.ts(ldt & 0xfffc);
        }
        c.setSegmentCache(Cpu.LDTR, ldt, d.base(), d.limit(), d.attr());
    }

    /** SDM 7.3 step 13 / table 7-1: segment checks in the context of the new task raise #TS (or #NP/#SS). */
    private static void loadTaskSegment(Cpu c, int s, int sel, int cpl) {
        if ((sel & 0xfffc) == 0) {
            if (s == Cpu.CS || s == Cpu.SS) {
                throw Fault.ts(sel & 0xfffc);
            }
            c.setSegmentCache(s, sel, 0, 0, Cpu.ATTR_UNUSABLE);
            return;
        }
        Descriptor d = Segmentation.read(c, sel);
        if (d == null) {
            throw Fault.ts(sel & 0xfffc);
        }
        switch (s) {
            case Cpu.CS -> {
                if (!d.isCode() || (d.conforming() ? d.dpl() > cpl : d.dpl() != cpl)) {
                    throw Fault.ts(sel & 0xfffc);
                }
                if (!d.present()) {
                    throw Fault.np(sel & 0xfffc);
                }
            }
            case Cpu.SS -> {
                if (!d.writable() || d.dpl() != cpl || (sel & 3) != cpl) {
                    throw Fault.ts(sel & 0xfffc);
                }
                if (!d.present()) {
                    throw Fault.ss(sel & 0xfffc);
                }
            }
            default -> {
                if (!d.readable() || ((d.isData() || !d.conforming()) && (d.dpl() < cpl || d.dpl() < (sel & 3)))) {
                    throw Fault.ts(sel & 0xfffc);
                }
                if (!d.present()) {
                    throw Fault.np(sel & 0xfffc);
                }
            }
        }
        Segmentation.loadCache(c, s, sel, d);
    }
}
