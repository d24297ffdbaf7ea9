package io.jvisor.devices;

import io.jvisor.memory.IoDevice;

import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * System Control Port A at 0x92 ("fast A20 and reset", PS/2 and every PC chipset since):
 * bit 0 fast reset (a 0 to 1 transition resets the CPU), bit 1 A20 gate (1 enables A20),
 * bit 3 CMOS/password lock, bits 6-7 disk activity LEDs; the other bits are kept as written.
 * The register reads back what was written. After reset it is 0 (A20 not forced on by this
 * port; the chipset enables A20 when either this bit or the keyboard controller's output port
 * bit 1 is set, so the VM ORs the two callbacks' values).
 */
public final class PortA92 implements IoDevice {
    public static final int PORT = 0x92;
    public static final int FAST_RESET = 0x01;
    public static final int A20 = 0x02;

    private final Runnable resetHandler;
    private final IntConsumer a20Gate;
    private int value;

    /**
     * @param resetHandler runs when the guest sets bit 0
     * @param a20Gate      receives 1 when bit 1 becomes set and 0 when it is cleared
     */
    public PortA92(Runnable resetHandler, IntConsumer a20Gate) {
        this.resetHandler = Objects.requireNonNull(resetHandler);
        this.a20Gate = Objects.requireNonNull(a20Gate);
    }

    /** Power-on state: all bits clear (the A20 callback runs if bit 1 was set). */
    public void reset() {
        write(0, false);
    }

    public boolean a20Enabled() {
        return (value & A20) != 0;
    }

    @Override
    public int in(int port, int size) {
        return size == 1 ? value : size == 2 ? value | 0xff00 : value | 0xffffff00;
    }

    @Override
    public void out(int port, int size, int v) {
        write(v & 0xff, true);
    }

    private void write(int v, boolean mayReset) {
        int old = value;
        value = v;
        if (((old ^ v) & A20) != 0) {
            a20Gate.accept((v & A20) != 0 ? 1 : 0);
        }
        if (mayReset && (v & FAST_RESET) != 0 && (old & FAST_RESET) == 0) {
            resetHandler.run();
        }
    }

    /** The guest-visible state: the register. */
    public record State(int value) {
    }

    public State state() {
        return new State(value);
    }

    /** Restores the register, running the A20 callback on a change but never the reset. */
    public void restore(State s) {
        write(s.value() & 0xff, false);
    }
}
