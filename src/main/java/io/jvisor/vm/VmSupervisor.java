package io.jvisor.vm;

import io.jvisor.boot.BootException;

import java.io.OutputStream;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Runs one configured VM to its end, as a PC's power cycle does: a guest reset builds the VM
 * afresh from the same configuration (unless {@link VmConfig#noReboot()}), and everything
 * outside the VM (the console, the monitor, signal handlers) stays attached to the
 * supervisor across resets.
 *
 * <p>A guest that resets again and again, each time within its first
 * {@link #RESET_LOOP_INSTRUCTIONS} instructions (a kernel that cannot run on this machine, a
 * ROM that triple-faults), is stopped after {@link #RESET_LOOP_COUNT} such resets with
 * {@link VmExitStatus#RESET_LOOP} instead of looping silently forever.
 */
public final class VmSupervisor {
    public static final int RESET_LOOP_COUNT = 5;
    public static final long RESET_LOOP_INSTRUCTIONS = 50_000_000L;

    /** What happens to each VM the supervisor builds (called on the supervisor's thread). */
    public interface Listener {
        /** A VM was built and is about to run; {@code boot} counts from 1. */
        default void started(VirtualMachine vm, int boot) {
        }

        /** A VM ended (before a restart, or for good). */
        default void ended(VirtualMachine vm, VmExitStatus status, long runNanos) {
        }
    }

    private final VmConfig config;
    private final OutputStream stdout;
    private final Consumer<String> log;
    private final java.util.List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile VirtualMachine current;
    /** -S: the first VM starts paused, waiting for the monitor's cont or a debugger. */
    private volatile boolean startPaused;
    /** -no-shutdown: a guest power-off leaves the process waiting for the operator. */
    private volatile boolean holdOnPowerOff;
    /** The operator asked for a new boot while the VM was held after power-off (system_reset). */
    private boolean restartHeld;
    private volatile boolean held;
    private volatile boolean finished;
    private volatile int stopStatus = -1;
    private volatile String stopReason;

    public VmSupervisor(VmConfig config, OutputStream stdout, Consumer<String> log, Listener listener) {
        this.config = Objects.requireNonNull(config);
        this.stdout = Objects.requireNonNull(stdout);
        this.log = Objects.requireNonNull(log);
        this.listeners.add(Objects.requireNonNull(listener));
    }

    /** Adds a listener (a debugger that must follow the VM across resets). */
    public void addListener(Listener l) {
        listeners.add(Objects.requireNonNull(l));
    }

    /** The first VM starts paused (QEMU's -S). */
    public void startPaused(boolean on) {
        startPaused = on;
    }

    /** A guest power-off holds the process until the operator quits or resets (QEMU's -no-shutdown). */
    public void holdOnPowerOff(boolean on) {
        holdOnPowerOff = on;
    }

    /** True while a powered-off VM is held for the operator (-no-shutdown). */
    public boolean held() {
        return held;
    }

    /**
     * The operator's reset (system_reset): the running VM resets as if the guest had asked; a
     * VM held after power-off boots again.
     */
    public void reset(String reason) {
        synchronized (this) {
            if (held) {
                restartHeld = true;
                notifyAll();
                return;
            }
        }
        VirtualMachine vm = current;
        if (vm != null) {
            vm.requestReset(reason);
        }
    }

    /** The VM running now, or null between VMs and after the end. */
    public VirtualMachine current() {
        return current;
    }

    /**
     * The VM running now, waiting up to {@code millis} for one while the run goes on (a VM
     * being built, or rebuilt after a reset); null if there is none by then.
     */
    public VirtualMachine awaitCurrent(long millis) {
        long end = System.nanoTime() + millis * 1_000_000L;
        VirtualMachine vm;
        while ((vm = current) == null && !finished && !held && System.nanoTime() < end) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return vm;
    }

    /** True once {@link #run()} has returned. */
    public boolean finished() {
        return finished;
    }

    /**
     * Ends the supervised run from any thread: the running VM stops within a bounded number of
     * instructions and no new one is built. The status is a {@link VmExitStatus} constant.
     */
    public void stop(int status, String reason) {
        synchronized (this) {
            if (stopStatus < 0) {
                stopStatus = status;
                stopReason = reason;
            }
            notifyAll();
        }
        VirtualMachine vm = current;
        if (vm != null) {
            vm.stop(status, reason);
        }
    }

    /**
     * Builds and runs VMs until one ends for good; returns how. The first build's bad input
     * is thrown before anything ran; a later build that fails (an image changed on disk
     * between resets) ends the run with {@link VmExitStatus#BAD_INPUT}.
     */
    public VmExitStatus run() throws BootException {
        try {
            return runVms();
        } finally {
            finished = true;
        }
    }

    private VmExitStatus runVms() throws BootException {
        int quickResets = 0;
        for (int boot = 1; ; boot++) {
            VirtualMachine vm;
            try {
                vm = VirtualMachine.create(config, stdout, log);
            } catch (BootException e) {
                if (boot == 1) {
                    throw e;
                }
                return new VmExitStatus(VmExitStatus.BAD_INPUT, "cannot restart the VM: " + e.getMessage(), "");
            }
            VmExitStatus st;
            long t0 = System.nanoTime();
            try (vm) {
                synchronized (this) {
                    current = vm;
                    if (stopStatus >= 0) {
                        vm.stop(stopStatus, stopReason);
                    }
                }
                if (boot == 1 && startPaused) {
                    vm.pause();
                }
                for (Listener l : listeners) {
                    l.started(vm, boot);
                }
                st = vm.run();
                current = null;
                for (Listener l : listeners) {
                    l.ended(vm, st, System.nanoTime() - t0);
                }
            } finally {
                current = null;
            }
            if (!st.reset() && holdOnPowerOff && stopStatus < 0 && st.status() == VmExitStatus.CLEAN) {
                if (awaitOperator()) {
                    quickResets = 0;
                    continue;
                }
                return new VmExitStatus(stopStatus, stopReason, "");
            }
            if (!st.reset() || stopStatus >= 0) {
                return st;
            }
            quickResets = vm.cpu().instructions < RESET_LOOP_INSTRUCTIONS ? quickResets + 1 : 0;
            if (quickResets >= RESET_LOOP_COUNT) {
                return new VmExitStatus(VmExitStatus.RESET_LOOP, String.format(
                        "reset loop: the guest reset %d times in a row, each within its first %,d instructions (%s)",
                        quickResets, RESET_LOOP_INSTRUCTIONS, st.reason()), "");
            }
            log.accept(st.reason() + "; restarting the VM");
        }
    }

    /** Holds a powered-off VM until the operator resets it (true) or ends the run (false). */
    private synchronized boolean awaitOperator() {
        held = true;
        try {
            while (!restartHeld && stopStatus < 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            boolean again = restartHeld && stopStatus < 0;
            restartHeld = false;
            return again;
        } finally {
            held = false;
        }
    }
}
