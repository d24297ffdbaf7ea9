package io.jvisor.vm;

import io.jvisor.devices.VmClock;

import java.util.function.LongSupplier;

/**
 * Deterministic VM time (DESIGN.md section 5): one nanosecond per guest instruction
 * retired, plus the time skipped while the vCPU was halted. Runs repeat exactly, the TSC
 * and the PIT agree to the tick (so Linux calibrates its TSC against PIT channel 2), and an
 * idle guest costs no host time: a halted vCPU jumps to the next device deadline.
 */
final class DeterministicClock implements VmClock {
    private final LongSupplier instructions;
    private long skipped;

    DeterministicClock(LongSupplier instructions) {
        this.instructions = instructions;
    }

    @Override
    public long nanos() {
        return instructions.getAsLong() + skipped;
    }

    /** Moves time forward to {@code t} (no effect if it is already later). */
    void skipTo(long t) {
        long now = nanos();
        if (t > now) {
            skipped += t - now;
        }
    }
}
