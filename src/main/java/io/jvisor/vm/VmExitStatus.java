package io.jvisor.vm;

/**
 * How a VM ended: the process exit status jvisor should return and a one-line reason.
 *
 * @param status  0 for a clean end (power-off, reset); the debug-exit value (V << 1) | 1; or a jvisor error code
 * @param reason  human-readable reason
 * @param report  multi-line details (registers, instruction bytes) when the VM stopped on an error
 * @param reset   the guest asked for a reset (the caller restarts the VM unless told not to)
 */
public record VmExitStatus(int status, String reason, String report, boolean reset) {
    /** The guest shut the processor down (triple fault) and no reboot was wanted. */
    public static final int SHUTDOWN = 2;
    /** A host-side error inside the engine stopped this VM. */
    public static final int INTERNAL_ERROR = 3;
    /** The guest halted with interrupts disabled: nothing can wake it. */
    public static final int HUNG = 4;

    public VmExitStatus(int status, String reason, String report) {
        this(status, reason, report, false);
    }
}
