package io.jvisor.cpu;

/**
 * Architectural performance monitoring, version 1 (SDM Vol. 3 "Architectural Performance
 * Monitoring Version 1"), as the Core 2 of {@link CpuId} reports it in CPUID leaf 0AH: two
 * 40-bit counters IA32_PMC0/1 (MSRs 0xC1, 0xC2) programmed by IA32_PERFEVTSEL0/1 (0x186,
 * 0x187), each enabled by its own EN bit (22). A write to a counter sets its low 32 bits
 * and sign-extends bit 31 into bits 39:32.
 *
 * <p>Two events count: unhalted core cycles (0x3C, and the P6 encoding 0x79; at the 1 GHz
 * TSC rate) and instructions retired (0xC0). Other events and the USR/OS and edge/threshold
 * qualifiers are not modelled: such counters keep their value. RDPMC reads the same values.
 *
 * <p>A counting counter with the INT bit (20) set raises the local APIC's performance-counter
 * interrupt when it wraps past 2^40 (SDM 18.x "Generating an Interrupt on Overflow"): the
 * APIC asks {@link #pollOverflow} when it updates its timers, and for cycle counters
 * {@link #nextCycleOverflow} says when to look, so the interrupt comes on time (Linux's NMI
 * watchdog). An instructions-retired overflow is seen at the next such update, a few
 * thousand instructions late at most (hardware has skid too).
 */
public final class PerfCounters {
    public static final int PERFCTR0 = 0xc1, PERFCTR1 = 0xc2, PERFEVTSEL0 = 0x186, PERFEVTSEL1 = 0x187;
    public static final int EVENT_INST_RETIRED = 0xc0, EVENT_CPU_CLK_UNHALTED = 0x79, EVENT_CORE_CYCLES = 0x3c;
    /** General-purpose counters (CPUID.0AH:EAX[15:8]). */
    public static final int COUNTERS = 2;
    public static final long ENABLE = 1L << 22;
    /** PERFEVTSEL.INT: an overflow of this counter interrupts through the LVT PMC entry. */
    public static final long INT = 1L << 20;
    static final long MASK40 = (1L << 40) - 1;
    /** PERFEVTSEL bits that exist: event, unit mask, USR, OS, E, PC, INT, EN, INV, CMASK (bit 21 is reserved). */
    private static final long EVTSEL_WRITABLE = 0xffdf_ffffL;

    private final long[] select = new long[2];
    private final long[] value = new long[2];
    /** The event source's reading when {@link #value} was last set, for a running counter. */
    private final long[] since = new long[2];
    /** The event source's reading at which counter n next wraps with INT set, or Long.MAX_VALUE. */
    private final long[] overflowAt = {Long.MAX_VALUE, Long.MAX_VALUE};

    public static boolean isPmuMsr(int msr) {
        return msr == PERFCTR0 || msr == PERFCTR1 || msr == PERFEVTSEL0 || msr == PERFEVTSEL1;
    }

    private boolean enabled(int n) {
        return (select[n] & ENABLE) != 0;
    }

    /** The current reading of counter n's event, or -1 if the event does not count. */
    private static long source(Cpu c, long select) {
        return switch ((int) select & 0xff) {
            case EVENT_INST_RETIRED -> c.instructions;
            case EVENT_CPU_CLK_UNHALTED, EVENT_CORE_CYCLES -> c.tsc();
            default -> -1;
        };
    }

    /** Counter n's 40-bit value now. */
    public long counter(Cpu c, int n) {
        long s = enabled(n) ? source(c, select[n]) : -1;
        return s < 0 ? value[n] : (value[n] + s - since[n]) & MASK40;
    }

    /** Freezes both counters' values as they stand (before their programming changes). */
    private void settle(Cpu c) {
        for (int n = 0; n < 2; n++) {
            value[n] = counter(c, n);
        }
        restart(c);
    }

    /** Both counters count on from their settled values under the (new) programming. */
    private void restart(Cpu c) {
        for (int n = 0; n < 2; n++) {
            long s = source(c, select[n]);
            since[n] = s < 0 ? 0 : s;
            arm(c, n);
        }
    }

    /** Where counter n, as just settled, next wraps with its interrupt enabled. */
    private void arm(Cpu c, int n) {
        boolean interrupts = enabled(n) && (select[n] & INT) != 0 && source(c, select[n]) >= 0;
        overflowAt[n] = interrupts ? since[n] + (MASK40 + 1 - value[n]) : Long.MAX_VALUE;
    }

    /**
     * True if a counter with INT set has wrapped since the last call (then its next wrap,
     * 2^40 events on, is what counts next). Call on the vCPU's thread.
     */
    public boolean pollOverflow(Cpu c) {
        boolean any = false;
        for (int n = 0; n < 2; n++) {
            if (overflowAt[n] != Long.MAX_VALUE && source(c, select[n]) >= overflowAt[n]) {
                overflowAt[n] += MASK40 + 1;
                any = true;
            }
        }
        return any;
    }

    /** The TSC value at which a cycle counter with INT set next wraps, or Long.MAX_VALUE. */
    public long nextCycleOverflow() {
        long t = Long.MAX_VALUE;
        for (int n = 0; n < 2; n++) {
            int event = (int) select[n] & 0xff;
            if (event == EVENT_CPU_CLK_UNHALTED || event == EVENT_CORE_CYCLES) {
                t = Math.min(t, overflowAt[n]);
            }
        }
        return t;
    }

    public long read(Cpu c, int msr) {
        return switch (msr) {
            case PERFCTR0 -> counter(c, 0);
            case PERFCTR1 -> counter(c, 1);
            case PERFEVTSEL0 -> select[0];
            default -> select[1];
        };
    }

    /** WRMSR; false for reserved bits (#GP). */
    public boolean write(Cpu c, int msr, long v) {
        switch (msr) {
            case PERFCTR0, PERFCTR1 -> {
                settle(c);
                value[msr - PERFCTR0] = (long) (int) v & MASK40;   // bit 31 sign-extends into 39:32
                arm(c, msr - PERFCTR0);
            }
            default -> {
                int n = msr - PERFEVTSEL0;
                if ((v & ~EVTSEL_WRITABLE) != 0) {
                    return false;
                }
                settle(c);
                select[n] = v;
                restart(c);
            }
        }
        return true;
    }
}
