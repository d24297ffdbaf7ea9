package io.jvisor.vm;

import io.jvisor.devices.VmClock;

/**
 * A VM clock that stands still while the VM is paused (the monitor's {@code stop}, a
 * debugger), as QEMU's virtual clock does: after {@code cont} the guest sees time go on from
 * where it stopped, not a jump that would fire every timer at once.
 */
final class PausableClock implements VmClock {
    private final VmClock base;
    /** Base time that passed while paused, subtracted from every reading. */
    private volatile long offset;
    /** The VM time at which the clock stopped, or -1 while it runs. */
    private volatile long frozenAt = -1;

    PausableClock(VmClock base) {
        this.base = base;
    }

    @Override
    public long nanos() {
        long f = frozenAt;
        return f >= 0 ? f : base.nanos() - offset;
    }

    synchronized void pause() {
        if (frozenAt < 0) {
            frozenAt = base.nanos() - offset;
        }
    }

    synchronized void resume() {
        long f = frozenAt;
        if (f >= 0) {
            offset = base.nanos() - f;
            frozenAt = -1;
        }
    }
}
