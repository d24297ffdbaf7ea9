package io.jvisor.devices;

/**
 * A device with its own sense of time (timers, the RTC, UART timeouts). The VM calls
 * {@link #advance} between guest instruction slices and when a halted vCPU wakes, always on
 * the vCPU thread, with the current {@link VmClock} time; the device raises its interrupt
 * lines for whatever happened up to then.
 */
public interface TimedDevice {
    /** Brings the device up to time {@code now} (VM nanoseconds). */
    void advance(long now);

    /** The next VM time at which the device will do something on its own, or Long.MAX_VALUE. */
    long nextDeadline();
}
