package io.jvisor.devices;

import io.jvisor.memory.MmioHandler;

import java.util.function.IntFunction;

/**
 * The High Precision Event Timer (IA-PC HPET specification 1.0a), as QEMU's PC has it: a
 * 64-bit main counter at {@link #PERIOD_FS} femtoseconds per tick (100 MHz) and
 * {@link #TIMERS} comparators, each one-shot or periodic, 64- or 32-bit, edge or level, routed
 * to an I/O APIC pin (from {@link #ROUTE_CAP}) or, in legacy replacement mode, timer 0 to
 * IRQ 0 and timer 1 to IRQ 8 (the PIT's and the RTC's lines).
 *
 * <p>The counter is a function of VM time: while enabled it reads
 * {@code base + (now - enabledAt) / 10 ns}. Registers are 64 bits wide and may be read and
 * written as two 32-bit halves.
 */
public final class Hpet implements MmioHandler, TimedDevice {
    public static final long DEFAULT_BASE = 0xfed0_0000L;
    public static final int TIMERS = 3;
    public static final long PERIOD_FS = 10_000_000L;
    private static final long NANOS_PER_TICK = PERIOD_FS / 1_000_000L;
    /** I/O APIC pins a timer may be routed to (bits of Tn_INT_ROUTE_CAP): 20-23. */
    public static final int ROUTE_CAP = 0x00f0_0000;

    public static final int GCAP_ID = 0x000, GEN_CONF = 0x010, GINTR_STA = 0x020, MAIN_CNT = 0x0f0, TIMER0 = 0x100;
    public static final long ENABLE = 1, LEGACY = 2;
    // Tn_CONF_CAP bits
    public static final long TN_LEVEL = 1 << 1, TN_ENABLE = 1 << 2, TN_PERIODIC = 1 << 3, TN_PERIODIC_CAP = 1 << 4,
            TN_SIZE_CAP = 1 << 5, TN_VAL_SET = 1 << 6, TN_32BIT = 1 << 8, TN_ROUTE_SHIFT = 9, TN_ROUTE_MASK = 0x1f << 9,
            TN_FSB_EN = 1 << 14;
    private static final long TN_WRITABLE = TN_LEVEL | TN_ENABLE | TN_PERIODIC | TN_VAL_SET | TN_32BIT | TN_ROUTE_MASK;

    private final VmClock clock;
    /** I/O APIC pin n as a line (the platform wires it; legacy IRQs 0 and 8 go to both controllers). */
    private final IntFunction<IrqLine> ioapicPin;
    private final IrqLine legacyIrq0;
    private final IrqLine legacyIrq8;

    private long config;
    private long status;
    /** The counter's value when it was last stopped or set, and the VM time it then started from. */
    private long counterBase;
    private long enabledAt;
    private final long[] timerConfig = new long[TIMERS];
    private final long[] comparator = new long[TIMERS];
    private final long[] period = new long[TIMERS];
    /** The level each timer's output drives now (level mode: until its status bit is cleared). */
    private final boolean[] output = new boolean[TIMERS];

    public Hpet(VmClock clock, IntFunction<IrqLine> ioapicPin, IrqLine legacyIrq0, IrqLine legacyIrq8) {
        this.clock = clock;
        this.ioapicPin = ioapicPin;
        this.legacyIrq0 = legacyIrq0;
        this.legacyIrq8 = legacyIrq8;
        for (int n = 0; n < TIMERS; n++) {
            // timer 0 can be periodic (as on PCs); all are 64-bit capable
            timerConfig[n] = (n == 0 ? TN_PERIODIC_CAP : 0) | TN_SIZE_CAP | (long) ROUTE_CAP << 32;
            comparator[n] = -1L;
        }
    }

    /** GCAP_ID: revision 1, TIMERS-1, 64-bit counter, legacy replacement capable, vendor 8086, the period. */
    public static long capabilities() {
        return 1 | (long) (TIMERS - 1) << 8 | 1L << 13 | 1L << 15 | 0x8086L << 16 | PERIOD_FS << 32;
    }

    private boolean enabled() {
        return (config & ENABLE) != 0;
    }

    /** True while legacy replacement routes timers 0 and 1 to IRQ 0 and 8 (the PIT's and RTC's lines are cut). */
    public synchronized boolean legacyReplacement() {
        return (config & LEGACY) != 0;
    }

    /** The main counter at VM time {@code now}. */
    public synchronized long counter(long now) {
        return enabled() ? counterBase + Math.max(0, now - enabledAt) / NANOS_PER_TICK : counterBase;
    }

    @Override
    public synchronized int read(long offset, int size) {
        int off = (int) offset & 0x3ff;
        long v = register(off & ~7);
        int shift = (off & 7) * 8;
        long r = v >>> shift;
        return (int) (size == 4 ? r : size == 2 ? r & 0xffff : size == 1 ? r & 0xff : r);
    }

    private long register(int off) {
        long now = clock.nanos();
        if (off >= TIMER0 && off < TIMER0 + 0x20 * TIMERS) {
            int n = (off - TIMER0) / 0x20;
            return switch ((off - TIMER0) % 0x20) {
                case 0x00 -> timerConfig[n];
                case 0x08 -> (timerConfig[n] & TN_32BIT) != 0 ? comparator[n] & 0xffff_ffffL : comparator[n];
                default -> 0;
            };
        }
        return switch (off) {
            case GCAP_ID -> capabilities();
            case GEN_CONF -> config;
            case GINTR_STA -> status;
            case MAIN_CNT -> counter(now);
            default -> 0;
        };
    }

    @Override
    public synchronized void write(long offset, int size, int value) {
        int off = (int) offset & 0x3ff;
        int reg = off & ~7;
        long old = register(reg);
        long v;
        if (size == 4 && (off & 4) != 0) {
            v = (old & 0xffff_ffffL) | (long) value << 32;
        } else if (size == 4) {
            v = (old & ~0xffff_ffffL) | (value & 0xffff_ffffL);
        } else {
            return;   // the specification allows 32- and 64-bit accesses only
        }
        long now = clock.nanos();
        if (reg >= TIMER0 && reg < TIMER0 + 0x20 * TIMERS) {
            writeTimer((reg - TIMER0) / 0x20, (reg - TIMER0) % 0x20, v, now);
        } else {
            switch (reg) {
                case GEN_CONF -> {
                    boolean was = enabled();
                    long before = counter(now);
                    config = v & (ENABLE | LEGACY);
                    if (was != enabled()) {
                        counterBase = before;
                        enabledAt = now;
                    }
                    drive(now);
                }
                case GINTR_STA -> {
                    // writing one clears a level-triggered timer's status, and its line
                    long clear = (value & 0xffff_ffffL) & ((1L << TIMERS) - 1);
                    if ((off & 4) == 0) {
                        status &= ~clear;
                        for (int n = 0; n < TIMERS; n++) {
                            if ((clear >>> n & 1) != 0) {
                                output[n] = false;
                            }
                        }
                        drive(now);
                    }
                }
                case MAIN_CNT -> {
                    if (!enabled()) {
                        counterBase = v;   // writable only while halted
                    }
                }
                default -> { }
            }
        }
    }

    private void writeTimer(int n, int reg, long v, long now) {
        if (reg == 0x00) {
            long was = timerConfig[n];
            long w = v & TN_WRITABLE;
            if (n != 0) {
                w &= ~TN_PERIODIC;   // only timer 0 can be periodic
            }
            int route = (int) ((w & TN_ROUTE_MASK) >>> TN_ROUTE_SHIFT);
            if ((ROUTE_CAP >>> route & 1) == 0) {
                w = (w & ~TN_ROUTE_MASK) | (was & TN_ROUTE_MASK);   // an unsupported route is not taken
            }
            timerConfig[n] = (was & ~TN_WRITABLE) | w;
            if ((w & TN_LEVEL) == 0 || (w & TN_ENABLE) == 0) {
                output[n] = false;
            }
            drive(now);
        } else if (reg == 0x08) {
            armed[n] = true;
            long c = (timerConfig[n] & TN_32BIT) != 0 ? v & 0xffff_ffffL : v;
            if ((timerConfig[n] & TN_PERIODIC) != 0 && (timerConfig[n] & TN_VAL_SET) != 0) {
                comparator[n] = c;   // VAL_SET: this write sets the comparator; the period is set too
                period[n] = c;
                timerConfig[n] &= ~TN_VAL_SET;
            } else if ((timerConfig[n] & TN_PERIODIC) != 0) {
                period[n] = c;       // without VAL_SET a periodic timer's comparator write sets the period
            } else {
                comparator[n] = c;
            }
        }
    }

    /** Drives every timer's line: level outputs while their status bit is set. */
    private void drive(long now) {
        for (int n = 0; n < TIMERS; n++) {
            IrqLine line = line(n);
            if (line != null && (timerConfig[n] & TN_LEVEL) != 0) {
                line.set(output[n] && (timerConfig[n] & TN_ENABLE) != 0);
            }
        }
    }

    private IrqLine line(int n) {
        if ((config & LEGACY) != 0 && n < 2) {
            return n == 0 ? legacyIrq0 : legacyIrq8;
        }
        return ioapicPin.apply((int) ((timerConfig[n] & TN_ROUTE_MASK) >>> TN_ROUTE_SHIFT));
    }

    private void fire(int n) {
        IrqLine line = line(n);
        if ((timerConfig[n] & TN_LEVEL) != 0) {
            status |= 1L << n;
            output[n] = true;
            if (line != null) {
                line.set(true);
            }
        } else if (line != null) {
            line.pulse();
        }
    }

    /** A comparator matches when the counter reaches it (within half the range in 32-bit mode). */
    private boolean reached(int n, long count) {
        if ((timerConfig[n] & TN_32BIT) != 0) {
            return (int) count - (int) comparator[n] >= 0;
        }
        return Long.compareUnsigned(count, comparator[n]) >= 0;
    }

    @Override
    public synchronized void advance(long now) {
        if (!enabled()) {
            return;
        }
        long count = counter(now);
        for (int n = 0; n < TIMERS; n++) {
            if ((timerConfig[n] & TN_ENABLE) == 0 || !armed[n] || !reached(n, count)) {
                continue;
            }
            fire(n);
            if ((timerConfig[n] & TN_PERIODIC) != 0 && period[n] != 0) {
                // the next multiple of the period past now; missed periods collapse into this one
                long behind = (timerConfig[n] & TN_32BIT) != 0 ? ((int) count - (int) comparator[n]) & 0xffff_ffffL
                        : count - comparator[n];
                comparator[n] += (behind / period[n] + 1) * period[n];
                if ((timerConfig[n] & TN_32BIT) != 0) {
                    comparator[n] &= 0xffff_ffffL;
                }
            } else {
                armed[n] = false;   // one-shot: fires once, until the comparator is written again
            }
        }
    }

    /** A timer fires when the counter reaches its comparator; cleared after a one-shot fires. */
    private final boolean[] armed = new boolean[TIMERS];

    @Override
    public synchronized long nextDeadline() {
        if (!enabled()) {
            return Long.MAX_VALUE;
        }
        long now = clock.nanos();
        long count = counter(now);
        long best = Long.MAX_VALUE;
        for (int n = 0; n < TIMERS; n++) {
            if ((timerConfig[n] & TN_ENABLE) == 0 || !armed[n]) {
                continue;
            }
            long ahead = (timerConfig[n] & TN_32BIT) != 0 ? ((int) comparator[n] - (int) count)
                    : comparator[n] - count;
            best = Math.min(best, now + Math.max(0, ahead) * NANOS_PER_TICK);
        }
        return best;
    }
}
