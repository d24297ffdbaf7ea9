package io.jvisor.vm;

import io.jvisor.cpu.Cpu;
import io.jvisor.devices.LocalApic;
import io.jvisor.engine.ExecutionEngine;

import java.util.concurrent.locks.LockSupport;

/**
 * One virtual CPU of a VM: its architectural state ({@link Cpu}), its engine (sharing the
 * VM's code cache), its local APIC and the host thread that runs it. vCPU 0 is the
 * bootstrap processor and runs on the thread that called {@link VirtualMachine#run}; the
 * application processors each get a thread of their own and start in wait-for-SIPI.
 */
final class Vcpu {
    /** At most this many guest instructions run between two device-time updates. */
    static final long SLICE = 200_000;
    /** At least this many run per slice, so device bookkeeping stays a small share of the time. */
    static final long MIN_SLICE = 500;

    final int index;
    final Cpu cpu;
    final ExecutionEngine engine;
    final LocalApic lapic;
    volatile Thread thread;
    /** Measured guest instructions per VM nanosecond (an exponential average), to aim slices at deadlines. */
    private double rate = 0.05;
    /**
     * An application processor after power-on or INIT: it runs nothing until a start-up IPI
     * (SDM 8.4.3, "MP Initialization Protocol Algorithm"). Only this vCPU's thread writes it.
     */
    volatile boolean waitingForSipi;

    Vcpu(int index, Cpu cpu, ExecutionEngine engine, LocalApic lapic) {
        this.index = index;
        this.cpu = cpu;
        this.engine = engine;
        this.lapic = lapic;
        lapic.setPerfMonitor(new LocalApic.PerfMonitor() {
            @Override
            public boolean pollOverflow() {
                return cpu.pmu.pollOverflow(cpu);
            }

            @Override
            public long nextCycleOverflow() {
                return cpu.pmu.nextCycleOverflow();
            }
        });
        if (index != 0) {
            cpu.apicBase &= ~0x100L;   // IA32_APIC_BASE.BSP is set on the bootstrap processor only
            waitingForSipi = true;
        }
    }

    boolean isBsp() {
        return index == 0;
    }

    /** Wakes this vCPU's thread if it sleeps (halted, waiting for a SIPI, or paused). Any thread. */
    void wake() {
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /**
     * Runs guest code until about {@code deadline}, so that a timer interrupt is raised on
     * time rather than once per fixed slice: the instruction budget is the time to the
     * deadline times the measured instruction rate (exactly that on deterministic time).
     */
    ExecutionEngine.Exit runSlice(long now, long deadline, VmClockSource clock, boolean deterministic) {
        long budget = SLICE;
        if (deadline != Long.MAX_VALUE) {
            double r = deterministic ? 1.0 : rate;
            budget = (long) Math.max(MIN_SLICE, Math.min(SLICE, (deadline - now) * r));
        }
        long i0 = cpu.instructions;
        ExecutionEngine.Exit exit = engine.run(budget);
        if (!deterministic) {
            long dt = clock.nanos() - now;
            long di = cpu.instructions - i0;
            if (dt > 0 && di > 0 && exit == ExecutionEngine.Exit.BUDGET) {
                rate = 0.8 * rate + 0.2 * ((double) di / dt);
            }
        }
        return exit;
    }

    /** The VM's time, as the slice arithmetic needs it. */
    interface VmClockSource {
        long nanos();
    }

    /**
     * INIT (SDM 9.1.1 table 9-1, "INIT" column): the processor state of a reset, except that
     * the MSRs (the APIC base, MTRRs, PAT) are kept; the local APIC was reset when the INIT
     * arrived. An application processor then waits for a start-up IPI.
     */
    void init() {
        cpu.reset();
        if (!isBsp()) {
            waitingForSipi = true;
        }
    }

    /**
     * A start-up IPI with vector {@code v} (SDM 8.4.4.1 / 10.6.1): the AP starts executing in
     * real mode at {@code v * 4096}, that is CS = v << 8 with base v << 12 and IP = 0.
     */
    void startAt(int vector) {
        cpu.reset();
        cpu.setSegmentCache(Cpu.CS, vector << 8, vector << 12, 0xffff, 0x9b);
        cpu.eip = 0;
        waitingForSipi = false;
    }
}
