package io.jvisor.devices;

/**
 * The VM's notion of time, in nanoseconds since the VM was created. Either real (host
 * monotonic time) or deterministic (derived from guest instructions retired, so runs repeat
 * exactly). Devices read it; they never read the host clock themselves.
 */
public interface VmClock {
    long nanos();

    /** Host monotonic time since creation. */
    static VmClock real() {
        long t0 = System.nanoTime();
        return () -> System.nanoTime() - t0;
    }
}
