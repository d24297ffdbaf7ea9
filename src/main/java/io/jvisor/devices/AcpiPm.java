package io.jvisor.devices;

import io.jvisor.memory.IoBus;
import io.jvisor.memory.IoDevice;

/**
 * The ACPI fixed-feature hardware: the PM1a event and control blocks, the PM timer, the SCI,
 * and the PIIX-style reset control register that the FADT names as RESET_REG.
 *
 * <p>Ports (see {@link #register}); every register takes any access size at any byte offset:
 * <ul>
 *   <li>0x600 PM1a_STS (16 bits): TMR_STS 0, BM_STS 4, GBL_STS 5, PWRBTN_STS 8, SLPBTN_STS 9,
 *       RTC_STS 10, WAK_STS 15; writing one clears a bit.</li>
 *   <li>0x602 PM1a_EN (16 bits): TMR_EN 0, GBL_EN 5, PWRBTN_EN 8, SLPBTN_EN 9, RTC_EN 10.</li>
 *   <li>0x604 PM1a_CNT (16 bits): SCI_EN 0 is hardwired to one (the machine is always in
 *       ACPI mode; the FADT's SMI_CMD is 0), BM_RLD 1, GBL_RLS 2 (write-only, ignored: no
 *       firmware holds the global lock), SLP_TYP 12:10, SLP_EN 13 (write-only). Writing
 *       SLP_EN with SLP_TYP = {@link #SLP_TYP_S5} calls {@code powerOff}; other sleep types
 *       are not supported and do nothing.</li>
 *   <li>0x606-0x607: reserved, read as zero.</li>
 *   <li>0x608 PM_TMR (32 bits, read-only): the 3.579545 MHz timer, 24 bits wide (bits 31:24
 *       read as zero, matching a FADT without TMR_VAL_EXT). It counts from VM time zero;
 *       TMR_STS is set whenever its bit 23 changes.</li>
 *   <li>0xCF9 reset control (byte): reads return the last value written. A write with bit 2
 *       (RCPU) set, such as 0x06 (the FADT's RESET_VALUE, hard reset) or 0x0E (full reset),
 *       calls {@code reset}; other writes (Linux writes 0x02 first) are only stored.</li>
 * </ul>
 *
 * <p>The SCI (ISA IRQ 9 in the FADT) is a level output: high while SCI_EN is set and some
 * status bit is set with its enable bit. Power-button presses come from the host through
 * {@link #pressPowerButton}. As a {@link TimedDevice} the block raises the timer-carry SCI
 * on time when TMR_EN is set; other status changes happen on guest accesses.
 */
public final class AcpiPm implements IoDevice, TimedDevice {
    public static final int BASE = 0x600;
    public static final int PM1_EVT = BASE;           // PM1a_STS, then PM1a_EN at +2
    public static final int PM1_EVT_LEN = 4;
    public static final int PM1_CNT = BASE + 4;
    public static final int PM1_CNT_LEN = 2;
    public static final int PM_TMR = BASE + 8;
    public static final int PM_TMR_LEN = 4;
    public static final int LENGTH = 12;
    public static final int RESET_PORT = 0xcf9;
    /** The FADT's RESET_VALUE: SRST | RCPU, a hard reset. */
    public static final int RESET_VALUE = 0x06;
    public static final int SCI_IRQ = 9;

    public static final long TIMER_HZ = 3_579_545L;
    public static final int TIMER_MASK = 0xff_ffff;

    /** The SLP_TYP value that means S5 (soft off); the DSDT's \_S5_ package holds it. */
    public static final int SLP_TYP_S5 = 5;
    /** The SLP_TYP value of the working state, the DSDT's \_S0_. */
    public static final int SLP_TYP_S0 = 0;

    public static final int TMR_STS = 1 << 0;
    public static final int BM_STS = 1 << 4;
    public static final int GBL_STS = 1 << 5;
    public static final int PWRBTN_STS = 1 << 8;
    public static final int SLPBTN_STS = 1 << 9;
    public static final int RTC_STS = 1 << 10;
    public static final int WAK_STS = 1 << 15;
    private static final int STS_MASK = TMR_STS | BM_STS | GBL_STS | PWRBTN_STS | SLPBTN_STS | RTC_STS | WAK_STS;

    public static final int TMR_EN = 1 << 0;
    public static final int GBL_EN = 1 << 5;
    public static final int PWRBTN_EN = 1 << 8;
    public static final int SLPBTN_EN = 1 << 9;
    public static final int RTC_EN = 1 << 10;
    private static final int EN_MASK = TMR_EN | GBL_EN | PWRBTN_EN | SLPBTN_EN | RTC_EN;

    public static final int SCI_EN = 1 << 0;
    public static final int BM_RLD = 1 << 1;
    public static final int GBL_RLS = 1 << 2;
    public static final int SLP_TYP_SHIFT = 10;
    public static final int SLP_TYP_MASK = 7 << SLP_TYP_SHIFT;
    public static final int SLP_EN = 1 << 13;
    private static final int CNT_RW = BM_RLD | SLP_TYP_MASK;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** TMR_STS is set each time bit 23 of the timer changes: every 2^23 ticks. */
    private static final int CARRY_SHIFT = 23;

    private final VmClock clock;
    private final IrqLine sci;
    private final Runnable powerOff;
    private final Runnable reset;

    private int status;
    private int enable;
    private int control = SCI_EN;
    private int resetControl;
    /** The timer's carry period (ticks >> 23) that TMR_STS has already accounted for. */
    private long carrySeen;
    private boolean sciLevel;

    /**
     * @param clock    VM time; the timer is a pure function of it
     * @param sci      the SCI output, ISA IRQ {@link #SCI_IRQ}, level-triggered
     * @param powerOff called (on the vCPU thread, inside the port write) when the guest enters S5
     * @param reset    called when the guest writes the reset control register with RCPU set
     */
    public AcpiPm(VmClock clock, IrqLine sci, Runnable powerOff, Runnable reset) {
        this.clock = clock;
        this.sci = sci;
        this.powerOff = powerOff;
        this.reset = reset;
    }

    /** Registers 0x600-0x60B and 0xCF9. */
    public void register(IoBus bus) {
        bus.register(BASE, LENGTH, this);
        bus.register(RESET_PORT, 1, this);
    }

    // ---- the PM timer ----

    /** Whole timer ticks since VM time zero, floor(nanos * 3579545 / 10^9), without overflow. */
    public static long ticksAt(long nanos) {
        long seconds = Math.floorDiv(nanos, NANOS_PER_SECOND);
        long rest = Math.floorMod(nanos, NANOS_PER_SECOND);                // < 2^30
        return seconds * TIMER_HZ + rest * TIMER_HZ / NANOS_PER_SECOND;     // rest * HZ < 2^52
    }

    /** The first VM time (nanoseconds) at which at least {@code ticks} ticks have elapsed. */
    public static long nanosForTicks(long ticks) {
        long seconds = Math.floorDiv(ticks, TIMER_HZ);
        long rest = Math.floorMod(ticks, TIMER_HZ);                          // < 2^22
        return seconds * NANOS_PER_SECOND + Math.ceilDiv(rest * NANOS_PER_SECOND, TIMER_HZ);
    }

    /** The 24-bit PM timer value now. */
    public int timer() {
        return (int) (ticksAt(clock.nanos()) & TIMER_MASK);
    }

    // ---- port I/O ----

    @Override
    public int in(int port, int size) {
        if (port == RESET_PORT) {
            return size == 1 ? resetControl : resetControl | (size == 2 ? 0xff00 : 0xffff_ff00);
        }
        long ticks = ticksAt(clock.nanos());
        catchUp(ticks);
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= byteAt(port - BASE + i, ticks) << (8 * i);
        }
        return v;
    }

    private int byteAt(int off, long ticks) {
        int shift = 8 * (off & 1);
        return switch (off) {
            case 0, 1 -> status >>> shift & 0xff;
            case 2, 3 -> enable >>> shift & 0xff;
            case 4, 5 -> control >>> shift & 0xff;
            case 6, 7 -> 0;
            case 8, 9, 10, 11 -> (int) ((ticks & TIMER_MASK) >>> (8 * (off - 8))) & 0xff;
            default -> 0xff;
        };
    }

    @Override
    public void out(int port, int size, int value) {
        if (port == RESET_PORT) {
            resetControl = value & 0xff;
            if ((resetControl & 0x04) != 0) {
                reset.run();
            }
            return;
        }
        long ticks = ticksAt(clock.nanos());
        catchUp(ticks);
        int off = port - BASE;
        // Gather the written bytes per 16-bit register as (value, byte mask) pairs.
        int[] val = new int[3];
        int[] mask = new int[3];
        for (int i = 0; i < size; i++) {
            int o = off + i;
            if (o >= 0 && o < 6) {
                int shift = 8 * (o & 1);
                val[o >> 1] |= ((value >>> (8 * i)) & 0xff) << shift;
                mask[o >> 1] |= 0xff << shift;
            }
        }
        if (mask[0] != 0) {
            int clear = val[0] & mask[0] & STS_MASK;
            status &= ~clear;
            if ((clear & TMR_STS) != 0) {
                carrySeen = ticks >> CARRY_SHIFT;
            }
        }
        if (mask[1] != 0) {
            enable = (enable & ~mask[1]) | (val[1] & mask[1] & EN_MASK);
        }
        boolean sleep = false;
        if (mask[2] != 0) {
            control = (control & ~(mask[2] & CNT_RW)) | (val[2] & mask[2] & CNT_RW) | SCI_EN;
            sleep = (val[2] & mask[2] & SLP_EN) != 0;
        }
        updateSci();
        if (sleep && sleepType() == SLP_TYP_S5) {
            powerOff.run();
        }
    }

    /** The SLP_TYP field of PM1a_CNT. */
    public int sleepType() {
        return (control & SLP_TYP_MASK) >>> SLP_TYP_SHIFT;
    }

    /** Sets TMR_STS if bit 23 of the timer has changed since it was last accounted for. */
    private void catchUp(long ticks) {
        long period = ticks >> CARRY_SHIFT;
        if (period != carrySeen) {
            carrySeen = period;
            status |= TMR_STS;
        }
    }

    private void updateSci() {
        boolean level = (control & SCI_EN) != 0 && (status & enable & EN_MASK) != 0;
        if (level != sciLevel) {
            sciLevel = level;
            sci.set(level);
        }
    }

    /** The host pressed the power button: PWRBTN_STS, and an SCI if the guest enabled it. */
    public void pressPowerButton() {
        catchUp(ticksAt(clock.nanos()));
        status |= PWRBTN_STS;
        updateSci();
    }

    /** Whether the SCI output is high. */
    public boolean sciAsserted() {
        return sciLevel;
    }

    // ---- TimedDevice ----

    @Override
    public void advance(long now) {
        catchUp(ticksAt(now));
        updateSci();
    }

    @Override
    public long nextDeadline() {
        if ((enable & TMR_EN) == 0 || (status & TMR_STS) != 0) {
            return Long.MAX_VALUE;
        }
        return nanosForTicks((carrySeen + 1) << CARRY_SHIFT);
    }

    // ---- snapshot ----

    /**
     * The block's registers. The timer itself is VM time, so it needs no state: restoring
     * with the VM clock at the same value continues it exactly. {@code carrySeen} is the
     * timer carry period (ticks >> 23) already reflected in TMR_STS.
     */
    public record State(int status, int enable, int control, int resetControl, long carrySeen) { }

    public State state() {
        return new State(status, enable, control, resetControl, carrySeen);
    }

    /** Restores the registers and drives the SCI line to the level they imply. */
    public void restore(State s) {
        status = s.status() & STS_MASK;
        enable = s.enable() & EN_MASK;
        control = (s.control() & CNT_RW) | SCI_EN;
        resetControl = s.resetControl() & 0xff;
        carrySeen = s.carrySeen();
        sciLevel = (control & SCI_EN) != 0 && (status & enable & EN_MASK) != 0;
        sci.set(sciLevel);
    }
}
