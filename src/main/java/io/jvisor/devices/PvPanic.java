package io.jvisor.devices;

import io.jvisor.memory.IoDevice;

/**
 * QEMU's pvpanic ISA device (docs/specs/pvpanic.rst in QEMU): one I/O port, 0x505. A read
 * returns the events the host understands (bit 0, PANICKED); a write with bit 0 set tells
 * the host that the guest panicked. Linux finds it through the ACPI device "QEMU0001" and
 * writes from its panic notifier.
 */
public final class PvPanic implements IoDevice {
    public static final int PORT = 0x505;
    public static final int PANICKED = 1;

    private final Runnable onPanic;

    public PvPanic(Runnable onPanic) {
        this.onPanic = onPanic;
    }

    @Override
    public int in(int port, int size) {
        return PANICKED;
    }

    @Override
    public void out(int port, int size, int value) {
        if ((value & PANICKED) != 0) {
            onPanic.run();
        }
    }
}
