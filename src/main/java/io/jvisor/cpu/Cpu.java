package io.jvisor.cpu;

import io.jvisor.memory.IoBus;
import io.jvisor.memory.PageWalker;
import io.jvisor.memory.PhysicalMemory;
import io.jvisor.memory.SoftTlb;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;


/**
 * The architectural state of one IA-32 (i686-class) virtual CPU and its view of memory:
 * general registers, EIP, EFLAGS (with lazily computed arithmetic flags), segment
 * registers with their descriptor caches, control, debug and model-specific registers,
 * the x87 unit, and the segmented + paged access path through the soft TLB.
 *
 * <p>Only the vCPU's own thread touches this object.
 */
public final class Cpu {
    // ---- general registers (SDM 3.4.1): index = ModRM register number
    public static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
    // ---- segment registers: index = ModRM sreg number; LDTR and TR share the caches
    public static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, LDTR = 6, TR = 7;

    public final int[] r = new int[8];
    public int eip;

    // ---- segment descriptor caches
    public final int[] segSel = new int[8];
    public final int[] segBase = new int[8];
    public final int[] segLimit = new int[8];
    /** Descriptor attributes: bits 0-3 type, 4 S, 5-6 DPL, 7 P, 12 AVL, 14 D/B, 15 G; ATTR_UNUSABLE for null. */
    public final int[] segAttr = new int[8];
    public static final int ATTR_UNUSABLE = 1 << 16;
    /** Valid offset range [lo, hi] for data accesses (expand-down aware), as unsigned ints. */
    final int[] segLo = new int[8];
    final int[] segHi = new int[8];
    final boolean[] segReadable = new boolean[8];
    final boolean[] segWritable = new boolean[8];
    /**
     * Bit s set while segment s is flat: usable, base 0, offsets 0 to 4 GiB - 1, readable and
     * writable. Translated code that assumed a flat segment checks this mask on entry.
     */
    public int flatSegs;

    public int gdtBase, gdtLimit, idtBase, idtLimit;

    // ---- control state
    public int cr0 = 0x60000010, cr2, cr3, cr4;
    public final int[] dr = new int[8];
    public int cpl;
    /** CS.D: default operand and address size of the code segment. */
    public boolean code32;
    /** SS.B: ESP (true) or SP (false) is the stack pointer. */
    public boolean stack32;
    /** PAE PDPTEs loaded by the last CR3 write (SDM 4.4.1), or null outside PAE paging. */
    long[] pdpte;

    public static final int CR0_PE = 1, CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_ET = 0x10, CR0_NE = 0x20,
            CR0_WP = 0x10000, CR0_AM = 0x40000, CR0_NW = 0x20000000, CR0_CD = 0x40000000, CR0_PG = 0x80000000;
    public static final int CR4_VME = 1, CR4_PVI = 2, CR4_TSD = 4, CR4_DE = 8, CR4_PSE = 0x10, CR4_PAE = 0x20,
            CR4_MCE = 0x40, CR4_PGE = 0x80, CR4_PCE = 0x100, CR4_OSFXSR = 0x200, CR4_OSXMMEXCPT = 0x400;

    // ---- model-specific registers
    public int sysenterCs, sysenterEsp, sysenterEip;
    public long tscOffset;
    public long apicBase = 0xfee00900L;
    /** The P6 performance-monitoring counters (MSRs 0xC1-0xC2, 0x186-0x187; RDPMC). */
    public final PerfCounters pmu = new PerfCounters();
    /** The local APIC's MSR side, or null on a machine without one (CPUID then says so). */
    public ApicAccess apic;
    public long pat = 0x0007040600070406L;
    public final long[] mtrr = new long[0x300];
    public long mtrrDefType;

    // ---- EFLAGS with lazy arithmetic flags
    /** All EFLAGS bits; the ARITH bits are valid only while {@link #lazyOp} is {@link #LAZY_NONE}. */
    int eflagsBase = Flags.BIT1;
    int lazyOp;
    int lazyRes, lazyA, lazyB, lazyCin;
    /** Operand size of the lazy operation: 1, 2 or 4 bytes. */
    int lazySize = 4;
    static final int LAZY_NONE = 0, LAZY_ADD = 1, LAZY_ADC = 2, LAZY_SUB = 3, LAZY_SBB = 4, LAZY_LOGIC = 5,
            LAZY_INC = 6, LAZY_DEC = 7,
            /** Shifts and multiplies: lazyA holds CF and lazyB OF (0 or 1); AF is clear. */
            LAZY_SHIFT = 8;

    // ---- execution state
    /**
     * Set when the VM has more than one vCPU: guest loads and stores keep x86's total store
     * order against the Java memory model (an acquire fence after each load, a release fence
     * before each store; on an x86 host these are compiler barriers only), and LOCK-prefixed
     * instructions and XCHG with memory are atomic ({@link #loadLocked}). DESIGN.md "Guest
     * memory order on several host threads".
     */
    public boolean smp;
    public boolean halted;

    /**
     * LFENCE, SFENCE, MFENCE (SDM 8.2.5). On several vCPUs a full fence: x86 lets a load pass
     * an earlier store, MFENCE forbids it, and the plain loads and stores here are ordered only
     * by acquire/release fences. LFENCE and SFENCE order no more than TSO already does, but a
     * full fence is never wrong. On one vCPU there is nothing to order.
     */
    public void fence() {
        if (smp) {
            VarHandle.fullFence();
        }
    }
    /** Set while an NMI handler runs: further NMIs wait for its IRET (SDM 6.7.1). */
    public boolean nmiBlocked;
    /** Set by sti (when IF was clear), mov ss and pop ss: no interrupt before the next instruction ends. */
    public boolean interruptShadow;
    public long instructions;
    public final ExitCounters exits = new ExitCounters();
    public InterruptSource interrupts = InterruptSource.NONE;
    /** Vector of the last exception delivered (for reports and test harnesses), -1 if none. */
    public int lastException = -1;
    /** Vector of the first exception delivered since the field was last set to -1 (test harnesses). */
    public int firstException = -1;
    /** True while a fault (not a trap or interrupt) is being delivered: the pushed EFLAGS image gets RF. */
    boolean deliveringFault;
    /** A debug trap (the TSS T flag) to deliver before the next instruction. */
    public boolean pendingDebugTrap;
    /** True while the engine single-steps with TF: a repeated string instruction runs one iteration. */
    public boolean singleStepping;
    /** Set by MOV SS / POP SS: unlike STI's shadow this one also holds back single-step traps (SDM 6.8.3). */
    public boolean movSsShadow;
    /** Nesting of exception delivery, for #DF and triple-fault detection (SDM 6.15 table 6-5). */
    int deliveringClass = -1;

    // ---- memory
    public final PhysicalMemory mem;
    public final IoBus io;
    public final SoftTlb tlb;
    private final PageWalker walker;
    /** The soft-TLB read, write and execute entries of the current privilege (see {@link SoftTlb#entry}). */
    private long[] rEnt, wEnt, xEnt;
    /** IA32_EFER (MSR 0xC0000080); only NXE (bit 11) exists on a 32-bit CPU with NX. */
    public long efer;
    public static final long EFER_NXE = 1L << 11;
    /** IA32_MISC_ENABLE (MSR 0x1A0), see {@link SystemOps#MISC_ENABLE_RESET}. */
    public long miscEnable;
    /** IA32_DEBUGCTL and the last-branch FROM (0-3) and TO (4-7) registers (SystemOps.LBR_DEPTH). */
    long debugCtl;
    final long[] lbr = new long[8];
    /** Guest RAM, indexed by an entry's physical address (unsigned). */
    private final MemorySegment ram;
    /** The x87 floating-point unit. */
    public final Fpu fpu = new Fpu();
    /** Software IEEE arithmetic for the SSE and x87 units (this vCPU's thread only). */
    final SoftFloat softFloat = new SoftFloat();
    /** Scratch for one SSE instruction: a 128-bit memory operand, and the elements of a result. */
    final long[] simdScratch = new long[2], sseLanes = new long[4];
    /** XMM0-7: register i is {@code xmm[2i]} (bits 63:0) and {@code xmm[2i+1]} (bits 127:64). */
    public final long[] xmm = new long[16];
    /** Called when the engine must forget decoded code for a physical page that became code. */
    public CodeTracker codeTracker = CodeTracker.NONE;

    /** How the engine learns that decoded code must be kept coherent with memory. */
    public interface CodeTracker {
        CodeTracker NONE = () -> { };

        /** CR0/CR4 changes that alter how code decodes (none today) or full flush requests. */
        void flushAll();
    }

    public Cpu(PhysicalMemory mem, IoBus io) {
        this.mem = mem;
        this.io = io;
        this.walker = new PageWalker(mem);
        this.tlb = new SoftTlb();
        this.ram = mem.ram();
        reset();
    }

    /** The power-on state (SDM 9.1.1): real mode, CS:IP = F000:FFF0 with CS base FFFF0000. */
    public void reset() {
        java.util.Arrays.fill(r, 0);
        nmiBlocked = false;
        r[EDX] = CpuId.SIGNATURE;
        eip = 0xfff0;
        eflagsBase = Flags.BIT1;
        lazyOp = LAZY_NONE;
        cr0 = 0x60000010;
        cr2 = cr3 = cr4 = 0;
        pdpte = null;
        java.util.Arrays.fill(dr, 0);
        dr[6] = 0xffff0ff0;
        dr[7] = 0x400;
        dataWatch = hostWatches.length > 0;
        for (int s = 0; s < 6; s++) {
            setSegmentCache(s, 0, 0, 0xffff, 0x93);
        }
        setSegmentCache(CS, 0xf000, 0xffff0000, 0xffff, 0x9b);
        setSegmentCache(LDTR, 0, 0, 0xffff, 0x82);
        setSegmentCache(TR, 0, 0, 0xffff, 0x8b);
        gdtBase = idtBase = 0;
        gdtLimit = idtLimit = 0xffff;
        sysenterCs = sysenterEsp = sysenterEip = 0;
        efer = 0;
        debugCtl = 0;
        java.util.Arrays.fill(lbr, 0);
        miscEnable = SystemOps.MISC_ENABLE_RESET;
        keepResumeFlag = false;
        deliveringFault = false;
        halted = false;
        interruptShadow = false;
        deliveringClass = -1;
        fpu.reset();
        java.util.Arrays.fill(xmm, 0);
        setCpl(0);
        flushTlb();
    }

    // =====================================================================================
    // Modes

    public boolean protectedMode() {
        return (cr0 & CR0_PE) != 0;
    }

    public boolean v86() {
        return (eflagsBase & Flags.VM) != 0;
    }

    public boolean paging() {
        return (cr0 & CR0_PG) != 0;
    }

    public int iopl() {
        return (eflagsBase >>> 12) & 3;
    }

    /** Always-missing entries: with alignment checking active, every user access takes the slow path. */
    private static final long[] NO_ENTRIES = filled(SoftTlb.SIZE);
    /** CR0.AM, EFLAGS.AC and CPL 3 together: misaligned data accesses raise #AC(0) (SDM 6.15, interrupt 17). */
    boolean alignmentCheck;

    private static long[] filled(int n) {
        long[] a = new long[n];
        java.util.Arrays.fill(a, SoftTlb.EMPTY);
        return a;
    }

    public void setCpl(int newCpl) {
        cpl = newCpl;
        int rk = newCpl == 3 ? SoftTlb.READ_USER : SoftTlb.READ_SUP;
        int wk = newCpl == 3 ? SoftTlb.WRITE_USER : SoftTlb.WRITE_SUP;
        rEnt = tlb.entry[rk];
        wEnt = tlb.entry[wk];
        xEnt = tlb.entry[newCpl == 3 ? SoftTlb.EXEC_USER : SoftTlb.EXEC_SUP];
        alignmentCheck = newCpl == 3 && (cr0 & CR0_AM) != 0 && (eflagsBase & Flags.AC) != 0;
        if (alignmentCheck || dataWatch) {
            rEnt = NO_ENTRIES;
            wEnt = NO_ENTRIES;
        }
    }

    /** Recomputes the alignment-check state after CR0.AM or EFLAGS.AC may have changed. */
    private void refreshAlignmentCheck() {
        boolean on = cpl == 3 && (cr0 & CR0_AM) != 0 && (eflagsBase & Flags.AC) != 0;
        if (on != alignmentCheck) {
            setCpl(cpl);
        }
    }

    /** Physical address mask: bit 20 is cleared while the A20 gate is closed (PC/AT address wrap at 1 MiB). */
    long a20Mask = -1L;

    /** Opens or closes the A20 gate (i8042 output port bit 1 or port 0x92 bit 1, OR-ed by the chipset). */
    public void setA20(boolean enabled) {
        long m = enabled ? -1L : ~0x100000L;
        if (m != a20Mask) {
            a20Mask = m;
            flushTlb();
        }
    }

    public boolean a20Enabled() {
        return a20Mask == -1L;
    }

    /** True while DR7 enables a data breakpoint or a host watchpoint is set: every access takes the slow path. */
    boolean dataWatch;

    /**
     * Watchpoints of a host debugger (the gdb stub), invisible to the guest: linear ranges
     * with the kind of access that hits them. A hit sets {@link #hostWatchHit}; the engine
     * reports it once the instruction completes.
     */
    public record HostWatch(int linear, int length, boolean onRead, boolean onWrite) { }

    private HostWatch[] hostWatches = new HostWatch[0];
    /** The watchpoint the last access hit (the engine clears it), or null. */
    public HostWatch hostWatchHit;
    /** The linear address of that access. */
    public int hostWatchAddress;

    public boolean hostWatchesSet() {
        return hostWatches.length > 0;
    }

    /** Replaces the host debugger's watchpoints (call on the vCPU's thread, between instructions). */
    public void setHostWatches(java.util.List<HostWatch> w) {
        hostWatches = w.toArray(new HostWatch[0]);
        writeDebugRegister(7, dr[7]);   // recomputes dataWatch
    }

    /** MOV to DRn with the architectural fixed bits (SDM 17.2.3, 17.2.4). */
    public void writeDebugRegister(int n, int v) {
        dr[n] = n == 6 ? (v | 0xffff0ff0) & ~0x1000 : n == 7 ? (v | 0x400) & ~0xd800 : v;
        boolean watch = false;
        for (int k = 0; k < 4; k++) {
            int rw = (dr[7] >>> (16 + 4 * k)) & 3;
            if ((dr[7] & (3 << (2 * k))) != 0 && (rw == 1 || rw == 3)) {
                watch = true;
            }
        }
        dataWatch = watch || hostWatches.length > 0;
        setCpl(cpl);
    }

    /**
     * Data breakpoints (SDM 17.2.4-17.2.5, 17.3.1.2): an enabled DRn with R/W = 01 (writes) or
     * 11 (reads and writes) whose LEN-aligned range overlaps the access sets DR6.Bn, and the
     * #DB trap is delivered once the instruction completes.
     */
    private void watch(int lin, int size, boolean write) {
        for (HostWatch w : hostWatches) {
            long a = lin & 0xffffffffL, start = w.linear() & 0xffffffffL;
            if ((write ? w.onWrite() : w.onRead()) && a < start + w.length() && start < a + size && hostWatchHit == null) {
                hostWatchHit = w;
                hostWatchAddress = lin;
            }
        }
        int dr7 = dr[7];
        for (int k = 0; k < 4; k++) {
            if ((dr7 & (3 << (2 * k))) == 0) {
                continue;
            }
            int rw = (dr7 >>> (16 + 4 * k)) & 3;
            if (rw == 1 && !write || rw != 1 && rw != 3) {
                continue;
            }
            int len = switch ((dr7 >>> (18 + 4 * k)) & 3) {
                case 0 -> 1;
                case 1 -> 2;
                case 2 -> 8;
                default -> 4;
            };
            long start = dr[k] & ~(len - 1) & 0xffffffffL;
            long a = lin & 0xffffffffL;
            if (a < start + len && start < a + size) {
                dr[6] |= 1 << k;
                pendingDebugTrap = true;
            }
        }
    }

    private void checkAlignment(int lin, int size) {
        if (alignmentCheck && (lin & (size - 1)) != 0) {
            throw Fault.withCode(Fault.AC, 0);
        }
    }

    // =====================================================================================
    // Segment caches

    /** Loads a descriptor cache directly (mode switches, task switches, loaders, tests). */
    public void setSegmentCache(int s, int selector, int base, int limit, int attr) {
        segSel[s] = selector & 0xffff;
        segBase[s] = base;
        segLimit[s] = limit;
        segAttr[s] = attr;
        boolean unusable = (attr & ATTR_UNUSABLE) != 0;
        int type = attr & 0xf;
        boolean code = (attr & 0x18) == 0x18;
        boolean expandDown = !code && (type & 4) != 0;
        if (expandDown) {
            segLo[s] = limit + 1;
            segHi[s] = (attr & 0x4000) != 0 ? -1 : 0xffff;
        } else {
            segLo[s] = 0;
            segHi[s] = limit;
        }
        if (unusable) {
            segReadable[s] = segWritable[s] = false;
        } else if (!protectedMode() || v86()) {
            segReadable[s] = true;
            segWritable[s] = true;
        } else if (code) {
            segReadable[s] = (type & 2) != 0;
            segWritable[s] = false;
        } else {
            segReadable[s] = (attr & 0x10) != 0;
            segWritable[s] = (attr & 0x10) != 0 && (type & 2) != 0;
        }
        boolean flat = !unusable && base == 0 && segLo[s] == 0 && segHi[s] == -1 && segReadable[s] && segWritable[s];
        flatSegs = flat ? flatSegs | (1 << s) : flatSegs & ~(1 << s);
        if (s == CS) {
            code32 = (attr & 0x4000) != 0;
        } else if (s == SS) {
            stack32 = (attr & 0x4000) != 0;
        }
    }

    /** Recomputes access rights of all caches (after a mode change). */
    public void refreshSegmentRights() {
        for (int s = 0; s < 8; s++) {
            setSegmentCache(s, segSel[s], segBase[s], segLimit[s], segAttr[s]);
        }
    }

    /** Real-mode and virtual-8086 segment load: base = selector * 16 (SDM 20.1.1). */
    public void loadSegmentReal(int s, int selector) {
        selector &= 0xffff;
        if (v86()) {
            setSegmentCache(s, selector, selector << 4, 0xffff, s == CS ? 0xfb : 0xf3);
        } else {
            // real mode keeps the cached limit and attributes (so "unreal mode" works)
            int attr = segAttr[s] & ~ATTR_UNUSABLE | 0x80 | 0x10;
            if (s != CS) {
                attr = attr & ~0x8 | 0x2;
            }
            setSegmentCache(s, selector, selector << 4, segLimit[s], attr);
        }
    }

    // =====================================================================================
    // EFLAGS

    public int getEflags() {
        if (lazyOp == LAZY_NONE) {
            return eflagsBase;
        }
        return (eflagsBase & ~Flags.ARITH) | computeArith();
    }

    /** Sets all of EFLAGS (the caller has applied privilege rules). */
    public void setEflags(int v) {
        int old = eflagsBase;
        eflagsBase = (v & Flags.IMPLEMENTED) | Flags.BIT1;
        lazyOp = LAZY_NONE;
        if (((old ^ eflagsBase) & Flags.VM) != 0) {
            refreshSegmentRights();
        }
        refreshAlignmentCheck();
    }

    /** Replaces the six arithmetic flags, keeping the others. */
    public void setArithFlags(int arith) {
        eflagsBase = (getEflags() & ~Flags.ARITH) | (arith & Flags.ARITH);
        lazyOp = LAZY_NONE;
    }

    public boolean flag(int mask) {
        if ((mask & Flags.ARITH) != 0 && lazyOp != LAZY_NONE) {
            return (getEflags() & mask) != 0;
        }
        return (eflagsBase & mask) != 0;
    }

    public void setFlag(int mask, boolean on) {
        int f = getEflags();
        setEflagsKeepVm(on ? f | mask : f & ~mask);
    }

    /** CLI/STI: IF lives outside the lazily computed arithmetic flags, so nothing else is touched. */
    public void setInterruptFlag(boolean on) {
        eflagsBase = on ? eflagsBase | Flags.IF : eflagsBase & ~Flags.IF;
    }

    private void setEflagsKeepVm(int v) {
        eflagsBase = (v & Flags.IMPLEMENTED) | Flags.BIT1;
        lazyOp = LAZY_NONE;
        refreshAlignmentCheck();
    }

    /**
     * Set by an IRET or task switch that loaded RF: that instruction's completion keeps it,
     * so the next instruction's breakpoint is ignored once (SDM 17.3.1.1).
     */
    public boolean keepResumeFlag;

    /** RF is cleared when an instruction completes (SDM 17.3.1.1); the engine calls this between blocks. */
    public void clearResumeFlag() {
        if (keepResumeFlag) {
            keepResumeFlag = false;
            return;
        }
        eflagsBase &= ~Flags.RF;
    }

    public boolean interruptsEnabled() {
        return (eflagsBase & Flags.IF) != 0;
    }

    void lazy(int op, int size, int a, int b, int res) {
        lazyOp = op;
        lazySize = size;
        lazyA = a;
        lazyB = b;
        lazyRes = res;
    }

    private static int signBit(int size) {
        return size == 1 ? 0x80 : size == 2 ? 0x8000 : 0x80000000;
    }

    private static int mask(int size) {
        return size == 1 ? 0xff : size == 2 ? 0xffff : -1;
    }

    public boolean cf() {
        int a = lazyA, b = lazyB, res = lazyRes;
        return switch (lazyOp) {
            case LAZY_ADD -> Integer.compareUnsigned(res, a) < 0;
            case LAZY_ADC -> Integer.compareUnsigned(res, a) < 0 || (lazyCin != 0 && res == a);
            case LAZY_SUB -> Integer.compareUnsigned(a, b) < 0;
            case LAZY_SBB -> Integer.compareUnsigned(a, b) < 0 || (lazyCin != 0 && a == b);
            case LAZY_LOGIC -> false;
            case LAZY_SHIFT -> a != 0;
            default -> (eflagsBase & Flags.CF) != 0;   // NONE, INC, DEC keep CF in the base
        };
    }

    public boolean zf() {
        return lazyOp == LAZY_NONE ? (eflagsBase & Flags.ZF) != 0 : lazyRes == 0;
    }

    public boolean sf() {
        return lazyOp == LAZY_NONE ? (eflagsBase & Flags.SF) != 0 : (lazyRes & signBit(lazySize)) != 0;
    }

    public boolean of() {
        int a = lazyA, b = lazyB, res = lazyRes, sb = signBit(lazySize);
        return switch (lazyOp) {
            case LAZY_ADD, LAZY_ADC, LAZY_INC -> (((a ^ res) & (b ^ res)) & sb) != 0;
            case LAZY_SUB, LAZY_SBB, LAZY_DEC -> (((a ^ b) & (a ^ res)) & sb) != 0;
            case LAZY_LOGIC -> false;
            case LAZY_SHIFT -> b != 0;
            default -> (eflagsBase & Flags.OF) != 0;
        };
    }

    public boolean pf() {
        return lazyOp == LAZY_NONE ? (eflagsBase & Flags.PF) != 0 : Flags.parity(lazyRes) != 0;
    }

    private int computeArith() {
        int f = 0;
        if (cf()) {
            f |= Flags.CF;
        }
        f |= Flags.parity(lazyRes);
        if (lazyOp != LAZY_LOGIC && lazyOp != LAZY_SHIFT && ((lazyA ^ lazyB ^ lazyRes) & 0x10) != 0) {
            f |= Flags.AF;
        }
        if ((lazyRes & mask(lazySize)) == 0) {
            f |= Flags.ZF;
        }
        if ((lazyRes & signBit(lazySize)) != 0) {
            f |= Flags.SF;
        }
        if (of()) {
            f |= Flags.OF;
        }
        return f;
    }

    /** Evaluates condition code {@code cc} (the low nibble of Jcc/SETcc/CMOVcc, SDM B.1.4.7). */
    public boolean condition(int cc) {
        // fast paths for the flag producers that dominate real code: CMP/SUB and TEST/AND/OR/XOR
        if (lazyOp == LAZY_SUB) {
            return subCondition(cc);
        }
        if (lazyOp == LAZY_LOGIC) {
            return logicCondition(cc);
        }
        return slowCondition(cc);
    }

    /** Conditions after a - b, straight from the operands (unsigned and signed compares). */
    private boolean subCondition(int cc) {
        int a = lazyA, b = lazyB;
        boolean v = switch (cc >> 1) {
            case 0 -> of();
            case 1 -> Integer.compareUnsigned(a, b) < 0;
            case 2 -> a == b;
            case 3 -> Integer.compareUnsigned(a, b) <= 0;
            case 4 -> sf();
            case 5 -> Flags.parity(lazyRes) != 0;
            case 6 -> signed(a) < signed(b);
            default -> signed(a) <= signed(b);
        };
        return (cc & 1) != 0 ? !v : v;
    }

    private int signed(int v) {
        return lazySize == 4 ? v : lazySize == 2 ? (short) v : (byte) v;
    }

    /** Conditions after a logic operation: CF = OF = 0. */
    private boolean logicCondition(int cc) {
        int res = lazyRes;
        boolean sign = (res & signBit(lazySize)) != 0;
        boolean v = switch (cc >> 1) {
            case 0, 1 -> false;
            case 2, 3 -> res == 0;
            case 4, 6 -> sign;
            case 5 -> Flags.parity(res) != 0;
            default -> res == 0 || sign;
        };
        return (cc & 1) != 0 ? !v : v;
    }

    private boolean slowCondition(int cc) {
        boolean v = switch (cc >> 1) {
            case 0 -> of();
            case 1 -> cf();
            case 2 -> zf();
            case 3 -> cf() || zf();
            case 4 -> sf();
            case 5 -> pf();
            case 6 -> sf() != of();
            default -> zf() || (sf() != of());
        };
        return (cc & 1) != 0 ? !v : v;
    }

    // =====================================================================================
    // General registers by size

    public int reg8(int n) {
        return n < 4 ? r[n] & 0xff : (r[n - 4] >>> 8) & 0xff;
    }

    public void setReg8(int n, int v) {
        if (n < 4) {
            r[n] = (r[n] & ~0xff) | (v & 0xff);
        } else {
            r[n - 4] = (r[n - 4] & ~0xff00) | ((v & 0xff) << 8);
        }
    }

    public int reg(int n, int size) {
        return size == 4 ? r[n] : size == 2 ? r[n] & 0xffff : reg8(n);
    }

    public void setReg(int n, int size, int v) {
        if (size == 4) {
            r[n] = v;
        } else if (size == 2) {
            r[n] = (r[n] & 0xffff0000) | (v & 0xffff);
        } else {
            setReg8(n, v);
        }
    }

    // =====================================================================================
    // Segmented access: limit and type checks (SDM 5.3, 5.4), then the linear path

    private Fault segFault(int s) {
        return s == SS ? Fault.ss(0) : Fault.gp0();
    }

    /** Checks a data read of {@code size} bytes at {@code off} in segment {@code s}; returns the linear address. */
    public int readAddr(int s, int off, int size) {
        if (!segReadable[s]) {
            throw segFault(s);
        }
        return checkedLinear(s, off, size);
    }

    /** Checks a data write; returns the linear address. */
    public int writeAddr(int s, int off, int size) {
        if (!segWritable[s]) {
            throw segFault(s);
        }
        return checkedLinear(s, off, size);
    }

    /** SDM 5.3: every byte of the access must lie inside the segment's valid offsets (expand-down aware). */
    private int checkedLinear(int s, int off, int size) {
        int last = off + size - 1;
        if (Integer.compareUnsigned(off, segLo[s]) < 0 || Integer.compareUnsigned(last, segHi[s]) > 0
                || Integer.compareUnsigned(last, off) < 0) {
            throw segFault(s);
        }
        return segBase[s] + off;
    }

    public int read8(int s, int off) {
        return readLin8(readAddr(s, off, 1));
    }

    public int read16(int s, int off) {
        return readLin16(readAddr(s, off, 2));
    }

    public int read32(int s, int off) {
        return readLin32(readAddr(s, off, 4));
    }

    public int read(int s, int off, int size) {
        return size == 4 ? read32(s, off) : size == 2 ? read16(s, off) : read8(s, off);
    }

    public long read64(int s, int off) {
        int lin = readAddr(s, off, 8);
        checkAlignment(lin, 8);
        return (readLin32(lin) & 0xffffffffL) | ((long) readLin32(lin + 4) << 32);
    }

    public void write8(int s, int off, int v) {
        writeLin8(writeAddr(s, off, 1), v);
    }

    public void write16(int s, int off, int v) {
        writeLin16(writeAddr(s, off, 2), v);
    }

    public void write32(int s, int off, int v) {
        writeLin32(writeAddr(s, off, 4), v);
    }

    public void write(int s, int off, int size, int v) {
        if (size == 4) {
            write32(s, off, v);
        } else if (size == 2) {
            write16(s, off, v);
        } else {
            write8(s, off, v);
        }
    }

    public void write64(int s, int off, long v) {
        int lin = writeAddr(s, off, 8);
        checkAlignment(lin, 8);
        checkWritable(lin, 8);
        writeLin32(lin, (int) v);
        writeLin32(lin + 4, (int) (v >>> 32));
    }

    // ---- flat-segment accesses for translated code: only the 4 GiB wrap is left to check (SDM 5.3)

    /** A read through segment {@code s}, known to be flat (see {@link #flatSegs}). */
    public int readFlat8(int s, int off) {
        return readLin8(off);
    }

    public int readFlat16(int s, int off) {
        return Integer.compareUnsigned(off, -2) <= 0 ? readLin16(off) : read16(s, off);
    }

    public int readFlat32(int s, int off) {
        return Integer.compareUnsigned(off, -4) <= 0 ? readLin32(off) : read32(s, off);
    }

    public void writeFlat8(int s, int off, int v) {
        writeLin8(off, v);
    }

    public void writeFlat16(int s, int off, int v) {
        if (Integer.compareUnsigned(off, -2) <= 0) {
            writeLin16(off, v);
        } else {
            write16(s, off, v);
        }
    }

    public void writeFlat32(int s, int off, int v) {
        if (Integer.compareUnsigned(off, -4) <= 0) {
            writeLin32(off, v);
        } else {
            write32(s, off, v);
        }
    }

    /** {@link #rmwAddr} for a flat segment. */
    public int rmwAddrFlat(int s, int off, int size) {
        if (Integer.compareUnsigned(off, -size) > 0) {
            return rmwAddr(s, off, size);
        }
        int page = off >>> 12;
        if (SoftTlb.tag(wEnt[page & SoftTlb.MASK]) != page || (off & 0xfff) > 0x1000 - size) {
            checkWritable(off, size);
        }
        return off;
    }

    /** Reads a code byte at CS:{@code eip} for the decoder: CS limit (#GP(0)), then paging (#PF). */
    public int fetchCode8(int eip) {
        if (Integer.compareUnsigned(eip, segLimit[CS]) > 0) {
            throw Fault.gp0();
        }
        int lin = segBase[CS] + eip;
        int page = lin >>> 12;
        int i = page & SoftTlb.MASK;
        long e = xEnt[i];
        if (SoftTlb.tag(e) == page) {
            int pa = (int) e | (lin & 0xfff);
            return ram.get(ValueLayout.JAVA_BYTE, pa & 0xffffffffL) & 0xff;
        }
        return mem.read8(translateFetch(lin));   // instruction fetches never match data breakpoints
    }

    /**
     * Checks a read-modify-write operand (segment writable, limit, page writable) before
     * anything is read, so that a fault leaves flags and registers untouched; returns the
     * linear address for {@link #readLin32}/{@link #writeLin32} and friends.
     */
    public int rmwAddr(int s, int off, int size) {
        int lin = writeAddr(s, off, size);
        int page = lin >>> 12;
        if (SoftTlb.tag(wEnt[page & SoftTlb.MASK]) != page || (lin & 0xfff) > 0x1000 - size) {
            checkWritable(lin, size);
        }
        return lin;
    }

    public int readLin(int lin, int size) {
        return size == 4 ? readLin32(lin) : size == 2 ? readLin16(lin) : readLin8(lin);
    }

    public void writeLin(int lin, int size, int v) {
        if (size == 4) {
            writeLin32(lin, v);
        } else if (size == 2) {
            writeLin16(lin, v);
        } else {
            writeLin8(lin, v);
        }
    }

    /** Proves a read-modify-write destination writable before anything is read (so faults come first). */
    public void checkWritable(int lin, int size) {
        translate(lin, true, cpl == 3);
        if (((lin & 0xfff) + size) > 0x1000) {
            translate(lin + size - 1, true, cpl == 3);
        }
    }

    // =====================================================================================
    // Linear access through the soft TLB

    public int readLin8(int lin) {
        int page = lin >>> 12;
        int i = page & SoftTlb.MASK;
        long e = rEnt[i];
        if (SoftTlb.tag(e) == page) {
            int pa = (int) e | (lin & 0xfff);
            int v = ram.get(ValueLayout.JAVA_BYTE, pa & 0xffffffffL) & 0xff;
            if (smp) {
                VarHandle.acquireFence();
            }
            return v;
        }
        return readLin8Slow(lin);
    }

    private int readLin8Slow(int lin) {
        if (dataWatch) {
            watch(lin, 1, false);
        }
        int v = physRead(translate(lin, false, cpl == 3), 1);
        if (smp) {
            VarHandle.acquireFence();
        }
        return v;
    }

    public int readLin16(int lin) {
        int page = lin >>> 12;
        int i = page & SoftTlb.MASK;
        long e = rEnt[i];
        if (SoftTlb.tag(e) == page && (lin & 0xfff) != 0xfff) {
            int pa = (int) e | (lin & 0xfff);
            int v = ram.get(PhysicalMemory.U16, pa & 0xffffffffL) & 0xffff;
            if (smp) {
                VarHandle.acquireFence();
            }
            return v;
        }
        return readLin16Slow(lin);
    }

    private int readLin16Slow(int lin) {
        checkAlignment(lin, 2);
        if ((lin & 0xfff) == 0xfff) {
            return readLin8(lin) | readLin8(lin + 1) << 8;
        }
        if (dataWatch) {
            watch(lin, 2, false);
        }
        int v = physRead(translate(lin, false, cpl == 3), 2);
        if (smp) {
            VarHandle.acquireFence();
        }
        return v;
    }

    public int readLin32(int lin) {
        int page = lin >>> 12;
        int i = page & SoftTlb.MASK;
        long e = rEnt[i];
        if (SoftTlb.tag(e) == page && (lin & 0xfff) <= 0xffc) {
            int pa = (int) e | (lin & 0xfff);
            int v = ram.get(PhysicalMemory.U32, pa & 0xffffffffL);
            if (smp) {
                VarHandle.acquireFence();
            }
            return v;
        }
        return readLin32Slow(lin);
    }

    private int readLin32Slow(int lin) {
        checkAlignment(lin, 4);
        if ((lin & 0xfff) > 0xffc) {
            return readLin16(lin) | readLin16(lin + 2) << 16;
        }
        if (dataWatch) {
            watch(lin, 4, false);
        }
        if (lin >>> 12 == apicReadPage && cpl == 0) {
            exits.inc(ExitReason.MMIO);
            return apic.mmioRead(lin & 0xfff, 4);   // this vCPU's APIC, through a mapping already walked
        }
        long pa = translate(lin, false, cpl == 3);
        if (cpl == 0 && isApicPage(pa)) {
            apicReadPage = lin >>> 12;
        }
        int v = physRead(pa, 4);
        if (smp) {
            VarHandle.acquireFence();
        }
        return v;
    }

    public void writeLin8(int lin, int v) {
        int page = lin >>> 12;
        int i = page & SoftTlb.MASK;
        long e = wEnt[i];
        if (SoftTlb.tag(e) == page) {
            int pa = (int) e | (lin & 0xfff);
            if (smp) {
                VarHandle.releaseFence();
            }
            ram.set(ValueLayout.JAVA_BYTE, pa & 0xffffffffL, (byte) v);
            return;
        }
        writeLin8Slow(lin, v);
    }

    private void writeLin8Slow(int lin, int v) {
        if (dataWatch) {
            watch(lin, 1, true);
        }
        physWrite(translate(lin, true, cpl == 3), 1, v);
    }

    public void writeLin16(int lin, int v) {
        int page = lin >>> 12;
        int i = page & SoftTlb.MASK;
        long e = wEnt[i];
        if (SoftTlb.tag(e) == page && (lin & 0xfff) != 0xfff) {
            int pa = (int) e | (lin & 0xfff);
            if (smp) {
                VarHandle.releaseFence();
            }
            ram.set(PhysicalMemory.U16, pa & 0xffffffffL, (short) v);
            return;
        }
        writeLin16Slow(lin, v);
    }

    private void writeLin16Slow(int lin, int v) {
        checkAlignment(lin, 2);
        if ((lin & 0xfff) == 0xfff) {
            translate(lin + 1, true, cpl == 3);   // both pages must be writable before either is written
            writeLin8(lin, v);
            writeLin8(lin + 1, v >>> 8);
            return;
        }
        if (dataWatch) {
            watch(lin, 2, true);
        }
        physWrite(translate(lin, true, cpl == 3), 2, v);
    }

    public void writeLin32(int lin, int v) {
        int page = lin >>> 12;
        int i = page & SoftTlb.MASK;
        long e = wEnt[i];
        if (SoftTlb.tag(e) == page && (lin & 0xfff) <= 0xffc) {
            int pa = (int) e | (lin & 0xfff);
            if (smp) {
                VarHandle.releaseFence();
            }
            ram.set(PhysicalMemory.U32, pa & 0xffffffffL, v);
            return;
        }
        writeLin32Slow(lin, v);
    }

    private void writeLin32Slow(int lin, int v) {
        checkAlignment(lin, 4);
        if ((lin & 0xfff) > 0xffc) {
            translate(lin, true, cpl == 3);
            translate(lin + 3, true, cpl == 3);
            for (int k = 0; k < 4; k++) {
                writeLin8(lin + k, v >>> (8 * k));
            }
            return;
        }
        if (dataWatch) {
            watch(lin, 4, true);
        }
        if (lin >>> 12 == apicWritePage && cpl == 0) {
            exits.inc(ExitReason.MMIO);
            if (smp) {
                VarHandle.releaseFence();
            }
            apic.mmioWrite(lin & 0xfff, 4, v);   // EOI, TPR, ICR: no page walk once the mapping is known
            return;
        }
        long pa = translate(lin, true, cpl == 3);
        if (cpl == 0 && isApicPage(pa)) {
            apicWritePage = lin >>> 12;
        }
        physWrite(pa, 4, v);
    }

    /**
     * The linear pages (at CPL 0) last found to map this vCPU's xAPIC page for reads and for
     * writes (a write mapping also had its dirty bit set), or -1. The soft TLB holds RAM
     * only, so without these every APIC access (an EOI per interrupt, TPR, ICR for each IPI)
     * would walk the page tables. Dropped with the TLB (CR0, CR3, CR4 writes, INVLPG of the
     * page) and when IA32_APIC_BASE changes.
     */
    private int apicReadPage = -1, apicWritePage = -1;

    private boolean isApicPage(long pa) {
        return apic != null && (pa & ~0xfffL) == (apicBase & 0xf_ffff_f000L) && (apicBase & 0xc00) == 0x800;
    }

    /** Forgets the APIC page mappings ({@link #apicReadPage}); {@code linPage} -1 for all, else only that page. */
    public void dropApicMapping(int linPage) {
        if (linPage == -1 || linPage == apicReadPage) {
            apicReadPage = -1;
        }
        if (linPage == -1 || linPage == apicWritePage) {
            apicWritePage = -1;
        }
    }

    /**
     * A physical access that missed the soft TLB's RAM entries: this vCPU's own local APIC
     * when the address is in its xAPIC page (each vCPU sees its own APIC at the same
     * address, SDM "Local APIC Location and Relocation"), else the VM's memory map.
     */
    private int physRead(long pa, int size) {
        if (isApicPage(pa)) {
            return apic.mmioRead(pa & 0xfff, size);
        }
        if (smp) {
            VarHandle.releaseFence();   // a device read may have effects other vCPUs observe after earlier stores
        }
        return size == 4 ? mem.read32(pa) : size == 2 ? mem.read16(pa) : mem.read8(pa);
    }

    private void physWrite(long pa, int size, int v) {
        if (smp) {
            VarHandle.releaseFence();
        }
        if (isApicPage(pa)) {
            apic.mmioWrite(pa & 0xfff, size, v);
            return;
        }
        if (size == 4) {
            mem.write32(pa, v);
        } else if (size == 2) {
            mem.write16(pa, v);
        } else {
            mem.write8(pa, v);
        }
    }

    // ---- atomic read-modify-write for several vCPUs (LOCK prefix, XCHG with memory, CMPXCHG8B)

    /**
     * Thrown by {@link #storeLocked} when another vCPU changed the operand between the
     * locked instruction's load and its store: the engine restores the registers and flags
     * and runs the instruction again (the load-then-compare-and-set of an emulated locked
     * read-modify-write). Carries no stack trace.
     */
    public static final class LockRetry extends RuntimeException {
        public static final LockRetry INSTANCE = new LockRetry();

        private LockRetry() {
            super("locked operand changed", null, false, false);
        }
    }

    /** RAM address and value of the current locked load, or -1 when the operand is not in one RAM page. */
    private long lockedPa = -1;
    private long lockedOld;

    /** The load of a locked read-modify-write at linear {@code lin} (already proven writable). */
    public int loadLocked(int lin, int size) {
        long pa = -1;
        if ((lin & 0xfff) + size <= 0x1000 && !dataWatch) {
            pa = mappedRam(lin, true);
            if (pa < 0) {
                pa = translate(lin, true, cpl == 3);
            }
            if (!mem.isRam(pa, size)) {
                pa = -1;
            }
        }
        lockedPa = pa;
        if (pa < 0) {
            return readLin(lin, size);
        }
        int v = (int) mem.compareAndExchange(pa, size, 0, 0);   // a full-fence read: locked instructions are serialising
        lockedOld = v & (size == 4 ? 0xffffffffL : (1L << size * 8) - 1);
        return v;
    }

    /** The store of a locked read-modify-write: throws {@link LockRetry} if the operand changed since the load. */
    public void storeLocked(int lin, int size, int v) {
        long pa = lockedPa;
        lockedPa = -1;
        if (pa < 0) {
            writeLin(lin, size, v);   // device memory or a page-straddling operand: not atomic (a split lock)
            return;
        }
        if (mem.compareAndExchange(pa, size, lockedOld, v) != lockedOld) {
            throw LockRetry.INSTANCE;
        }
    }

    /**
     * CMPXCHG8B's memory side for several vCPUs: atomically replaces the quadword at
     * {@code lin} (proven writable) with {@code update} if it equals {@code expected};
     * returns the quadword found.
     */
    public long compareAndExchange64(int lin, long expected, long update) {
        if ((lin & 0xfff) <= 0xff8 && !dataWatch) {
            long pa = mappedRam(lin, true);
            if (pa < 0) {
                pa = translate(lin, true, cpl == 3);
            }
            if (mem.isRam(pa, 8)) {
                return mem.compareAndExchange(pa, 8, expected, update);
            }
        }
        long m = (readLin32(lin) & 0xffffffffL) | ((long) readLin32(lin + 4) << 32);
        long w = m == expected ? update : m;
        writeLin32(lin, (int) w);
        writeLin32(lin + 4, (int) (w >>> 32));
        return m;
    }

    // ---- bulk access for repeated string instructions (StringOps): RAM pages the soft TLB maps

    /**
     * The physical address behind linear {@code lin} when the soft TLB maps its page to RAM
     * for a read (or a write), else -1. A write entry exists only for a page that holds no
     * translated code and whose dirty bit is set; none exist while alignment checking or
     * data breakpoints are on, so a bulk access needs no further checks within the page.
     */
    long mappedRam(int lin, boolean write) {
        int page = lin >>> 12;
        long e = (write ? wEnt : rEnt)[page & SoftTlb.MASK];
        return SoftTlb.tag(e) == page ? ((int) e | (lin & 0xfff)) & 0xffffffffL : -1;
    }

    /** Copies {@code bytes} of RAM forward (as memmove), both ranges within one page each. */
    void copyRam(long src, long dst, int bytes) {
        if (smp) {
            VarHandle.fullFence();   // a string instruction's accesses after everything before it
        }
        MemorySegment.copy(ram, src, ram, dst, bytes);
    }

    /** Stores {@code count} elements of {@code size} bytes with value {@code v} from {@code pa}, within one page. */
    void fillRam(long pa, int count, int size, int v) {
        if (smp) {
            VarHandle.releaseFence();
        }
        if (size == 1) {
            ram.asSlice(pa, count).fill((byte) v);
        } else if (size == 2) {
            for (int k = 0; k < count; k++) {
                ram.set(PhysicalMemory.U16, pa + 2L * k, (short) v);
            }
        } else {
            for (int k = 0; k < count; k++) {
                ram.set(PhysicalMemory.U32, pa + 4L * k, v);
            }
        }
    }

    /** Supervisor-mode (implicit) accesses: descriptor tables, TSS, IDT (SDM 4.6: always supervisor). */
    public int readSys32(int lin) {
        int p0 = cpl;
        if (p0 == 3) {
            setCpl(0);
            try {
                return readLin32(lin);
            } finally {
                setCpl(p0);
            }
        }
        return readLin32(lin);
    }

    public int readSys16(int lin) {
        return readSys32Part(lin, 2);
    }

    public int readSys8(int lin) {
        return readSys32Part(lin, 1);
    }

    private int readSys32Part(int lin, int size) {
        int p0 = cpl;
        if (p0 == 3) {
            setCpl(0);
        }
        try {
            return size == 2 ? readLin16(lin) : readLin8(lin);
        } finally {
            if (p0 == 3) {
                setCpl(p0);
            }
        }
    }

    public void writeSys(int lin, int size, int v) {
        int p0 = cpl;
        if (p0 == 3) {
            setCpl(0);
        }
        try {
            if (size == 4) {
                writeLin32(lin, v);
            } else if (size == 2) {
                writeLin16(lin, v);
            } else {
                writeLin8(lin, v);
            }
        } finally {
            if (p0 == 3) {
                setCpl(p0);
            }
        }
    }

    /**
     * Translates a linear address to a physical one, filling the soft TLB (a hidden fault,
     * SHADOW_FILL) or raising #PF with CR2 set (a real fault, GUEST_PF).
     */
    public long translate(int lin, boolean write, boolean user) {
        return translate(lin, write, user, false);
    }

    /** As {@link #translate(int, boolean, boolean)}; {@code fetch} for an instruction fetch (NX applies). */
    private long translate(int lin, boolean write, boolean user, boolean fetch) {
        long pa;
        boolean global = false, canWrite = true, canExecute = true;
        if ((cr0 & CR0_PG) == 0) {
            pa = lin & 0xffffffffL;
        } else {
            if (!walker.walk(cr3, pdpte, (cr4 & CR4_PSE) != 0, lin, write, user, (cr0 & CR0_WP) != 0, fetch,
                    (efer & EFER_NXE) != 0)) {
                cr2 = lin;
                exits.inc(ExitReason.GUEST_PF);
                throw Fault.withCode(Fault.PF, walker.errorCode);
            }
            pa = walker.physAddr;
            global = walker.global && (cr4 & CR4_PGE) != 0;
            canWrite = walker.dirty && (walker.writable || (!user && (cr0 & CR0_WP) == 0));
            canExecute = walker.executable;
        }
        pa &= a20Mask;
        long page = pa & ~0xfffL;
        int shift = (cr0 & CR0_PG) != 0 ? walker.largeShift : 0;
        if (mem.isRamPage(page)) {
            exits.inc(ExitReason.SHADOW_FILL);
            int lp = lin >>> 12;
            tlb.fill(user ? SoftTlb.READ_USER : SoftTlb.READ_SUP, lp, page, global, shift);
            if (canExecute) {
                tlb.fill(user ? SoftTlb.EXEC_USER : SoftTlb.EXEC_SUP, lp, page, global, shift);
            }
            if (write && canWrite && !mem.isCodePage(page)) {
                tlb.fill(user ? SoftTlb.WRITE_USER : SoftTlb.WRITE_SUP, lp, page, global, shift);
                if (smp) {
                    // another vCPU may have made the page code meanwhile (CodeCache.beginDecode marks, fences,
                    // then drops write entries): look again after the fill, so that one of the two sees the other
                    VarHandle.fullFence();
                    if (mem.isCodePage(page)) {
                        tlb.dropWritesTo(page);
                    }
                }
            }
        } else {
            exits.inc(ExitReason.MMIO);
        }
        return pa;
    }

    /** Physical address of the code byte at linear {@code lin}: soft-TLB hit or a walk (#PF on failure). */
    public long codePhys(int lin) {
        int page = lin >>> 12;
        int i = page & SoftTlb.MASK;
        long e = xEnt[i];
        if (SoftTlb.tag(e) == page) {
            return SoftTlb.phys(e) | (lin & 0xfff);
        }
        return translateFetch(lin);
    }

    /**
     * True when the soft TLB holds an execute translation of linear {@code lin} at the current
     * privilege to physical page {@code physPage}: code fetched there now is the code found
     * there before. False says nothing (the entry may just have been evicted).
     */
    public boolean codeMappedTo(int lin, long physPage) {
        int page = lin >>> 12;
        int i = page & SoftTlb.MASK;
        long e = xEnt[i];
        return SoftTlb.tag(e) == page && SoftTlb.phys(e) == physPage;
    }

    /** Linear to physical without side effects or faults (reports, debuggers); -1 if unmapped. */
    public long probe(int lin) {
        if ((cr0 & CR0_PG) == 0) {
            return lin & 0xffffffffL;
        }
        return walker.probe(cr3, pdpte, (cr4 & CR4_PSE) != 0, lin, (efer & EFER_NXE) != 0);
    }

    /** Translation for an instruction fetch (execute access at the current privilege). */
    public long translateFetch(int lin) {
        return translate(lin, false, cpl == 3, true);
    }

    public void flushTlb() {
        tlb.flushAll();
        dropApicMapping(-1);
        exits.inc(ExitReason.TLB_FLUSH);
    }

    // =====================================================================================
    // Control registers

    /** mov crN, reg / lmsw / clts: applies the SDM's checks and flushes as needed. */
    public void writeCr(int n, int v) {
        switch (n) {
            case 0 -> {
                // SDM 2.5: PG without PE, or NW without CD, is #GP(0)
                if ((v & CR0_PG) != 0 && (v & CR0_PE) == 0 || (v & CR0_NW) != 0 && (v & CR0_CD) == 0) {
                    throw Fault.gp0();
                }
                // SDM 4.4.1: with PAE paging in use after the write, changing PG, CD or NW reloads the PDPTEs
                if ((v & CR0_PG) != 0 && (cr4 & CR4_PAE) != 0
                        && (((v ^ cr0) & (CR0_PG | CR0_CD | CR0_NW)) != 0)) {
                    loadPdpte(cr3);
                }
                int old = cr0;
                cr0 = v | CR0_ET;
                if (((old ^ cr0) & (CR0_PG | CR0_WP | CR0_PE)) != 0) {
                    flushTlb();
                    if ((cr0 & CR0_PG) == 0) {
                        pdpte = null;
                    }
                }
                if (((old ^ cr0) & CR0_PE) != 0) {
                    refreshSegmentRights();
                }
                refreshAlignmentCheck();
            }
            case 2 -> cr2 = v;
            case 3 -> {
                if ((cr0 & CR0_PG) != 0 && (cr4 & CR4_PAE) != 0) {
                    loadPdpte(v);
                }
                cr3 = v;
                if ((cr4 & CR4_PGE) != 0) {
                    tlb.flushNonGlobal();
                    dropApicMapping(-1);
                    exits.inc(ExitReason.TLB_FLUSH);
                } else {
                    flushTlb();
                }
            }
            case 4 -> {
                if ((v & ~CpuId.CR4_SUPPORTED) != 0) {
                    throw Fault.gp0();
                }
                // SDM 4.4.1: with PAE paging in use after the write, changing PAE, PGE or PSE reloads the PDPTEs
                if ((v & CR4_PAE) != 0 && (cr0 & CR0_PG) != 0
                        && (((v ^ cr4) & (CR4_PAE | CR4_PGE | CR4_PSE)) != 0)) {
                    loadPdpte(cr3);
                }
                int old = cr4;
                cr4 = v;
                if ((cr4 & CR4_PAE) == 0) {
                    pdpte = null;
                }
                if (((old ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE)) != 0) {
                    flushTlb();
                }
            }
            default -> throw Fault.ud();
        }
    }

    /** SDM 4.4.1: PAE PDPTEs are loaded when CR3 is written; a reserved bit set is #GP(0). */
    private void loadPdpte(int newCr3) {
        long[] p = new long[4];
        long base = (newCr3 & 0xffffffe0L);
        for (int i = 0; i < 4; i++) {
            p[i] = mem.read64(base + 8L * i);
            if ((p[i] & 1) != 0 && (p[i] & 0xffff_fff0_0000_01e6L) != 0) {
                throw Fault.gp0();
            }
        }
        pdpte = p;
    }

    public int readCr(int n) {
        return switch (n) {
            case 0 -> cr0;
            case 2 -> cr2;
            case 3 -> cr3;
            case 4 -> cr4;
            default -> throw Fault.ud();
        };
    }

    /**
     * Where the TSC counts from: by default the instructions retired (deterministic time);
     * a VM on real time sets it to its clock so the TSC agrees with the PIT and the PM timer.
     */
    public java.util.function.LongSupplier tscSource = () -> instructions;

    /** The TSC: the source's count offset by what the guest wrote to IA32_TIME_STAMP_COUNTER. */
    public long tsc() {
        return tscSource.getAsLong() + tscOffset;
    }

    // =====================================================================================
    // Stack

    public int sp() {
        return stack32 ? r[ESP] : r[ESP] & 0xffff;
    }

    public void setSp(int v) {
        if (stack32) {
            r[ESP] = v;
        } else {
            r[ESP] = (r[ESP] & 0xffff0000) | (v & 0xffff);
        }
    }

    /** Pushes {@code size} bytes (2 or 4); the write happens before ESP changes, so a fault leaves ESP intact. */
    public void push(int size, int v) {
        int esp = r[ESP];
        if (size == 4 && flatStack32() && Integer.compareUnsigned(esp - 4, -4) <= 0) {
            writeLin32(esp - 4, v);   // a flat 32-bit stack: only the 4 GiB wrap is left to check (SDM 5.3)
            r[ESP] = esp - 4;
            return;
        }
        int nsp = sp() - size;
        if (!stack32) {
            nsp &= 0xffff;
        }
        if (size == 4) {
            write32(SS, nsp, v);
        } else {
            write16(SS, nsp, v);
        }
        setSp(nsp);
    }

    public int pop(int size) {
        int v = peek(size, 0);
        setSp(sp() + size);
        return v;
    }

    /** SS is flat (base 0, 4 GiB, read/write) and 32-bit: stack accesses need no segment checks. */
    private boolean flatStack32() {
        return stack32 && (flatSegs & (1 << SS)) != 0;
    }

    /** Reads the stack at SP + {@code offset} without popping. */
    public int peek(int size, int offset) {
        int a = sp() + offset;
        if (size == 4 && flatStack32() && Integer.compareUnsigned(a, -4) <= 0) {
            return readLin32(a);
        }
        if (!stack32) {
            a &= 0xffff;
        }
        return size == 4 ? read32(SS, a) : read16(SS, a);
    }
}
