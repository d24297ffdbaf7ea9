package io.jvisor.devices;

import io.jvisor.cpu.InterruptSource;
import io.jvisor.memory.MmioHandler;

import java.util.function.LongSupplier;

/**
 * One vCPU's local APIC (SDM Vol. 3, chapter "Advanced Programmable Interrupt Controller"),
 * in xAPIC (MMIO) and x2APIC (MSR) modes: ID, version, TPR/PPR, EOI, LDR/DFR, SVR, the
 * 256-bit ISR/TMR/IRR, ESR, ICR (sent through an {@link ApicBus}), the six LVT entries and
 * the timer in one-shot, periodic and TSC-deadline modes.
 *
 * <p>Priorities (SDM "Task and Processor Priorities"): PPR is TPR when TPR[7:4] is at least
 * the class of the highest in-service vector, else that class; a pending vector is
 * delivered only when its class is above PPR[7:4]. The timer counts at the APIC bus clock,
 * {@link #BUS_HZ} (1 GHz, as QEMU's), divided as the divide configuration register says.
 *
 * <p>As the CPU's {@link InterruptSource}: a fixed interrupt that qualifies, else, when
 * LVT LINT0 is unmasked in ExtINT mode (virtual-wire mode, as firmware leaves it), the
 * 8259's request passes straight through. NMI, INIT and SIPI messages are latched for the
 * vCPU ({@link #takeNmi}, {@link #takeInit}, {@link #takeSipi}).
 *
 * <p>Thread safety: every entry point is synchronized (other vCPUs send IPIs, the I/O APIC
 * raises interrupts from device code) except two: {@link #hasInterrupt()} reads a volatile
 * summary so that the vCPU's per-block check takes no lock, and {@link #writeTpr} stores the
 * volatile TPR and takes the lock only when the store can change what is deliverable.
 */
public final class LocalApic implements MmioHandler, InterruptSource, TimedDevice, io.jvisor.cpu.ApicAccess {
    public static final long DEFAULT_BASE = 0xfee0_0000L;
    public static final long BUS_HZ = 1_000_000_000L;
    /**
     * Version 0x14 (an integrated APIC), 6 LVT entries (max LVT index 5), and bit 24: EOI
     * broadcast suppression (directed EOI) can be turned on through SVR bit 12.
     */
    public static final int VERSION = 0x0105_0014;

    // register offsets (xAPIC MMIO; the x2APIC MSR is 0x800 + offset / 16)
    public static final int ID = 0x20, VER = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xa0, EOI = 0xb0, RRD = 0xc0,
            LDR = 0xd0, DFR = 0xe0, SVR = 0xf0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280,
            LVT_CMCI = 0x2f0, ICR_LO = 0x300, ICR_HI = 0x310, LVT_TIMER = 0x320, LVT_THERMAL = 0x330,
            LVT_PMC = 0x340, LVT_LINT0 = 0x350, LVT_LINT1 = 0x360, LVT_ERROR = 0x370, TIMER_INITIAL = 0x380,
            TIMER_CURRENT = 0x390, TIMER_DIVIDE = 0x3e0, SELF_IPI = 0x3f0;

    public static final int LVT_MASKED = 1 << 16;
    public static final int LVT_LEVEL = 1 << 15;
    public static final int DELIVERY_PENDING = 1 << 12;
    public static final int SVR_ENABLED = 1 << 8;
    /** SVR bit 12: a level-triggered vector's EOI is not broadcast; software ends it at the I/O APIC. */
    public static final int SVR_SUPPRESS_EOI_BROADCAST = 1 << 12;
    /** Delivery modes (bits 10:8 of an LVT entry or the ICR). */
    public static final int MODE_FIXED = 0, MODE_LOWEST = 1, MODE_SMI = 2, MODE_NMI = 4, MODE_INIT = 5,
            MODE_SIPI = 6, MODE_EXTINT = 7;
    /** Timer modes (LVT timer bits 18:17). */
    public static final int TIMER_ONE_SHOT = 0, TIMER_PERIODIC = 1, TIMER_TSC_DEADLINE = 2;
    /** ESR bits. */
    public static final int ESR_SEND_ILLEGAL_VECTOR = 1 << 5, ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6,
            ESR_ILLEGAL_REGISTER = 1 << 7;

    private static final int LVT_COUNT = 7;   // CMCI, timer, thermal, PMC, LINT0, LINT1, error
    private static final int I_CMCI = 0, I_TIMER = 1, I_THERMAL = 2, I_PMC = 3, I_LINT0 = 4, I_LINT1 = 5,
            I_ERROR = 6;
    /** Writable bits of each LVT entry (SDM "Local Vector Table"). */
    private static final int[] LVT_WRITABLE = {
        0x1_07ff, 0x7_00ff, 0x1_07ff, 0x1_07ff, 0x1_a7ff, 0x1_a7ff, 0x1_00ff};

    private final VmClock clock;
    private final InterruptSource pic;
    private final LongSupplier tsc;
    private ApicBus bus;
    private final int index;

    private int id;
    /**
     * Task priority. Volatile: its own vCPU stores it without the lock ({@link #writeTpr});
     * everything else reads it under the lock.
     */
    private volatile int tpr;
    private int ldr;
    private int dfr = 0xffff_ffff;
    private int svr = 0xff;
    private final int[] isr = new int[8];
    private final int[] tmr = new int[8];
    private final int[] irr = new int[8];
    private int esr;
    private int esrPending;
    private final int[] lvt = new int[LVT_COUNT];
    private int icrLo;
    private int icrHi;
    private int timerInitial;
    private int timerDivide;
    /** VM time at which the timer was last loaded (or its period began). */
    private long timerStart;
    /** The TSC value at which the TSC-deadline timer fires, or 0 when disarmed. */
    private long tscDeadline;
    /** x2APIC mode (volatile: the TPR fast path reads it without the lock). */
    private volatile boolean x2apic;

    private boolean nmiPending;
    private boolean initPending;
    private int sipiVector = -1;
    /** Called when an EOI retires a level-triggered vector (the I/O APIC clears Remote IRR). */
    private java.util.function.IntConsumer eoiBroadcast = v -> { };
    private volatile boolean interruptReady;
    /** An INIT or SIPI is latched (volatile: a vCPU waiting for one polls it). */
    private volatile boolean startupWaiting;
    /** An NMI waits for the CPU (volatile: read on every dispatch without the lock). */
    private volatile boolean nmiWaiting;
    /** The 8259's request reaches the CPU directly: LINT0 in ExtINT mode, or the APIC hardware-disabled. */
    private volatile boolean picPassThrough;
    /** IA32_APIC_BASE.EN: when clear the APIC is off and the CPU's INTR is the 8259's. */
    private boolean hardwareEnabled = true;
    /** Runs when this APIC gets something for its vCPU (to wake it from hlt). */
    private Runnable wake = () -> { };
    /** The vCPU's performance counters, whose overflow raises LVT PMC; none until {@link #setPerfMonitor}. */
    private PerfMonitor perf;

    /** The vCPU's performance counters as the APIC sees them (read on the vCPU's own thread). */
    public interface PerfMonitor {
        /** True if a counter with its interrupt enabled has wrapped since the last call. */
        boolean pollOverflow();

        /** The TSC value at which a cycle counter with its interrupt enabled next wraps, or Long.MAX_VALUE. */
        long nextCycleOverflow();
    }

    /**
     * @param index this vCPU's number: the APIC ID after reset
     * @param clock VM time, for the timer
     * @param pic   the 8259's output, reached through LINT0 in ExtINT mode
     * @param tsc   the vCPU's time-stamp counter, for the TSC-deadline timer (1 GHz, as VM time)
     */
    public LocalApic(int index, VmClock clock, InterruptSource pic, LongSupplier tsc) {
        this.index = index;
        this.clock = clock;
        this.pic = pic;
        this.tsc = tsc;
        reset();
    }

    /** Attaches the APIC bus that carries this APIC's IPIs. */
    public void connect(ApicBus b) {
        this.bus = b;
    }

    public void setEoiBroadcast(java.util.function.IntConsumer c) {
        eoiBroadcast = c;
    }

    public void setWake(Runnable r) {
        wake = r;
    }

    public synchronized void setPerfMonitor(PerfMonitor p) {
        perf = p;
    }

    /** Power-on / INIT state (SDM "Local APIC State After Power-Up or Reset"), ID kept as the vCPU number. */
    public synchronized void reset() {
        id = index;
        tpr = 0;
        ldr = 0;
        dfr = 0xffff_ffff;
        svr = 0xff;
        java.util.Arrays.fill(isr, 0);
        java.util.Arrays.fill(tmr, 0);
        java.util.Arrays.fill(irr, 0);
        esr = esrPending = 0;
        java.util.Arrays.fill(lvt, LVT_MASKED);
        if (index == 0) {
            // as QEMU's: the BSP's LINT0 starts in ExtINT mode, so the 8259 reaches the CPU before firmware
            // or a kernel programs the APIC (a PC BIOS sets up this virtual-wire mode)
            lvt[I_LINT0] = MODE_EXTINT << 8;
        }
        icrLo = icrHi = 0;
        timerInitial = timerDivide = 0;
        tscDeadline = 0;
        x2apic = false;
        nmiPending = initPending = false;
        sipiVector = -1;
        startupWaiting = false;
        update();
    }

    /** As firmware leaves it for a direct kernel boot: enabled, LINT0 ExtINT (virtual wire), LINT1 NMI. */
    public synchronized void virtualWire() {
        svr = 0x1ff;
        lvt[I_LINT0] = MODE_EXTINT << 8;
        lvt[I_LINT1] = MODE_NMI << 8;
        update();
    }

    public synchronized int id() {
        return id;
    }

    public synchronized boolean softwareEnabled() {
        return (svr & SVR_ENABLED) != 0;
    }

    public synchronized void setX2apic(boolean on) {
        if (on && !x2apic) {
            ldr = (id >>> 4) << 16 | 1 << (id & 0xf);   // x2APIC logical ID: cluster and bit
        }
        x2apic = on;
    }

    public boolean x2apic() {
        return x2apic;
    }

    // =====================================================================================
    // Register access

    @Override
    public synchronized int read(long offset, int size) {
        int reg = (int) offset & 0xff0;
        int v = readRegister(reg);
        int shift = (int) (offset & 3) * 8;
        return size == 4 && (offset & 0xf) == 0 ? v : (int) ((v & 0xffffffffL) >>> shift)
                & (size == 1 ? 0xff : size == 2 ? 0xffff : -1);
    }

    @Override
    public void write(long offset, int size, int value) {
        if ((offset & 0xf) != 0 || size != 4) {
            return;   // registers are 32-bit, 16-byte aligned; other accesses are undefined: ignored
        }
        if (offset == TPR) {
            writeTpr(value);
            return;
        }
        synchronized (this) {
            writeRegister((int) offset & 0xff0, value);
        }
        sendOutside();
    }

    /**
     * An EOI broadcast or an IPI decided under this APIC's lock goes out after it is released:
     * the I/O APIC and the other APICs take their own locks, and two vCPUs sending to each
     * other must not each hold their own while waiting for the other's.
     */
    private int outEoi = -1;
    private boolean outIpi;
    private int outIpiLo, outIpiDest;

    private void sendOutside() {
        int eoiVector;
        boolean ipi;
        int lo, dest;
        synchronized (this) {
            eoiVector = outEoi;
            ipi = outIpi;
            lo = outIpiLo;
            dest = outIpiDest;
            outEoi = -1;
            outIpi = false;
        }
        if (eoiVector >= 0) {
            eoiBroadcast.accept(eoiVector);
        }
        if (ipi) {
            bus.send(this, lo, dest);
        }
    }

    private int readRegister(int reg) {
        if (reg >= ISR && reg < ISR + 0x80) {
            return isr[(reg - ISR) >>> 4];
        }
        if (reg >= TMR && reg < TMR + 0x80) {
            return tmr[(reg - TMR) >>> 4];
        }
        if (reg >= IRR && reg < IRR + 0x80) {
            return irr[(reg - IRR) >>> 4];
        }
        return switch (reg) {
            case ID -> x2apic ? id : id << 24;
            case VER -> VERSION;
            case TPR -> tpr;
            case APR -> 0;
            case PPR -> ppr();
            case LDR -> ldr;
            case DFR -> x2apic ? 0 : dfr;
            case SVR -> svr;
            case ESR -> esr;
            case LVT_CMCI -> lvt[I_CMCI];
            case ICR_LO -> icrLo;
            case ICR_HI -> icrHi;
            case LVT_TIMER -> lvt[I_TIMER];
            case LVT_THERMAL -> lvt[I_THERMAL];
            case LVT_PMC -> lvt[I_PMC];
            case LVT_LINT0 -> lvt[I_LINT0];
            case LVT_LINT1 -> lvt[I_LINT1];
            case LVT_ERROR -> lvt[I_ERROR];
            case TIMER_INITIAL -> timerInitial;
            case TIMER_CURRENT -> currentCount(clock.nanos());
            case TIMER_DIVIDE -> timerDivide;
            default -> 0;
        };
    }

    /**
     * A TPR write by this APIC's own vCPU (seed challenge 8: guests write it constantly):
     * a plain store, and an interrupt check only when the priority class went down, the
     * one way a pending interrupt can become deliverable. Raising it takes the lock only
     * when an interrupt was about to be taken, so that the CPU does not acknowledge a vector
     * the new TPR blocks; a raise racing an arriving interrupt can still leave the CPU to
     * acknowledge the spurious vector, which hardware allows too (SDM "Spurious Interrupt").
     */
    public void writeTpr(int value) {
        int old = tpr;
        tpr = value & 0xff;
        if ((value & 0xf0) < (old & 0xf0) || interruptReady) {
            synchronized (this) {
                update();
            }
        }
    }

    private void writeRegister(int reg, int v) {
        switch (reg) {
            case ID -> {
                if (!x2apic) {
                    id = v >>> 24;
                }
            }
            case TPR -> tpr = v & 0xff;
            case EOI -> eoi();
            case LDR -> {
                if (!x2apic) {
                    ldr = v & 0xff00_0000;
                }
            }
            case DFR -> {
                if (!x2apic) {
                    dfr = v | 0x0fff_ffff;
                }
            }
            case SVR -> {
                svr = v & 0x13ff;
                if ((svr & SVR_ENABLED) == 0) {
                    for (int i = 0; i < LVT_COUNT; i++) {
                        lvt[i] |= LVT_MASKED;   // SDM: software disable masks every LVT entry
                    }
                }
            }
            case ESR -> {
                esr = esrPending;   // a write latches the errors since the last write
                esrPending = 0;
            }
            case LVT_CMCI -> setLvt(I_CMCI, v);
            case ICR_LO -> {
                icrLo = v & 0x000c_cfff;
                sendIpi(icrLo, x2apic ? icrHi : icrHi >>> 24);
            }
            case ICR_HI -> icrHi = x2apic ? v : v & 0xff00_0000;
            case LVT_TIMER -> {
                int before = timerMode();
                setLvt(I_TIMER, v);
                if (timerMode() != before) {
                    timerInitial = 0;   // a mode change disarms the timer
                    tscDeadline = 0;
                }
            }
            case LVT_THERMAL -> setLvt(I_THERMAL, v);
            case LVT_PMC -> setLvt(I_PMC, v);
            case LVT_LINT0 -> setLvt(I_LINT0, v);
            case LVT_LINT1 -> setLvt(I_LINT1, v);
            case LVT_ERROR -> setLvt(I_ERROR, v);
            case TIMER_INITIAL -> {
                if (timerMode() != TIMER_TSC_DEADLINE) {
                    timerInitial = v;
                    timerStart = clock.nanos();
                }
            }
            case TIMER_DIVIDE -> {
                // keep the count's progress: restart from the current count at the new rate
                long now = clock.nanos();
                int current = currentCount(now);
                timerDivide = v & 0xb;
                if (timerInitial != 0 && current != 0) {
                    timerStart = now - (long) (timerInitial - current) * divisor();
                }
            }
            case SELF_IPI -> {
                if (x2apic) {
                    accept(v & 0xff, false);
                }
            }
            default -> {
                if (reg != ID && reg != VER && reg != PPR && reg != APR && reg != RRD
                        && !(reg >= ISR && reg < IRR + 0x80) && reg != TIMER_CURRENT) {
                    error(ESR_ILLEGAL_REGISTER);
                }
            }
        }
        update();
    }

    private void setLvt(int i, int v) {
        int w = v & LVT_WRITABLE[i];
        if ((svr & SVR_ENABLED) == 0) {
            w |= LVT_MASKED;
        }
        lvt[i] = (lvt[i] & ~LVT_WRITABLE[i]) | w;
    }

    // ---- x2APIC: MSRs 0x800-0x8ff

    /** True for the MSRs of x2APIC mode. */
    public static boolean isX2apicMsr(int msr) {
        return msr >= 0x800 && msr <= 0x8ff;
    }

    /** RDMSR of an x2APIC register; null when the register does not exist (the CPU raises #GP). */
    public synchronized Long readX2apicMsr(int msr) {
        if (!x2apic) {
            return null;
        }
        int reg = (msr - 0x800) << 4;
        if (reg == ICR_LO) {
            return (icrLo & 0xffffffffL) | (long) icrHi << 32;
        }
        if (reg == DFR || reg == EOI || reg == SELF_IPI || reg == ICR_HI || !exists(reg)) {
            return null;
        }
        return readRegister(reg) & 0xffffffffL;
    }

    /** WRMSR of an x2APIC register; false when the register does not exist or is read-only (#GP). */
    public synchronized boolean writeX2apicMsr(int msr, long value) {
        if (!x2apic) {
            return false;
        }
        int reg = (msr - 0x800) << 4;
        if (reg == ICR_LO) {
            icrHi = (int) (value >>> 32);
            icrLo = (int) value & 0x000c_cfff;
            sendIpi(icrLo, icrHi);
            update();
            return true;
        }
        if (reg == ID || reg == VER || reg == LDR || reg == PPR || reg == DFR || reg == ICR_HI
                || reg == TIMER_CURRENT || reg >= ISR && reg < IRR + 0x80 || !exists(reg)) {
            return false;
        }
        writeRegister(reg, (int) value);
        return true;
    }

    private static boolean exists(int reg) {
        return reg == ID || reg == VER || reg == TPR || reg == PPR || reg == EOI || reg == LDR || reg == DFR
                || reg == SVR || reg >= ISR && reg < IRR + 0x80 || reg == ESR || reg == LVT_CMCI || reg == ICR_LO
                || reg == ICR_HI || reg >= LVT_TIMER && reg <= TIMER_CURRENT || reg == TIMER_DIVIDE
                || reg == SELF_IPI;
    }

    // =====================================================================================
    // Interrupt acceptance and delivery

    /**
     * A fixed-mode interrupt arrives (from the I/O APIC, an IPI or a local source): IRR is
     * set, and TMR says whether its EOI must be broadcast. Vectors 0-15 are illegal.
     */
    public synchronized void accept(int vector, boolean level) {
        vector &= 0xff;
        if (vector < 16) {
            error(ESR_RECEIVE_ILLEGAL_VECTOR);
            update();
            return;
        }
        setBit(irr, vector, true);
        setBit(tmr, vector, level);
        update();
        wake.run();
    }

    /** An NMI message or LINT1 in NMI mode. */
    public synchronized void deliverNmi() {
        nmiPending = true;
        update();
        wake.run();
    }

    /** An INIT message: the vCPU resets its state and (an AP) waits for a SIPI. */
    public synchronized void deliverInit() {
        // SDM 10.4.7.3: INIT puts the APIC in its power-up state (ID kept) when it arrives, so a
        // start-up IPI that follows at once is not lost to a reset done later by the vCPU
        reset();
        initPending = true;
        startupWaiting = true;
        wake.run();
    }

    /** A start-up IPI with its vector (the AP starts at vector * 4096 in real mode). */
    public synchronized void deliverSipi(int vector) {
        sipiVector = vector & 0xff;
        startupWaiting = true;
        wake.run();
    }

    /** An INIT or start-up IPI waits for the vCPU (read without the lock by a sleeping vCPU). */
    public boolean hasStartupEvent() {
        return startupWaiting;
    }

    public synchronized boolean takeNmi() {
        boolean n = nmiPending;
        nmiPending = false;
        update();
        return n;
    }

    @Override
    public boolean nmiPending() {
        return nmiWaiting;
    }

    @Override
    public void acknowledgeNmi() {
        takeNmi();
    }

    public synchronized boolean takeInit() {
        boolean i = initPending;
        initPending = false;
        startupWaiting = sipiVector >= 0;
        return i;
    }

    /** The vector of a start-up IPI received since the last call, or -1. */
    public synchronized int takeSipi() {
        int v = sipiVector;
        sipiVector = -1;
        startupWaiting = initPending;
        return v;
    }

    /** LINT1 driven by a device (on a PC: the NMI line), honouring the LVT entry. */
    public synchronized void lint1(boolean high) {
        if (high) {
            localInterrupt(I_LINT1);
        }
    }

    @Override
    public boolean hasInterrupt() {
        return interruptReady || picPassThrough && pic.hasInterrupt();
    }

    @Override
    public synchronized int acknowledge() {
        if (!hardwareEnabled) {
            return pic.acknowledge();
        }
        int v = highestDeliverable();
        if (v >= 0) {
            setBit(irr, v, false);
            setBit(isr, v, true);
            update();
            return v;
        }
        if (extIntPassThrough() && pic.hasInterrupt()) {
            int vector = pic.acknowledge();
            update();
            return vector;
        }
        update();
        return svr & 0xff;   // the interrupt went away: the spurious vector, nothing in service
    }

    /** Processor priority (SDM "Processor Priority Register"). */
    public synchronized int ppr() {
        int isrv = highest(isr);
        int isrClass = isrv < 0 ? 0 : isrv & 0xf0;
        return (tpr & 0xf0) >= isrClass ? tpr & 0xff : isrClass;
    }

    private int highestDeliverable() {
        if ((svr & SVR_ENABLED) == 0 || !hardwareEnabled) {
            return -1;
        }
        int v = highest(irr);
        return v >= 0 && (v & 0xf0) > (ppr() & 0xf0) ? v : -1;
    }

    private boolean extIntPassThrough() {
        int l = lvt[I_LINT0];
        return (l & LVT_MASKED) == 0 && (l >>> 8 & 7) == MODE_EXTINT;
    }

    private void eoi() {
        int v = highest(isr);
        if (v < 0) {
            return;
        }
        setBit(isr, v, false);
        if (bit(tmr, v) && (svr & SVR_SUPPRESS_EOI_BROADCAST) == 0) {
            outEoi = v;   // a level-triggered interrupt: the I/O APIC may raise it again (sent after the lock)
        }
    }

    /** Recomputes what the CPU sees; the PIC's line counts through LINT0 in ExtINT mode. */
    private void update() {
        interruptReady = highestDeliverable() >= 0;
        nmiWaiting = nmiPending;
        picPassThrough = !hardwareEnabled || extIntPassThrough();
    }

    // ---- the CPU's side (cpu.ApicAccess)

    @Override
    public int apicId() {
        return id();
    }

    /** IA32_APIC_BASE: EN off puts the APIC out of the way (the 8259 drives INTR); on again, it resumes. */
    @Override
    public synchronized void baseChanged(long apicBase) {
        hardwareEnabled = (apicBase & 0x800) != 0;
        setX2apic((apicBase & 0x400) != 0);   // EXTD (the CPU has refused invalid transitions)
        update();
    }

    @Override
    public int mmioRead(long offset, int size) {
        return read(offset, size);
    }

    @Override
    public void mmioWrite(long offset, int size, int value) {
        write(offset, size, value);
    }

    @Override
    public Long readMsr(int msr) {
        if (msr == MSR_TSC_DEADLINE) {
            return tscDeadline();   // 0 unless armed in TSC-deadline mode (SDM 10.5.4.1)
        }
        return isX2apicMsr(msr) ? readX2apicMsr(msr) : null;
    }

    @Override
    public boolean writeMsr(int msr, long value) {
        if (msr == 0x800 + (TPR >> 4) && x2apic()) {
            writeTpr((int) value);
            return true;
        }
        if (msr == MSR_TSC_DEADLINE) {
            setTscDeadline(value);   // ignored unless the timer is in TSC-deadline mode; 0 disarms
            return true;
        }
        boolean ok = isX2apicMsr(msr) && writeX2apicMsr(msr, value);
        sendOutside();
        return ok;
    }

    private void localInterrupt(int i) {
        int l = lvt[i];
        if ((l & LVT_MASKED) != 0) {
            return;
        }
        switch (l >>> 8 & 7) {
            case MODE_FIXED -> accept(l & 0xff, i == I_LINT0 || i == I_LINT1 ? (l & LVT_LEVEL) != 0 : false);
            case MODE_NMI -> deliverNmi();
            case MODE_EXTINT -> update();
            default -> { }   // SMI and INIT from an LVT: not modelled
        }
    }

    private void error(int bits) {
        esrPending |= bits;
        localInterrupt(I_ERROR);
    }

    private void sendIpi(int lo, int destination) {
        int vector = lo & 0xff;
        int mode = lo >>> 8 & 7;
        if ((mode == MODE_FIXED || mode == MODE_LOWEST) && vector < 16) {
            error(ESR_SEND_ILLEGAL_VECTOR);
            return;
        }
        if (bus != null) {
            outIpi = true;   // sent once this APIC's lock is released
            outIpiLo = lo;
            outIpiDest = destination;
        } else if ((lo >>> 18 & 3) == 1 || (lo >>> 18 & 3) == 2 || destination == id) {
            // no bus: only this APIC exists
            deliverFromBus(lo);
        }
        icrLo &= ~DELIVERY_PENDING;   // delivery is immediate
    }

    /** A message from the bus to this APIC, in the ICR's layout (vector, mode, level, trigger). */
    void deliverFromBus(int icr) {
        int vector = icr & 0xff;
        boolean levelTriggered = (icr & LVT_LEVEL) != 0;
        switch (icr >>> 8 & 7) {
            case MODE_FIXED, MODE_LOWEST -> accept(vector, levelTriggered);
            case MODE_NMI -> deliverNmi();
            case MODE_INIT -> {
                // SDM: INIT with trigger = level and level = de-assert only resynchronises arbitration IDs
                if (!(levelTriggered && (icr & 1 << 14) == 0)) {
                    deliverInit();
                }
            }
            case MODE_SIPI -> deliverSipi(vector);
            default -> { }   // SMI: no SMM; ExtINT by IPI: not used by guests
        }
    }

    /** Whether this APIC is addressed by a logical destination (flat or cluster model). */
    synchronized boolean matchesLogical(int destination) {
        if (x2apic) {
            return (destination >>> 16) == (ldr >>> 16) && (destination & ldr & 0xffff) != 0;
        }
        int logical = ldr >>> 24;
        if ((dfr >>> 28) == 0xf) {
            return (logical & destination) != 0;   // flat model: a bit per APIC
        }
        return (destination >>> 4) == (logical >>> 4) && (destination & logical & 0xf) != 0;   // cluster
    }

    // =====================================================================================
    // Timer

    private int timerMode() {
        return lvt[I_TIMER] >>> 17 & 3;
    }

    /** Bus clocks per timer tick: 2, 4, 8, 16, 32, 64, 128 or 1 (SDM "Divide Configuration Register"). */
    private long divisor() {
        int d = (timerDivide & 3) | (timerDivide >>> 1 & 4);
        return (d == 7 ? 1 : 2L << d) * (1_000_000_000L / BUS_HZ);
    }

    private int currentCount(long now) {
        if (timerInitial == 0 || timerMode() == TIMER_TSC_DEADLINE) {
            return 0;
        }
        long ticks = Math.max(0, now - timerStart) / divisor();
        long initial = timerInitial & 0xffffffffL;
        if (timerMode() == TIMER_PERIODIC) {
            return (int) (initial - ticks % initial);
        }
        return ticks >= initial ? 0 : (int) (initial - ticks);
    }

    /** IA32_TSC_DEADLINE (MSR 0x6e0): armed in TSC-deadline mode; 0 disarms. */
    public synchronized void setTscDeadline(long deadline) {
        if (timerMode() == TIMER_TSC_DEADLINE) {
            tscDeadline = deadline;
        }
    }

    public synchronized long tscDeadline() {
        return tscDeadline;
    }

    @Override
    public synchronized void advance(long now) {
        if (perf != null && perf.pollOverflow() && (lvt[I_PMC] & LVT_MASKED) == 0) {
            localInterrupt(I_PMC);
            lvt[I_PMC] |= LVT_MASKED;   // SDM 18.x: a PMI masks the LVT PMC entry; the handler unmasks it
        }
        switch (timerMode()) {
            case TIMER_TSC_DEADLINE -> {
                if (tscDeadline != 0 && Long.compareUnsigned(tsc.getAsLong(), tscDeadline) >= 0) {
                    tscDeadline = 0;
                    localInterrupt(I_TIMER);
                }
            }
            case TIMER_PERIODIC -> {
                if (timerInitial != 0) {
                    long period = (timerInitial & 0xffffffffL) * divisor();
                    if (now - timerStart >= period) {
                        // periods that passed unseen collapse into one interrupt, as a busy CPU sees them
                        timerStart += (now - timerStart) / period * period;
                        localInterrupt(I_TIMER);
                    }
                }
            }
            default -> {
                if (timerInitial != 0 && now - timerStart >= (timerInitial & 0xffffffffL) * divisor()) {
                    timerInitial = 0;   // one-shot: the count stays at zero
                    localInterrupt(I_TIMER);
                }
            }
        }
        update();
    }

    @Override
    public synchronized long nextDeadline() {
        long pmc = Long.MAX_VALUE;
        if (perf != null && (lvt[I_PMC] & LVT_MASKED) == 0) {
            long at = perf.nextCycleOverflow();
            if (at != Long.MAX_VALUE) {
                pmc = clock.nanos() + Math.max(0, at - tsc.getAsLong());   // a 1 GHz TSC: cycles are nanoseconds
            }
        }
        return Math.min(pmc, timerDeadline());
    }

    private long timerDeadline() {
        switch (timerMode()) {
            case TIMER_TSC_DEADLINE -> {
                if (tscDeadline == 0) {
                    return Long.MAX_VALUE;
                }
                long ahead = tscDeadline - tsc.getAsLong();   // a 1 GHz TSC: cycles are nanoseconds
                return clock.nanos() + Math.max(0, ahead);
            }
            case TIMER_PERIODIC, TIMER_ONE_SHOT -> {
                if (timerInitial == 0) {
                    return Long.MAX_VALUE;
                }
                return timerStart + (timerInitial & 0xffffffffL) * divisor();
            }
            default -> {
                return Long.MAX_VALUE;
            }
        }
    }

    // =====================================================================================
    // 256-bit registers

    private static void setBit(int[] r, int v, boolean on) {
        if (on) {
            r[v >>> 5] |= 1 << (v & 31);
        } else {
            r[v >>> 5] &= ~(1 << (v & 31));
        }
    }

    private static boolean bit(int[] r, int v) {
        return (r[v >>> 5] & 1 << (v & 31)) != 0;
    }

    private static int highest(int[] r) {
        for (int w = 7; w >= 0; w--) {
            if (r[w] != 0) {
                return w * 32 + 31 - Integer.numberOfLeadingZeros(r[w]);
            }
        }
        return -1;
    }
}
