package io.jvisor.devices;

/**
 * One interrupt request line into an interrupt controller (an IRQ pin). Devices drive it;
 * the controller decides what the CPU sees. Only the vCPU thread calls it.
 */
public interface IrqLine {
    /** Drives the line high (true) or low (false). Edge-triggered inputs latch a rising edge. */
    void set(boolean high);

    /** A rising then falling edge, as an edge-triggered device (the PIT's OUT0) produces. */
    default void pulse() {
        set(true);
        set(false);
    }

    IrqLine NONE = high -> { };
}
