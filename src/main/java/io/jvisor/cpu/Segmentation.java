package io.jvisor.cpu;

/**
 * Loading segment registers with the protected-mode checks of SDM Vol. 2 (MOV/POP to a
 * segment register, LDS/LES/LFS/LGS/LSS) and descriptor table access.
 */
public final class Segmentation {
    private Segmentation() { }

    /**
     * Reads the descriptor for {@code sel} from the GDT or LDT. Returns null when the
     * selector is outside the table; the caller raises the fault its instruction defines.
     */
    public static Descriptor read(Cpu c, int sel) {
        int base, limit;
        if ((sel & 4) != 0) {
            if ((c.segAttr[Cpu.LDTR] & Cpu.ATTR_UNUSABLE) != 0 || (c.segSel[Cpu.LDTR] & ~3) == 0) {
                return null;
            }
            base = c.segBase[Cpu.LDTR];
            limit = c.segLimit[Cpu.LDTR];
        } else {
            base = c.gdtBase;
            limit = c.gdtLimit;
        }
        int off = sel & 0xfff8;
        if (Integer.compareUnsigned(off + 7, limit) > 0) {
            return null;
        }
        return new Descriptor(c.readSys32(base + off), c.readSys32(base + off + 4));
    }

    /** Linear address of the descriptor (caller has validated it with {@link #read}). */
    public static int address(Cpu c, int sel) {
        return ((sel & 4) != 0 ? c.segBase[Cpu.LDTR] : c.gdtBase) + (sel & 0xfff8);
    }

    /** Sets the accessed bit of a code/data descriptor in memory, as loading does. */
    public static void setAccessed(Cpu c, int sel, Descriptor d) {
        if ((d.hi & 0x100) == 0) {
            c.writeSys(address(c, sel) + 5, 1, (d.hi >>> 8 | 1) & 0xff);
        }
    }

    public static Descriptor readOrGp(Cpu c, int sel) {
        Descriptor d = read(c, sel);
        if (d == null) {
            throw Fault.gp(sel & 0xfffc);
        }
        return d;
    }

    /** MOV Sreg / POP Sreg / Lxs for ES, SS, DS, FS, GS. */
    public static void load(Cpu c, int s, int sel) {
        sel &= 0xffff;
        if (!c.protectedMode() || c.v86()) {
            c.loadSegmentReal(s, sel);
            return;
        }
        if ((sel & 0xfffc) == 0) {
            if (s == Cpu.SS) {
                throw Fault.gp0();
            }
            c.setSegmentCache(s, sel, 0, 0, Cpu.ATTR_UNUSABLE);
            return;
        }
        Descriptor d = readOrGp(c, sel);
        int rpl = sel & 3;
        if (s == Cpu.SS) {
            if (rpl != c.cpl || !d.writable() || d.dpl() != c.cpl) {
                throw Fault.gp(sel & 0xfffc);
            }
            if (!d.present()) {
                throw Fault.ss(sel & 0xfffc);
            }
        } else {
            if (!d.isCodeOrData() || !d.readable()) {
                throw Fault.gp(sel & 0xfffc);
            }
            if ((d.isData() || !d.conforming()) && (rpl > d.dpl() || c.cpl > d.dpl())) {
                throw Fault.gp(sel & 0xfffc);
            }
            if (!d.present()) {
                throw Fault.np(sel & 0xfffc);
            }
        }
        setAccessed(c, sel, d);
        c.setSegmentCache(s, sel, d.base(), d.limit(), d.attr() | 0x100);
    }

    /** MOV r/m, Sreg: the selector to store; #UD for a register number above GS. */
    public static int movFromSreg(Cpu c, int sreg) {
        if (sreg > Cpu.GS) {
            throw Fault.ud();
        }
        if (sreg == Cpu.CS) {
            c.exits.inc(ExitReason.RING_ALIAS);
        }
        return c.segSel[sreg];
    }

    /** MOV Sreg, r/m: #UD for CS or a register number above GS, checked before the operand is read. */
    public static void checkMovToSreg(int sreg) {
        if (sreg > Cpu.GS || sreg == Cpu.CS) {
            throw Fault.ud();
        }
    }

    /** MOV Sreg, r/m (register checked by {@link #checkMovToSreg}): MOV SS opens an interrupt shadow. */
    public static void movToSreg(Cpu c, int sreg, int sel) {
        load(c, sreg, sel);
        if (sreg == Cpu.SS) {
            c.interruptShadow = true;
            c.movSsShadow = true;
        }
    }

    /**
     * LDS/LES/LFS/LGS/LSS: loads {@code sreg} with {@code sel}, then register {@code reg} with
     * {@code offset}, so a failed segment load changes nothing. Unlike MOV SS, LSS opens no
     * interrupt shadow.
     */
    public static void loadFarPointer(Cpu c, int sreg, int reg, int size, int offset, int sel) {
        load(c, sreg, sel);
        c.setReg(reg, size, offset);
    }

    /** Loads a code/data descriptor into a cache without checks (the caller has made them). */
    public static void loadCache(Cpu c, int s, int sel, Descriptor d) {
        setAccessed(c, sel, d);
        c.setSegmentCache(s, sel, d.base(), d.limit(), d.attr() | 0x100);
    }

    /**
     * After a return to an outer privilege level (RET far, IRET): data segment registers
     * that the new CPL may not use are nulled (SDM RET pseudocode).
     */
    public static void nullInaccessible(Cpu c) {
        for (int s : new int[] {Cpu.ES, Cpu.DS, Cpu.FS, Cpu.GS}) {
            int attr = c.segAttr[s];
            if ((attr & Cpu.ATTR_UNUSABLE) != 0) {
                continue;
            }
            boolean dataOrNonConforming = (attr & 0x18) == 0x10 || (attr & 0x1c) == 0x18;
            int dpl = (attr >>> 5) & 3;
            if (dataOrNonConforming && dpl < c.cpl) {
                c.setSegmentCache(s, 0, 0, 0, Cpu.ATTR_UNUSABLE);
            }
        }
    }
}
