package io.jvisor.cli;

import io.jvisor.cpu.Cpu;
import io.jvisor.cpu.ExitReason;
import io.jvisor.engine.ExecutionEngine;

/** The exit-counter table printed by {@code --stats}, in the spirit of kvm_stat. */
final class StatsTable {
    private StatsTable() { }

    static String render(Cpu cpu, long nanos, ExecutionEngine engine) {
        return render(cpu, nanos, engine.cachedBlocks(), engine.codeCache().invalidations(), cpu.io.unclaimedAccesses());
    }

    /** The engine in use and, for the translator, its counters. */
    static String renderEngine(ExecutionEngine engine) {
        String head = String.format("%-16s %14s%n", "engine", engine.options().name());
        return engine.options().jit() ? head + engine.jitStats().report() : head;
    }

    static String render(Cpu cpu, long nanos, int blocks, long codePagesWritten, long unclaimedPorts) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-16s %14s%n", "exit reason", "count"));
        for (ExitReason r : ExitReason.all()) {
            sb.append(String.format("%-16s %14d%n", r.name(), cpu.exits.get(r)));
        }
        sb.append(String.format("%-16s %14d%n", "SMC_INVALIDATE", codePagesWritten));
        double secs = nanos / 1e9;
        sb.append(String.format("%-16s %14d%n", "instructions", cpu.instructions));
        sb.append(String.format("%-16s %14d%n", "decoded blocks", blocks));
        sb.append(String.format("%-16s %14d%n", "unclaimed I/O", unclaimedPorts));
        sb.append(String.format("%-16s %14.3f s%n", "run time", secs));
        if (secs > 0) {
            sb.append(String.format("%-16s %14.1f M/s%n", "speed", cpu.instructions / secs / 1e6));
        }
        return sb.toString();
    }
}
