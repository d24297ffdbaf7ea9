package io.jvisor.cpu;

/** Per-vCPU exit counters, one plain long per reason (only the vCPU thread writes). */
public final class ExitCounters {
    private final long[] counts = new long[ExitReason.all().length];

    public void inc(ExitReason r) {
        counts[r.ordinal()]++;
    }

    public long get(ExitReason r) {
        return counts[r.ordinal()];
    }

    public long[] snapshot() {
        return counts.clone();
    }
}
