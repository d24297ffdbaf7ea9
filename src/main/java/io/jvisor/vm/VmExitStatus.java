package io.jvisor.vm;

/**
 * How a VM ended: the process exit status jvisor should return and a one-line reason.
 *
 * @param status  0 for a clean end; the debug-exit value (V << 1) | 1; or a jvisor error code
 * @param reason  human-readable reason
 * @param report  multi-line details (registers, instruction bytes) when the VM stopped on an error
 */
public record VmExitStatus(int status, String reason, String report) {
    /** The guest shut the processor down (triple fault) with --no-reboot. */
    public static final int SHUTDOWN = 2;
    /** A host-side error inside the engine stopped this VM. */
    public static final int INTERNAL_ERROR = 3;
    /** The guest halted with interrupts disabled and nothing can wake it. */
    public static final int HUNG = 4;
}
