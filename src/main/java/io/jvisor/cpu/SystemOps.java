package io.jvisor.cpu;

/**
 * System instructions and the privilege rules around them (SDM Vol. 2 and Vol. 3 ch. 2,
 * 5, 16): descriptor-table registers, LLDT/LTR, LAR/LSL/VERR/VERW, ARPL, EFLAGS access with
 * IOPL and virtual-8086 rules, the I/O permission bitmap, MSRs, SYSENTER/SYSEXIT.
 */
public final class SystemOps {
    private SystemOps() { }

    /** #GP(0) unless at CPL 0 (and not in virtual-8086 mode); counts a PRIV_INSN exit. */
    public static void requireCpl0(Cpu c) {
        if (c.protectedMode() && (c.cpl != 0 || c.v86())) {
            throw Fault.gp0();
        }
        c.exits.inc(ExitReason.PRIV_INSN);
    }

    /** #UD in real and virtual-8086 mode (LLDT, LTR, SLDT, STR, LAR, LSL, VERR, VERW, ARPL). */
    public static void requireProtected(Cpu c) {
        if (!c.protectedMode() || c.v86()) {
            throw Fault.ud();
        }
    }

    // ---- I/O permission (SDM 19.5, 19.5.2)

    /** Checks IOPL and, when CPL > IOPL or in virtual-8086 mode, the TSS I/O permission bitmap. */
    public static void checkIo(Cpu c, int port, int size) {
        if (!c.protectedMode() || (!c.v86() && c.cpl <= c.iopl())) {
            return;
        }
        int trType = c.segAttr[Cpu.TR] & 0xf;
        if (trType != Descriptor.TSS32_BUSY && trType != Descriptor.TSS32_AVAIL) {
            throw Fault.gp0();
        }
        int limit = c.segLimit[Cpu.TR];
        if (Integer.compareUnsigned(0x67, limit) > 0) {
            throw Fault.gp0();
        }
        int base = c.segBase[Cpu.TR];
        int mapBase = c.readSys16(base + 0x66);
        int off = mapBase + (port >>> 3);
        if (Integer.compareUnsigned(off + 1, limit) > 0) {
            throw Fault.gp0();
        }
        int bits = c.readSys16(base + off);
        int maskBits = ((1 << size) - 1) << (port & 7);
        if ((bits & maskBits) != 0) {
            throw Fault.gp0();
        }
    }

    /**
     * I/O breakpoints (SDM 17.2.4, 17.2.5): with CR4.DE set, an enabled DRn with R/W = 10
     * whose LEN-aligned port range overlaps the access sets DR6.Bn, and #DB is a trap
     * delivered once the instruction completes. Call after the permission check.
     */
    private static final int[] BREAKPOINT_LENGTH = {1, 2, 8, 4};   // DR7 LEN 00, 01, 10, 11

    public static void ioBreakpoints(Cpu c, int port, int size) {
        int dr7 = c.dr[7];
        if ((dr7 & 0xff) == 0 || (c.cr4 & Cpu.CR4_DE) == 0) {
            return;
        }
        for (int k = 0; k < 4; k++) {
            if ((dr7 & (3 << (2 * k))) == 0 || ((dr7 >>> (16 + 4 * k)) & 3) != 2) {
                continue;
            }
            int len = BREAKPOINT_LENGTH[(dr7 >>> (18 + 4 * k)) & 3];
            int start = c.dr[k] & 0xffff & ~(len - 1);
            if (port < start + len && start < port + size) {
                c.dr[6] |= 1 << k;
                c.pendingDebugTrap = true;
            }
        }
    }

    public static int in(Cpu c, int port, int size) {
        checkIo(c, port, size);
        ioBreakpoints(c, port & 0xffff, size);
        c.exits.inc(ExitReason.IO_PORT);
        return c.io.in(port & 0xffff, size);
    }

    public static void out(Cpu c, int port, int size, int v) {
        checkIo(c, port, size);
        ioBreakpoints(c, port & 0xffff, size);
        c.exits.inc(ExitReason.IO_PORT);
        c.io.out(port & 0xffff, size, v);
    }

    // ---- EFLAGS access

    public static void cli(Cpu c) {
        checkIf(c);
        c.setInterruptFlag(false);
        c.exits.inc(ExitReason.IF_TOGGLE);
    }

    /** STI: sets IF; the interrupt shadow keeps interrupts off until the next instruction ends. */
    public static void sti(Cpu c) {
        checkIf(c);
        if (!c.interruptsEnabled()) {
            c.interruptShadow = true;
        }
        c.setInterruptFlag(true);
        c.exits.inc(ExitReason.IF_TOGGLE);
    }

    private static void checkIf(Cpu c) {
        if (c.protectedMode() && c.iopl() < (c.v86() ? 3 : c.cpl)) {
            throw Fault.gp0();
        }
    }

    /** SAHF: loads SF, ZF, AF, PF and CF from AH. */
    public static void sahf(Cpu c) {
        int arith = Flags.SF | Flags.ZF | Flags.AF | Flags.PF | Flags.CF;
        c.setArithFlags((c.getEflags() & ~arith) | (c.reg8(4) & arith));
    }

    /** LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. */
    public static void lahf(Cpu c) {
        c.setReg8(4, (c.getEflags() & 0xd5) | 2);
    }

    /** The EFLAGS image PUSHF stores: VM and RF read as zero (SDM PUSHF). */
    public static int pushfImage(Cpu c) {
        if (c.v86() && c.iopl() < 3) {
            throw Fault.gp0();
        }
        c.exits.inc(ExitReason.RING_ALIAS);
        return c.getEflags() & ~(Flags.VM | Flags.RF);
    }

    /** POPF / POPFD with the IOPL and IF rules of each mode. */
    public static void popf(Cpu c, int v, boolean o32) {
        int cur = c.getEflags();
        int changeable;
        if (c.v86()) {
            if (c.iopl() < 3) {
                throw Fault.gp0();
            }
            changeable = Flags.ARITH | Flags.TF | Flags.IF | Flags.DF | Flags.NT | Flags.AC | Flags.ID;
        } else {
            changeable = Flags.ARITH | Flags.TF | Flags.DF | Flags.NT | Flags.AC | Flags.ID;
            if (!c.protectedMode() || c.cpl == 0) {
                changeable |= Flags.IOPL;
            }
            if (!c.protectedMode() || c.cpl <= c.iopl()) {
                changeable |= Flags.IF;
            }
        }
        if (!o32) {
            changeable &= 0xffff;
        }
        int nv = (cur & ~changeable) | (v & changeable);
        nv &= ~Flags.RF;
        if (((cur ^ nv) & Flags.IF) != 0) {
            c.exits.inc(ExitReason.IF_TOGGLE);
        }
        c.setEflags(nv);
    }

    // ---- descriptor-table registers

    public static void lgdt(Cpu c, int seg, int off, boolean o32) {
        requireCpl0(c);
        int limit = c.read16(seg, off);
        int base = c.read32(seg, off + 2);
        c.gdtLimit = limit;
        c.gdtBase = o32 ? base : base & 0xffffff;
    }

    public static void lidt(Cpu c, int seg, int off, boolean o32) {
        requireCpl0(c);
        int limit = c.read16(seg, off);
        int base = c.read32(seg, off + 2);
        c.idtLimit = limit;
        c.idtBase = o32 ? base : base & 0xffffff;
    }

    /** SGDT/SIDT store limit and base; with a 16-bit operand a P6 still stores all 32 base bits. */
    public static void storeTable(Cpu c, int seg, int off, int limit, int base) {
        c.exits.inc(ExitReason.RING_ALIAS);
        c.checkWritable(c.writeAddr(seg, off, 6), 6);
        c.write16(seg, off, limit);
        c.write32(seg, off + 2, base);
    }

    /** SLDT / STR: the LDTR or TR selector to store; #UD in real and virtual-8086 mode. */
    public static int storeSystemSelector(Cpu c, int sreg) {
        requireProtected(c);
        c.exits.inc(ExitReason.RING_ALIAS);
        return c.segSel[sreg];
    }

    /** SMSW: CR0 to store (all of it into a 32-bit register, its low word otherwise); allowed at any CPL. */
    public static int smsw(Cpu c) {
        c.exits.inc(ExitReason.RING_ALIAS);
        return c.cr0;
    }

    public static void lldt(Cpu c, int sel) {
        requireProtected(c);
        requireCpl0(c);
        sel &= 0xffff;
        if ((sel & 0xfffc) == 0) {
            c.setSegmentCache(Cpu.LDTR, sel, 0, 0, Cpu.ATTR_UNUSABLE);
            return;
        }
        if ((sel & 4) != 0) {
            throw Fault.gp(sel & 0xfffc);
        }
        Descriptor d = Segmentation.readOrGp(c, sel);
        if (d.isCodeOrData() || d.type() != Descriptor.LDT) {
            throw Fault.gp(sel & 0xfffc);
        }
        if (!d.present()) {
            throw Fault.np(sel & 0xfffc);
        }
        c.setSegmentCache(Cpu.LDTR, sel, d.base(), d.limit(), d.attr());
    }

    public static void ltr(Cpu c, int sel) {
        requireProtected(c);
        requireCpl0(c);
        sel &= 0xffff;
        if ((sel & 0xfffc) == 0) {
            throw Fault.gp0();
        }
        if ((sel & 4) != 0) {
            throw Fault.gp(sel & 0xfffc);
        }
        Descriptor d = Segmentation.readOrGp(c, sel);
        if (d.isCodeOrData() || (d.type() != Descriptor.TSS16_AVAIL && d.type() != Descriptor.TSS32_AVAIL)) {
            throw Fault.gp(sel & 0xfffc);
        }
        if (!d.present()) {
            throw Fault.np(sel & 0xfffc);
        }
        int addr = Segmentation.address(c, sel) + 5;
        c.writeSys(addr, 1, c.readSys8(addr) | 2);
        c.setSegmentCache(Cpu.TR, sel, d.base(), d.limit(), d.attr() | 2);
    }

    /**
     * LLDT, LTR ({@code protectedOnly}: #UD in real and virtual-8086 mode) and LMSW: #GP(0)
     * outside CPL 0, both checked before the source operand is read (SDM).
     */
    public static void checkSystemLoad(Cpu c, boolean protectedOnly) {
        if (protectedOnly) {
            requireProtected(c);
        }
        if (c.protectedMode() && (c.cpl != 0 || c.v86())) {
            throw Fault.gp0();
        }
    }

    /** LMSW: loads PE, MP, EM, TS; cannot clear PE (SDM LMSW). */
    public static void lmsw(Cpu c, int v) {
        requireCpl0(c);
        int nv = (c.cr0 & ~0xe) | (v & 0xf) | (c.cr0 & Cpu.CR0_PE);
        c.writeCr(0, nv);
    }

    public static void clts(Cpu c) {
        requireCpl0(c);
        c.cr0 &= ~Cpu.CR0_TS;
    }

    // ---- HLT, INVLPG, control and debug registers

    /** HLT: CPL 0 only; the vCPU stops until an interrupt arrives. */
    public static void hlt(Cpu c) {
        requireCpl0(c);
        c.exits.inc(ExitReason.HLT);
        c.halted = true;
    }

    /** INVLPG m: drops the TLB entry of the page holding the linear address of {@code seg:off}. */
    public static void invlpg(Cpu c, int seg, int off) {
        requireCpl0(c);
        int lin = c.segBase[seg] + off;
        c.tlb.flushPage(lin >>> 12);
        c.dropApicMapping(lin >>> 12);
        c.exits.inc(ExitReason.TLB_FLUSH);
    }

    /** MOV r32, CRn: CPL 0 only. */
    public static int movFromCr(Cpu c, int n) {
        requireCpl0(c);
        return c.readCr(n);
    }

    /** MOV CRn, r32: CPL 0 only. */
    public static void movToCr(Cpu c, int n, int v) {
        requireCpl0(c);
        c.writeCr(n, v);
    }

    /** MOV r32, DRn: CPL 0 only, the DR4/DR5 rule of {@link #debugRegister}, general detect. */
    public static int movFromDr(Cpu c, int n) {
        requireCpl0(c);
        int r = debugRegister(c, n);
        generalDetect(c);
        return c.dr[r];
    }

    /** MOV DRn, r32: CPL 0 only, the DR4/DR5 rule of {@link #debugRegister}, general detect. */
    public static void movToDr(Cpu c, int n, int v) {
        requireCpl0(c);
        int r = debugRegister(c, n);
        generalDetect(c);
        c.writeDebugRegister(r, v);
    }

    /**
     * DR7.GD (SDM 17.2.4): any MOV to or from a debug register raises #DB as a fault, with
     * DR6.BD set; delivering the #DB clears GD so that the handler can use the registers.
     */
    private static void generalDetect(Cpu c) {
        if ((c.dr[7] & DR7_GD) != 0) {
            c.dr[6] |= DR6_BD;
            throw Fault.of(Fault.DB);
        }
    }

    public static final int DR7_GD = 1 << 13, DR6_BD = 1 << 13;

    /** DR4/DR5 alias DR6/DR7 unless CR4.DE is set, when they are #UD (SDM 17.2.2). */
    private static int debugRegister(Cpu c, int n) {
        if (n == 4 || n == 5) {
            if ((c.cr4 & Cpu.CR4_DE) != 0) {
                throw Fault.ud();
            }
            return n + 2;
        }
        return n;
    }

    // ---- LAR / LSL / VERR / VERW / ARPL

    /**
     * LAR r, r/m16: the destination's new value, {@code oldDest} when ZF=0. A 16-bit
     * destination gets the access-rights word (type and flags byte), 32 bits also the G/D/AVL nibble.
     */
    public static int lar(Cpu c, int sel, int size, int oldDest) {
        int v = lar(c, sel);
        if (v == -1) {
            return oldDest;
        }
        return size == 2 ? v & 0xff00 : v;
    }

    /** LSL r, r/m16: the destination's new value (the byte-granular limit), {@code oldDest} when ZF=0. */
    public static int lsl(Cpu c, int sel, int oldDest) {
        int v = lsl(c, sel);
        return c.zf() ? v : oldDest;
    }


    /** Returns the access rights for LAR, or -1 (ZF=0) when the selector is not valid for it. */
    public static int lar(Cpu c, int sel) {
        requireProtected(c);
        c.exits.inc(ExitReason.RING_ALIAS);
        Descriptor d = visible(c, sel, true);
        setZf(c, d != null);
        return d == null ? -1 : d.hi & 0x00f0ff00;
    }

    public static int lsl(Cpu c, int sel) {
        requireProtected(c);
        c.exits.inc(ExitReason.RING_ALIAS);
        Descriptor d = visible(c, sel, false);
        setZf(c, d != null);
        return d == null ? -1 : d.limit();
    }

    private static Descriptor visible(Cpu c, int sel, boolean forLar) {
        sel &= 0xffff;
        if ((sel & 0xfffc) == 0) {
            return null;
        }
        Descriptor d = Segmentation.read(c, sel);
        if (d == null) {
            return null;
        }
        if (!d.isCodeOrData()) {
            int t = d.type();
            boolean ok = switch (t) {
                case Descriptor.TSS16_AVAIL, Descriptor.LDT, Descriptor.TSS16_BUSY, Descriptor.TSS32_AVAIL,
                     Descriptor.TSS32_BUSY -> true;
                case Descriptor.CALL_GATE16, Descriptor.TASK_GATE, Descriptor.CALL_GATE32 -> forLar;
                default -> false;
            };
            if (!ok) {
                return null;
            }
        }
        if (!d.conforming() && (d.dpl() < c.cpl || d.dpl() < (sel & 3))) {
            return null;
        }
        return d;
    }

    public static void verr(Cpu c, int sel) {
        requireProtected(c);
        Descriptor d = verifiable(c, sel);
        setZf(c, d != null && d.readable());
    }

    public static void verw(Cpu c, int sel) {
        requireProtected(c);
        Descriptor d = verifiable(c, sel);
        setZf(c, d != null && d.writable());
    }

    private static Descriptor verifiable(Cpu c, int sel) {
        sel &= 0xffff;
        if ((sel & 0xfffc) == 0) {
            return null;
        }
        Descriptor d = Segmentation.read(c, sel);
        if (d == null || !d.isCodeOrData()) {
            return null;
        }
        if (!d.conforming() && (d.dpl() < c.cpl || d.dpl() < (sel & 3))) {
            return null;
        }
        return d;
    }

    private static void setZf(Cpu c, boolean on) {
        c.setArithFlags(on ? c.getEflags() | Flags.ZF : c.getEflags() & ~Flags.ZF);
    }

    /** ARPL: raises the destination selector's RPL to the source's. */
    public static int arpl(Cpu c, int dest, int src) {
        requireProtected(c);
        if ((dest & 3) < (src & 3)) {
            setZf(c, true);
            return (dest & ~3) | (src & 3);
        }
        setZf(c, false);
        return dest;
    }

    // ---- MSRs

    public static final int MSR_TSC = 0x10, MSR_PLATFORM_ID = 0x17, MSR_APIC_BASE = 0x1b, MSR_BIOS_SIGN = 0x8b,
            MSR_MTRRCAP = 0xfe, MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176,
            MSR_PAT = 0x277, MSR_MTRR_DEF_TYPE = 0x2ff, MSR_MISC_ENABLE = 0x1a0, MSR_EFER = 0xc0000080,
            MSR_DEBUGCTL = 0x1d9, MSR_LBR_TOS = 0x1c9, MSR_LER_FROM = 0x1dd, MSR_LER_TO = 0x1de;
    /**
     * The Core 2's last-branch record stack (SDM 17.5): four FROM (0x40-0x43) and TO (0x60-0x63)
     * registers, the top-of-stack index and IA32_DEBUGCTL with its LBR (0) and
     * FREEZE_LBRS_ON_PMI (11) bits. The registers hold what software writes; branches are not
     * recorded into them.
     */
    static final int LBR_DEPTH = 4;
    static final long DEBUGCTL_WRITABLE = 1L | 1L << 11;

    private static boolean isLbr(int msr) {
        return msr >= 0x40 && msr < 0x40 + LBR_DEPTH || msr >= 0x60 && msr < 0x60 + LBR_DEPTH;
    }
    /**
     * IA32_MISC_ENABLE as a Pentium 4 reports it: fast strings (0), performance monitoring
     * available (7), BTS and PEBS unavailable (11, 12). Writable: fast strings, TCC (3),
     * limit CPUID maxval (22) and XD bit disable (34), which hides NX from CPUID and EFER.
     */
    static final long MISC_ENABLE_RESET = 0x1881L, MISC_ENABLE_FIXED = 0x1880L,
            MISC_ENABLE_WRITABLE = 1L | 1L << 3 | 1L << 22 | 1L << 34;
    public static final long MISC_ENABLE_LIMIT_CPUID = 1L << 22, MISC_ENABLE_XD_DISABLE = 1L << 34;

    private static boolean isMtrr(int msr) {
        return (msr >= 0x200 && msr <= 0x20f) || msr == 0x250 || msr == 0x258 || msr == 0x259
                || (msr >= 0x268 && msr <= 0x26f);
    }

    public static void rdmsr(Cpu c) {
        requireCpl0(c);
        int msr = c.r[Cpu.ECX];
        if (c.apic != null && (msr >= 0x800 && msr <= 0x8ff
                || msr == ApicAccess.MSR_TSC_DEADLINE && (CpuId.APIC_ECX & CpuId.TSC_DEADLINE) != 0)) {
            Long a = c.apic.readMsr(msr);
            if (a == null) {
                throw Fault.gp0();
            }
            c.r[Cpu.EAX] = (int) (long) a;
            c.r[Cpu.EDX] = (int) (a >>> 32);
            return;
        }
        if (PerfCounters.isPmuMsr(msr)) {
            long p = c.pmu.read(c, msr);
            c.r[Cpu.EAX] = (int) p;
            c.r[Cpu.EDX] = (int) (p >>> 32);
            return;
        }
        long v = switch (msr) {
            case MSR_TSC -> c.tsc();
            case MSR_PLATFORM_ID, MSR_BIOS_SIGN -> 0;
            case MSR_APIC_BASE -> c.apicBase;
            case MSR_MTRRCAP -> 0x508;   // 8 variable ranges, fixed ranges, write-combining
            case MSR_SYSENTER_CS -> c.sysenterCs & 0xffffffffL;
            case MSR_SYSENTER_ESP -> c.sysenterEsp & 0xffffffffL;
            case MSR_SYSENTER_EIP -> c.sysenterEip & 0xffffffffL;
            case MSR_PAT -> c.pat;
            case MSR_MTRR_DEF_TYPE -> c.mtrrDefType;
            case MSR_MISC_ENABLE -> c.miscEnable;
            case MSR_DEBUGCTL -> c.debugCtl;
            case MSR_LBR_TOS, MSR_LER_FROM, MSR_LER_TO -> 0;
            case MSR_EFER -> {
                if (!CpuId.nx(c)) {
                    throw Fault.gp0();
                }
                yield c.efer;
            }
            default -> {
                if (isMtrr(msr)) {
                    yield c.mtrr[msr - 0x200];
                }
                if (isLbr(msr)) {
                    yield c.lbr[(msr & 0x20) >>> 3 | (msr & 3)];
                }
                throw Fault.gp0();
            }
        };
        c.r[Cpu.EAX] = (int) v;
        c.r[Cpu.EDX] = (int) (v >>> 32);
    }

    public static void wrmsr(Cpu c) {
        requireCpl0(c);
        int msr = c.r[Cpu.ECX];
        long v = (c.r[Cpu.EAX] & 0xffffffffL) | ((long) c.r[Cpu.EDX] << 32);
        if (c.apic != null && (msr >= 0x800 && msr <= 0x8ff
                || msr == ApicAccess.MSR_TSC_DEADLINE && (CpuId.APIC_ECX & CpuId.TSC_DEADLINE) != 0)) {
            if (!c.apic.writeMsr(msr, v)) {
                throw Fault.gp0();
            }
            return;
        }
        if (PerfCounters.isPmuMsr(msr)) {
            if (!c.pmu.write(c, msr, v)) {
                throw Fault.gp0();
            }
            return;
        }
        switch (msr) {
            case MSR_TSC -> c.tscOffset = v - c.tscSource.getAsLong();
            case MSR_BIOS_SIGN -> { }
            case MSR_APIC_BASE -> {
                if ((v & ~0xfffff0d00L) != 0 || (v & 0x400) != 0 && c.apic == null) {
                    throw Fault.gp0();   // reserved bits (EXTD too without an APIC)
                }
                boolean en = (v & 0x800) != 0, extd = (v & 0x400) != 0;
                boolean wasEn = (c.apicBase & 0x800) != 0, wasExtd = (c.apicBase & 0x400) != 0;
                // SDM 10.12.5 "x2APIC State Transitions": EXTD without EN, x2APIC straight back to
                // xAPIC, and disabled straight to x2APIC are invalid
                if (extd && !en || wasExtd && wasEn && en && !extd || !wasEn && extd) {
                    throw Fault.gp0();
                }
                c.apicBase = (v & 0xfffff0c00L) | (c.apicBase & 0x100);   // BSP (bit 8) is read-only
                c.dropApicMapping(-1);
                if (c.apic != null) {
                    c.apic.baseChanged(c.apicBase);
                }
            }
            case MSR_SYSENTER_CS -> c.sysenterCs = (int) v;
            case MSR_SYSENTER_ESP -> c.sysenterEsp = (int) v;
            case MSR_SYSENTER_EIP -> c.sysenterEip = (int) v;
            case MSR_PAT -> {
                for (int i = 0; i < 8; i++) {
                    int t = (int) (v >>> (8 * i)) & 0xff;
                    if (t == 2 || t == 3 || t > 7) {
                        throw Fault.gp0();
                    }
                }
                c.pat = v;
            }
            case MSR_MTRR_DEF_TYPE -> c.mtrrDefType = v & 0xcff;
            case MSR_DEBUGCTL -> {
                if ((v & ~DEBUGCTL_WRITABLE) != 0) {
                    throw Fault.gp0();
                }
                c.debugCtl = v;
            }
            case MSR_MISC_ENABLE -> {
                if ((v & ~(MISC_ENABLE_WRITABLE | MISC_ENABLE_FIXED)) != 0) {
                    throw Fault.gp0();
                }
                c.miscEnable = (v & MISC_ENABLE_WRITABLE) | MISC_ENABLE_FIXED;
            }
            case MSR_EFER -> {
                // SDM 2.2.1: only NXE exists on a processor without 64-bit mode or SYSCALL
                if (!CpuId.nx(c) || (v & ~Cpu.EFER_NXE) != 0) {
                    throw Fault.gp0();
                }
                if (v != c.efer) {
                    c.efer = v;
                    c.flushTlb();   // bit 63 of PAE entries changes meaning
                }
            }
            default -> {
                if (isLbr(msr)) {
                    c.lbr[(msr & 0x20) >>> 3 | (msr & 3)] = v;
                    return;
                }
                if (!isMtrr(msr)) {
                    throw Fault.gp0();
                }
                c.mtrr[msr - 0x200] = v;
            }
        }
    }

    public static void rdtsc(Cpu c) {
        if ((c.cr4 & Cpu.CR4_TSD) != 0 && c.protectedMode() && c.cpl != 0) {
            throw Fault.gp0();
        }
        long t = c.tsc();
        c.r[Cpu.EAX] = (int) t;
        c.r[Cpu.EDX] = (int) (t >>> 32);
    }

    /** RDPMC (P6): CR4.PCE or CPL 0 is required, ECX selects counter 0 or 1 ({@link PerfCounters}). */
    public static void rdpmc(Cpu c) {
        if (c.protectedMode() && (c.cr4 & Cpu.CR4_PCE) == 0 && (c.cpl != 0 || c.v86())) {
            throw Fault.gp0();
        }
        if ((c.r[Cpu.ECX] & ~1) != 0) {
            throw Fault.gp0();
        }
        long v = c.pmu.counter(c, c.r[Cpu.ECX] & 1);
        c.r[Cpu.EAX] = (int) v;
        c.r[Cpu.EDX] = (int) (v >>> 32) & 0xff;
    }

    // ---- SYSENTER / SYSEXIT (SDM Vol. 2)

    public static void sysenter(Cpu c) {
        if (!c.protectedMode() || (c.sysenterCs & 0xfffc) == 0) {
            throw Fault.gp0();
        }
        c.exits.inc(ExitReason.SYSCALL);
        c.setEflags(c.getEflags() & ~(Flags.VM | Flags.IF | Flags.RF));
        int cs = c.sysenterCs & 0xfffc;
        c.setCpl(0);
        c.setSegmentCache(Cpu.CS, cs, 0, -1, 0xc09b);
        c.setSegmentCache(Cpu.SS, cs + 8, 0, -1, 0xc093);
        c.r[Cpu.ESP] = c.sysenterEsp;
        c.eip = c.sysenterEip;
    }

    public static void sysexit(Cpu c) {
        if (!c.protectedMode() || (c.sysenterCs & 0xfffc) == 0 || c.cpl != 0 || c.v86()) {
            throw Fault.gp0();
        }
        c.exits.inc(ExitReason.SYSCALL);
        int cs = c.sysenterCs & 0xfffc;
        c.setCpl(3);
        c.setSegmentCache(Cpu.CS, (cs + 16) | 3, 0, -1, 0xc0fb);
        c.setSegmentCache(Cpu.SS, (cs + 24) | 3, 0, -1, 0xc0f3);
        c.r[Cpu.ESP] = c.r[Cpu.ECX];
        c.eip = c.r[Cpu.EDX];
    }
}
