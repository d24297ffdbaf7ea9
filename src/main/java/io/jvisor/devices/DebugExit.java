package io.jvisor.devices;

import io.jvisor.memory.IoDevice;

import java.util.function.IntConsumer;

/**
 * The test exit device at port 0xf4, as QEMU's isa-debug-exit: a write of V ends the VM
 * with exit status (V << 1) | 1, so a guest test can report PASS/FAIL to the host.
 */
public final class DebugExit implements IoDevice {
    public static final int PORT = 0xf4;
    private final IntConsumer onExit;

    /** {@code onExit} receives the exit status the VM should end with. */
    public DebugExit(IntConsumer onExit) {
        this.onExit = onExit;
    }

    @Override
    public int in(int port, int size) {
        return size == 1 ? 0xff : size == 2 ? 0xffff : -1;
    }

    @Override
    public void out(int port, int size, int value) {
        int v = size == 1 ? value & 0xff : size == 2 ? value & 0xffff : value;
        onExit.accept((v << 1) | 1);
    }
}
