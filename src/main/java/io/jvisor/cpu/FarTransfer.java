package io.jvisor.cpu;

/**
 * Far JMP, far CALL, far RET and IRET in every mode (SDM Vol. 2 pseudocode for JMP, CALL,
 * RET, IRET; Vol. 3 5.8 privilege checks for control transfers). {@code next} is the
 * address of the following instruction (the return address).
 */
public final class FarTransfer {
    private FarTransfer() { }

    private static boolean realOrV86(Cpu c) {
        return !c.protectedMode() || c.v86();
    }

    // ----------------------------------------------------------------------------- JMP far

    /**
     * JMP m16:16/m16:32 and CALL m16:16/m16:32 ({@code call}): reads the offset ({@code size}
     * bytes at {@code seg:off}), then the selector after it, and transfers as the direct forms.
     */
    public static void farIndirect(Cpu c, boolean call, int seg, int off, int size, boolean o32, int next) {
        int offset = c.read(seg, off, size);
        int sel = c.read16(seg, off + size);
        if (call) {
            callFar(c, sel, offset, o32, next);
        } else {
            jmpFar(c, sel, offset, o32, next);
        }
    }


    public static void jmpFar(Cpu c, int sel, int offset, boolean o32, int next) {
        sel &= 0xffff;
        if (!o32) {
            offset &= 0xffff;
        }
        if (realOrV86(c)) {
            checkRealLimit(c, offset);
            c.loadSegmentReal(Cpu.CS, sel);
            c.eip = offset;
            return;
        }
        if ((sel & 0xfffc) == 0) {
            throw Fault.gp0();
        }
        Descriptor d = Segmentation.readOrGp(c, sel);
        if (d.isCode()) {
            checkCodeTarget(c, sel, d);
            if (Integer.compareUnsigned(offset, d.limit()) > 0) {
                throw Fault.gp0();
            }
            Segmentation.loadCache(c, Cpu.CS, (sel & 0xfffc) | c.cpl, d);
            c.eip = offset;
            return;
        }
        if (d.isCodeOrData()) {
            throw Fault.gp(sel & 0xfffc);
        }
        switch (d.type()) {
            case Descriptor.CALL_GATE16, Descriptor.CALL_GATE32 -> {
                checkGate(c, sel, d);
                int csel = d.gateSelector();
                Descriptor cd = gateTarget(c, csel);
                if (cd.conforming() ? cd.dpl() > c.cpl : cd.dpl() != c.cpl) {
                    throw Fault.gp(csel & 0xfffc);
                }
                if (!cd.present()) {
                    throw Fault.np(csel & 0xfffc);
                }
                int off = d.type() == Descriptor.CALL_GATE16 ? d.gateOffset() & 0xffff : d.gateOffset();
                if (Integer.compareUnsigned(off, cd.limit()) > 0) {
                    throw Fault.gp0();
                }
                Segmentation.loadCache(c, Cpu.CS, (csel & 0xfffc) | c.cpl, cd);
                c.eip = off;
            }
            case Descriptor.TASK_GATE -> {
                checkGate(c, sel, d);
                TaskSwitch.viaTaskGate(c, d, TaskSwitch.JMP, next);
            }
            case Descriptor.TSS16_AVAIL, Descriptor.TSS32_AVAIL -> toTss(c, sel, d, TaskSwitch.JMP, next);
            default -> throw Fault.gp(sel & 0xfffc);
        }
    }

    /** JMP or CALL naming an available TSS: DPL, presence, then the task switch (SDM JMP/CALL pseudocode). */
    private static void toTss(Cpu c, int sel, Descriptor d, int source, int next) {
        if (d.dpl() < c.cpl || d.dpl() < (sel & 3)) {
            throw Fault.gp(sel & 0xfffc);
        }
        if (!d.present()) {
            throw Fault.np(sel & 0xfffc);
        }
        TaskSwitch.switchTo(c, sel, d, source, next);
    }

    private static void checkRealLimit(Cpu c, int offset) {
        if (Integer.compareUnsigned(offset, c.segLimit[Cpu.CS]) > 0) {
            throw Fault.gp0();
        }
    }

    /** SDM 5.8.2: direct transfer to a code segment. */
    private static void checkCodeTarget(Cpu c, int sel, Descriptor d) {
        int rpl = sel & 3;
        if (d.conforming()) {
            if (d.dpl() > c.cpl) {
                throw Fault.gp(sel & 0xfffc);
            }
        } else if (rpl > c.cpl || d.dpl() != c.cpl) {
            throw Fault.gp(sel & 0xfffc);
        }
        if (!d.present()) {
            throw Fault.np(sel & 0xfffc);
        }
    }

    private static void checkGate(Cpu c, int sel, Descriptor d) {
        if (d.dpl() < c.cpl || d.dpl() < (sel & 3)) {
            throw Fault.gp(sel & 0xfffc);
        }
        if (!d.present()) {
            throw Fault.np(sel & 0xfffc);
        }
    }

    private static Descriptor gateTarget(Cpu c, int csel) {
        if ((csel & 0xfffc) == 0) {
            throw Fault.gp0();
        }
        Descriptor cd = Segmentation.read(c, csel);
        if (cd == null || !cd.isCode() || cd.dpl() > c.cpl) {
            throw Fault.gp(csel & 0xfffc);
        }
        return cd;
    }

    // ----------------------------------------------------------------------------- CALL far

    public static void callFar(Cpu c, int sel, int offset, boolean o32, int next) {
        sel &= 0xffff;
        int size = o32 ? 4 : 2;
        if (!o32) {
            offset &= 0xffff;
        }
        if (realOrV86(c)) {
            checkRealLimit(c, offset);
            int sp0 = c.r[Cpu.ESP];
            try {
                c.push(size, c.segSel[Cpu.CS]);
                c.push(size, next);
            } catch (Fault f) {
                c.r[Cpu.ESP] = sp0;
                throw f;
            }
            c.loadSegmentReal(Cpu.CS, sel);
            c.eip = offset;
            return;
        }
        if ((sel & 0xfffc) == 0) {
            throw Fault.gp0();
        }
        Descriptor d = Segmentation.readOrGp(c, sel);
        if (d.isCode()) {
            checkCodeTarget(c, sel, d);
            if (Integer.compareUnsigned(offset, d.limit()) > 0) {
                throw Fault.gp0();
            }
            int sp0 = c.r[Cpu.ESP];
            try {
                c.push(size, c.segSel[Cpu.CS]);
                c.push(size, next);
            } catch (Fault f) {
                c.r[Cpu.ESP] = sp0;
                throw f;
            }
            Segmentation.loadCache(c, Cpu.CS, (sel & 0xfffc) | c.cpl, d);
            c.eip = offset;
            return;
        }
        if (d.isCodeOrData()) {
            throw Fault.gp(sel & 0xfffc);
        }
        switch (d.type()) {
            case Descriptor.CALL_GATE16, Descriptor.CALL_GATE32 -> callGate(c, sel, d, next);
            case Descriptor.TASK_GATE -> {
                checkGate(c, sel, d);
                TaskSwitch.viaTaskGate(c, d, TaskSwitch.CALL, next);
            }
            case Descriptor.TSS16_AVAIL, Descriptor.TSS32_AVAIL -> toTss(c, sel, d, TaskSwitch.CALL, next);
            default -> throw Fault.gp(sel & 0xfffc);
        }
    }

    /** SDM 5.8.5/5.8.6: call through a call gate, with a stack switch when the target is more privileged. */
    private static void callGate(Cpu c, int sel, Descriptor gate, int next) {
        checkGate(c, sel, gate);
        int csel = gate.gateSelector();
        Descriptor cd = gateTarget(c, csel);
        if (!cd.present()) {
            throw Fault.np(csel & 0xfffc);
        }
        boolean gate32 = gate.type() == Descriptor.CALL_GATE32;
        int size = gate32 ? 4 : 2;
        int target = gate32 ? gate.gateOffset() : gate.gateOffset() & 0xffff;
        if (Integer.compareUnsigned(target, cd.limit()) > 0) {
            throw Fault.gp0();
        }
        Rollback rb = new Rollback(c);
        try {
            if (!cd.conforming() && cd.dpl() < c.cpl) {
                int newCpl = cd.dpl();
                int oldSs = c.segSel[Cpu.SS], oldEsp = c.r[Cpu.ESP];
                int params = gate.gateParamCount();
                int[] copied = new int[params];
                for (int i = 0; i < params; i++) {
                    copied[i] = c.peek(size, i * size);
                }
                Stacks.switchToInner(c, newCpl, Fault.TS, 0);
                try {
                    c.push(size, oldSs);
                    c.push(size, oldEsp);
                    for (int i = params - 1; i >= 0; i--) {
                        c.push(size, copied[i]);
                    }
                    c.push(size, rb.oldCs());
                    c.push(size, next);
                } catch (Fault f) {
                    throw Stacks.newStackFault(c, f, 0);
                }
                Segmentation.loadCache(c, Cpu.CS, (csel & 0xfffc) | newCpl, cd);
            } else {
                c.push(size, c.segSel[Cpu.CS]);
                c.push(size, next);
                Segmentation.loadCache(c, Cpu.CS, (csel & 0xfffc) | c.cpl, cd);
            }
        } catch (Fault f) {
            rb.restore(c);
            throw f;
        }
        c.eip = target;
    }

    // ----------------------------------------------------------------------------- RET far

    public static void retFar(Cpu c, boolean o32, int imm) {
        int size = o32 ? 4 : 2;
        if (realOrV86(c)) {
            int off = c.peek(size, 0);
            int sel = c.peek(size, size) & 0xffff;
            if (!o32) {
                off &= 0xffff;
            }
            checkRealLimit(c, off);
            c.setSp(c.sp() + 2 * size + imm);
            c.loadSegmentReal(Cpu.CS, sel);
            c.eip = off;
            return;
        }
        int off = c.peek(size, 0);
        int sel = c.peek(size, size) & 0xffff;
        if (!o32) {
            off &= 0xffff;
        }
        int rpl = sel & 3;
        if ((sel & 0xfffc) == 0) {
            throw Fault.gp0();
        }
        Descriptor d = Segmentation.readOrGp(c, sel);
        if (!d.isCode() || rpl < c.cpl || (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl)) {
            throw Fault.gp(sel & 0xfffc);
        }
        if (!d.present()) {
            throw Fault.np(sel & 0xfffc);
        }
        if (rpl == c.cpl) {
            if (Integer.compareUnsigned(off, d.limit()) > 0) {
                throw Fault.gp0();
            }
            c.setSp(c.sp() + 2 * size + imm);
            Segmentation.loadCache(c, Cpu.CS, sel, d);
            c.eip = off;
            return;
        }
        // return to an outer privilege level
        int newEsp = c.peek(size, 2 * size + imm);
        int ssSel = c.peek(size, 3 * size + imm) & 0xffff;
        Descriptor sd = checkOuterStack(c, ssSel, rpl);
        if (Integer.compareUnsigned(off, d.limit()) > 0) {
            throw Fault.gp0();
        }
        Segmentation.loadCache(c, Cpu.CS, sel, d);
        c.setCpl(rpl);
        Segmentation.loadCache(c, Cpu.SS, ssSel, sd);
        c.setSp(newEsp);   // the new SS's B bit sizes the load: a 16-bit stack keeps ESP's upper half (espfix)
        c.setSp(c.sp() + imm);
        c.eip = off;
        Segmentation.nullInaccessible(c);
    }

    /** The SS checks of RET/IRET to an outer level (#GP(sel) for each, SDM RET pseudocode). */
    private static Descriptor checkOuterStack(Cpu c, int ssSel, int rpl) {
        if ((ssSel & 0xfffc) == 0) {
            throw Fault.gp0();
        }
        Descriptor sd = Segmentation.read(c, ssSel);
        if (sd == null || (ssSel & 3) != rpl || !sd.writable() || sd.dpl() != rpl) {
            throw Fault.gp(ssSel & 0xfffc);
        }
        if (!sd.present()) {
            throw Fault.ss(ssSel & 0xfffc);
        }
        return sd;
    }

    // ----------------------------------------------------------------------------- IRET

    /** IRET / IRETD; an IRET that turns interrupts on counts as an IF_TOGGLE exit; it also unblocks NMIs. */
    public static void iret(Cpu c, boolean o32, int next) {
        c.nmiBlocked = false;   // SDM 6.7.1: an NMI handler's IRET ends NMI blocking (even one that faults)
        boolean wasOff = !c.interruptsEnabled();
        iretTransfer(c, o32, next);
        c.keepResumeFlag = (c.getEflags() & Flags.RF) != 0;   // SDM 17.3.1.1: IRET is exempt from clearing RF
        if (wasOff && c.interruptsEnabled()) {
            c.exits.inc(ExitReason.IF_TOGGLE);
        }
    }

    private static void iretTransfer(Cpu c, boolean o32, int next) {
        int size = o32 ? 4 : 2;
        if (!c.protectedMode()) {
            int off = c.peek(size, 0);
            int sel = c.peek(size, size) & 0xffff;
            int fl = c.peek(size, 2 * size);
            if (!o32) {
                off &= 0xffff;
            }
            checkRealLimit(c, off);
            c.setSp(c.sp() + 3 * size);
            c.loadSegmentReal(Cpu.CS, sel);
            c.eip = off;
            int cur = c.getEflags();
            if (o32) {
                // SDM IRET real mode: VM, VIF, VIP are not loaded
                c.setEflags((fl & 0x257fd5) | (cur & 0x1a0000));
            } else {
                c.setEflags((cur & 0xffff0000) | (fl & 0xffff));
            }
            return;
        }
        if (c.v86()) {
            if (c.iopl() != 3) {
                throw Fault.gp0();
            }
            int off = c.peek(size, 0);
            int sel = c.peek(size, size) & 0xffff;
            int fl = c.peek(size, 2 * size);
            if (!o32) {
                off &= 0xffff;
            }
            checkRealLimit(c, off);
            c.setSp(c.sp() + 3 * size);
            c.loadSegmentReal(Cpu.CS, sel);
            c.eip = off;
            int cur = c.getEflags();
            int keep = Flags.IOPL | Flags.VM | Flags.VIF | Flags.VIP;
            if (!o32) {
                keep |= 0xffff0000;
            }
            c.setEflags((fl & ~keep) | (cur & keep));
            return;
        }
        if (c.flag(Flags.NT)) {
            TaskSwitch.iretReturn(c, next);
            return;
        }
        int off = c.peek(size, 0);
        int sel = c.peek(size, size) & 0xffff;
        int fl = c.peek(size, 2 * size);
        if (o32 && (fl & Flags.VM) != 0 && c.cpl == 0) {
            iretToV86(c, off, sel, fl);
            return;
        }
        if (!o32) {
            off &= 0xffff;
        }
        int rpl = sel & 3;
        if ((sel & 0xfffc) == 0) {
            throw Fault.gp0();
        }
        Descriptor d = Segmentation.readOrGp(c, sel);
        if (!d.isCode() || rpl < c.cpl || (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl)) {
            throw Fault.gp(sel & 0xfffc);
        }
        if (!d.present()) {
            throw Fault.np(sel & 0xfffc);
        }
        int oldCpl = c.cpl;
        if (rpl == c.cpl) {
            if (Integer.compareUnsigned(off, d.limit()) > 0) {
                throw Fault.gp0();
            }
            c.setSp(c.sp() + 3 * size);
            Segmentation.loadCache(c, Cpu.CS, sel, d);
            c.eip = off;
            loadIretFlags(c, fl, o32, oldCpl);
            return;
        }
        int newEsp = c.peek(size, 3 * size);
        int ssSel = c.peek(size, 4 * size) & 0xffff;
        Descriptor sd = checkOuterStack(c, ssSel, rpl);
        if (Integer.compareUnsigned(off, d.limit()) > 0) {
            throw Fault.gp0();
        }
        Segmentation.loadCache(c, Cpu.CS, sel, d);
        loadIretFlags(c, fl, o32, oldCpl);
        c.setCpl(rpl);
        Segmentation.loadCache(c, Cpu.SS, ssSel, sd);
        c.setSp(newEsp);   // the new SS's B bit sizes the load: a 16-bit stack keeps ESP's upper half (espfix)
        c.eip = off;
        Segmentation.nullInaccessible(c);
    }

    /** SDM IRET: which EFLAGS bits the popped image may change depends on the CPL and IOPL before the return. */
    private static void loadIretFlags(Cpu c, int fl, boolean o32, int oldCpl) {
        int changeable = Flags.ARITH | Flags.TF | Flags.DF | Flags.NT;
        if (o32) {
            changeable |= Flags.RF | Flags.AC | Flags.ID;
        }
        if (oldCpl <= c.iopl()) {
            changeable |= Flags.IF;
        }
        if (oldCpl == 0) {
            changeable |= Flags.IOPL;
            if (o32) {
                changeable |= Flags.VIF | Flags.VIP;
            }
        }
        int cur = c.getEflags();
        c.setEflags((cur & ~changeable) | (fl & changeable));
    }

    /** SDM IRET "RETURN-TO-VIRTUAL-8086-MODE". */
    private static void iretToV86(Cpu c, int off, int sel, int fl) {
        int newEsp = c.peek(4, 12);
        int ss = c.peek(4, 16);
        int es = c.peek(4, 20);
        int ds = c.peek(4, 24);
        int fs = c.peek(4, 28);
        int gs = c.peek(4, 32);
        c.setEflags(fl);   // sets VM; caches are recomputed for virtual-8086 rules
        c.setCpl(3);
        c.loadSegmentReal(Cpu.CS, sel);
        c.loadSegmentReal(Cpu.SS, ss);
        c.loadSegmentReal(Cpu.ES, es);
        c.loadSegmentReal(Cpu.DS, ds);
        c.loadSegmentReal(Cpu.FS, fs);
        c.loadSegmentReal(Cpu.GS, gs);
        c.r[Cpu.ESP] = newEsp;
        c.eip = off & 0xffff;
    }
}
