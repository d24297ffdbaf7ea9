package io.jvisor.vm;

/**
 * How a VM ended: the process exit status jvisor should return and a one-line reason.
 *
 * <p>The statuses form one table, used by every path. A guest can produce only odd statuses
 * ((V << 1) | 1 through the debug-exit port, as in QEMU), so jvisor's own are even, except
 * {@link #BAD_INPUT}, which is QEMU's status for a refused command line and is returned
 * before any guest code has run.
 *
 * @param status  one of the constants below, or the debug-exit value (V << 1) | 1
 * @param reason  human-readable reason
 * @param report  multi-line details (registers, instruction bytes) when the VM stopped on an error
 * @param reset   the guest asked for a reset (the caller restarts the VM unless told not to)
 */
public record VmExitStatus(int status, String reason, String report, boolean reset) {
    /** A clean end: the guest powered off, or reset under --no-reboot, or the operator quit. */
    public static final int CLEAN = 0;
    /** Bad input (command line, kernel, ROM, initrd), refused before anything ran. */
    public static final int BAD_INPUT = 1;
    /** The guest shut the processor down (triple fault) and no reboot was wanted. */
    public static final int SHUTDOWN = 2;
    /** The guest halted with interrupts disabled: nothing can wake it. */
    public static final int HUNG = 4;
    /** The guest kernel panicked (its panic message reached the console, or it wrote to the pvpanic port). */
    public static final int PANIC = 6;
    /** The guest reset again and again, each time within its first instructions. */
    public static final int RESET_LOOP = 8;
    /** A host-side error inside jvisor stopped this VM. */
    public static final int INTERNAL_ERROR = 10;
    /** The VM was ended by a signal (SIGINT, SIGTERM, SIGHUP). */
    public static final int SIGNALLED = 12;

    public VmExitStatus(int status, String reason, String report) {
        this(status, reason, report, false);
    }

    /** True for the statuses that mean the VM did not end as the guest wanted (worth a message). */
    public boolean abnormal() {
        return status == SHUTDOWN || status == HUNG || status == PANIC || status == RESET_LOOP
                || status == INTERNAL_ERROR || status == SIGNALLED;
    }
}
