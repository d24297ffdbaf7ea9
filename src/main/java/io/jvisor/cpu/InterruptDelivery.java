package io.jvisor.cpu;

/**
 * Delivers an interrupt or exception to the guest (SDM Vol. 3 ch. 6 and the INT n
 * pseudocode): the real-mode IVT, or the protected-mode IDT with interrupt, trap and task
 * gates, privilege changes with the TSS stack switch, and entry from virtual-8086 mode.
 */
public final class InterruptDelivery {
    private InterruptDelivery() { }

    /** Kinds of event; software ones check the gate DPL against CPL. */
    public static final int EXTERNAL = 0, EXCEPTION = 1, SOFTWARE = 2, SOFTWARE_EXCEPTION = 3;

    /**
     * INT imm8 (and INT1/ICEBP, {@code icebp}): ICEBP raises #DB as a trap with no IOPL or gate
     * DPL check; INT n is #GP(0) in virtual-8086 mode below IOPL 3 (SDM INT n pseudocode).
     */
    public static void softwareInterrupt(Cpu c, boolean icebp, int vector, int next) {
        if (icebp) {
            deliver(c, Fault.DB, EXCEPTION, false, 0, next);
            return;
        }
        if (c.v86() && c.iopl() < 3) {
            throw Fault.gp0();
        }
        if (vector == 0x80) {
            c.exits.inc(ExitReason.SYSCALL);
        }
        deliver(c, vector, SOFTWARE, false, 0, next);
    }

    /** INTO: raises #OF as a trap when OF is set; returns whether it did. */
    public static boolean into(Cpu c, int next) {
        if (!c.of()) {
            return false;
        }
        deliver(c, Fault.OF, SOFTWARE_EXCEPTION, false, 0, next);
        return true;
    }

    /**
     * Delivers {@code vector}. {@code returnEip} is pushed as the return address (the
     * faulting instruction for faults, the next one for traps and INT n).
     */
    public static void deliver(Cpu c, int vector, int kind, boolean hasError, int errorCode, int returnEip) {
        c.halted = false;
        if (!c.protectedMode()) {
            deliverReal(c, vector, returnEip);
            return;
        }
        int ext = (kind == EXTERNAL || kind == EXCEPTION) ? 1 : 0;
        int idtError = vector * 8 + 2 + ext;
        if (Integer.compareUnsigned(vector * 8 + 7, c.idtLimit) > 0) {
            throw Fault.gp(idtError);
        }
        Descriptor gate = new Descriptor(c.readSys32(c.idtBase + vector * 8), c.readSys32(c.idtBase + vector * 8 + 4));
        int type = gate.type();
        if (gate.isCodeOrData() || !(type == Descriptor.TASK_GATE || type == Descriptor.INT_GATE16
                || type == Descriptor.TRAP_GATE16 || type == Descriptor.INT_GATE32 || type == Descriptor.TRAP_GATE32)) {
            throw Fault.gp(idtError);
        }
        if ((kind == SOFTWARE || kind == SOFTWARE_EXCEPTION) && gate.dpl() < c.cpl) {
            throw Fault.gp(vector * 8 + 2);
        }
        if (!gate.present()) {
            throw Fault.np(idtError);
        }
        if (type == Descriptor.TASK_GATE) {
            TaskSwitch.viaTaskGate(c, gate, TaskSwitch.INT, returnEip);
            if (hasError) {
                int size = (c.segAttr[Cpu.TR] & 0xf) == Descriptor.TSS32_BUSY ? 4 : 2;
                c.push(size, errorCode);
            }
            return;
        }
        int csel = gate.gateSelector();
        if ((csel & 0xfffc) == 0) {
            throw Fault.gp(ext);
        }
        Descriptor cd = Segmentation.read(c, csel);
        if (cd == null || !cd.isCode() || cd.dpl() > c.cpl) {
            throw Fault.gp((csel & 0xfffc) | ext);
        }
        if (!cd.present()) {
            throw Fault.np((csel & 0xfffc) | ext);
        }
        boolean gate32 = type == Descriptor.INT_GATE32 || type == Descriptor.TRAP_GATE32;
        int size = gate32 ? 4 : 2;
        int target = gate32 ? gate.gateOffset() : gate.gateOffset() & 0xffff;
        // SDM 17.3.1.1: a fault pushes EFLAGS with RF set, so the faulting instruction can restart
        int oldFlags = c.getEflags() | (c.deliveringFault ? Flags.RF : 0);
        int oldCs = c.segSel[Cpu.CS];
        boolean fromV86 = c.v86();
        Rollback rb = new Rollback(c);
        try {
            if (!cd.conforming() && cd.dpl() < c.cpl) {
                if (fromV86 && cd.dpl() != 0) {
                    throw Fault.gp((csel & 0xfffc) | ext);
                }
                int oldSs = c.segSel[Cpu.SS], oldEsp = c.r[Cpu.ESP];
                int es = c.segSel[Cpu.ES], ds = c.segSel[Cpu.DS], fs = c.segSel[Cpu.FS], gs = c.segSel[Cpu.GS];
                if (fromV86) {
                    // leave VM before loading protected-mode selectors (the caches follow PM rules)
                    c.setEflags(oldFlags & ~Flags.VM);
                }
                Stacks.switchToInner(c, cd.dpl(), Fault.TS, ext);
                try {
                    if (fromV86) {
                        c.push(size, gs);
                        c.push(size, fs);
                        c.push(size, ds);
                        c.push(size, es);
                    }
                    c.push(size, oldSs);
                    c.push(size, oldEsp);
                    c.push(size, oldFlags);
                    c.push(size, oldCs);
                    c.push(size, returnEip);
                    if (hasError) {
                        c.push(size, errorCode);
                    }
                } catch (Fault f) {
                    throw Stacks.newStackFault(c, f, ext);
                }
                if (fromV86) {
                    for (int s : new int[] {Cpu.ES, Cpu.DS, Cpu.FS, Cpu.GS}) {
                        c.setSegmentCache(s, 0, 0, 0, Cpu.ATTR_UNUSABLE);
                    }
                }
                Segmentation.loadCache(c, Cpu.CS, (csel & 0xfffc) | cd.dpl(), cd);
            } else {
                if (fromV86) {
                    throw Fault.gp((csel & 0xfffc) | ext);
                }
                c.push(size, oldFlags);
                c.push(size, oldCs);
                c.push(size, returnEip);
                if (hasError) {
                    c.push(size, errorCode);
                }
                Segmentation.loadCache(c, Cpu.CS, (csel & 0xfffc) | c.cpl, cd);
            }
        } catch (Fault f) {
            rb.restore(c);
            c.deliveringFault = false;
            throw f;
        }
        if (Integer.compareUnsigned(target, cd.limit()) > 0) {
            rb.restore(c);
            throw Fault.gp(ext);
        }
        int clear = Flags.TF | Flags.NT | Flags.RF | Flags.VM;
        if (type == Descriptor.INT_GATE16 || type == Descriptor.INT_GATE32) {
            clear |= Flags.IF;
        }
        c.setEflags(c.getEflags() & ~clear);
        c.keepResumeFlag = false;
        c.eip = target;
    }

    private static final int BENIGN = 0, CONTRIBUTORY = 1, PAGE_FAULT = 2, DOUBLE_FAULT = 3;

    private static int faultClass(int vector) {
        return switch (vector) {
            case Fault.DE, Fault.TS, Fault.NP, Fault.SS, Fault.GP -> CONTRIBUTORY;
            case Fault.PF -> PAGE_FAULT;
            case Fault.DF -> DOUBLE_FAULT;
            default -> BENIGN;
        };
    }

    /**
     * Delivers an event and handles faults raised while delivering it (SDM 6.15 table 6-5):
     * a contributory fault during a contributory one, or a contributory or page fault
     * during a page fault, becomes #DF; a fault while delivering #DF is a triple fault.
     * Other pairs are delivered one after the other.
     */
    public static void deliverEvent(Cpu c, int vector, int kind, boolean hasError, int errorCode, int returnEip) {
        deliverEvent(c, vector, kind, hasError, errorCode, returnEip, false);
    }

    /**
     * As above; {@code fault} says the event is a fault (the return address is the faulting
     * instruction), which pushes EFLAGS with RF set.
     */
    public static void deliverEvent(Cpu c, int vector, int kind, boolean hasError, int errorCode, int returnEip,
                                    boolean fault) {
        int faultEip = c.eip;
        int cls = kind == EXCEPTION ? faultClass(vector) : BENIGN;
        if (vector == Fault.DB && kind == EXCEPTION) {
            c.dr[7] &= ~SystemOps.DR7_GD;   // SDM 17.2.4: entering the #DB handler clears GD
        }
        if (kind == EXCEPTION) {
            c.exits.inc(ExitReason.EXCEPTION);
        }
        while (true) {
            try {
                if (kind == EXCEPTION) {
                    c.lastException = vector;
                    if (c.firstException < 0) {
                        c.firstException = vector;
                    }
                }
                c.deliveringFault = fault;
                deliver(c, vector, kind, hasError, errorCode, returnEip);
                c.deliveringFault = false;
                return;
            } catch (Fault f) {
                fault = true;
                int next = faultClass(f.vector);
                if (cls == DOUBLE_FAULT) {
                    c.deliveringFault = false;   // the machine shuts down; nothing is being delivered any more
                    throw new TripleFault(String.format("triple fault: exception %d while delivering a double fault", f.vector));
                }
                c.exits.inc(ExitReason.EXCEPTION);
                if ((cls == CONTRIBUTORY && next == CONTRIBUTORY) || (cls == PAGE_FAULT && next != BENIGN)) {
                    vector = Fault.DF;
                    hasError = true;
                    errorCode = 0;
                    cls = DOUBLE_FAULT;
                } else {
                    vector = f.vector;
                    hasError = f.hasErrorCode;
                    errorCode = f.errorCode;
                    cls = next;
                }
                kind = EXCEPTION;
                c.eip = faultEip;
                returnEip = faultEip;
            }
        }
    }

    /** Real mode: push FLAGS, CS, IP and jump through the IVT (SDM 20.1.4). */
    private static void deliverReal(Cpu c, int vector, int returnEip) {
        if (Integer.compareUnsigned(vector * 4 + 3, c.idtLimit) > 0) {
            throw Fault.gp(vector * 8 + 2);
        }
        int ip = c.readLin16(c.idtBase + vector * 4);
        int cs = c.readLin16(c.idtBase + vector * 4 + 2);
        int sp0 = c.r[Cpu.ESP];
        try {
            c.push(2, c.getEflags());
            c.push(2, c.segSel[Cpu.CS]);
            c.push(2, returnEip);
        } catch (Fault f) {
            c.r[Cpu.ESP] = sp0;
            throw f;
        }
        c.loadSegmentReal(Cpu.CS, cs);
        c.eip = ip;
        c.setEflags(c.getEflags() & ~(Flags.IF | Flags.TF | Flags.AC | Flags.RF));
        c.keepResumeFlag = false;
    }
}
