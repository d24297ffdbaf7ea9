package io.jvisor.cli;

import io.jvisor.cpu.Cpu;
import io.jvisor.cpu.ExitReason;
import io.jvisor.engine.ExecutionEngine;

/** The exit-counter table printed by {@code --stats}, in the spirit of kvm_stat. */
final class StatsTable {
    private StatsTable() { }

    static String render(Cpu cpu, long nanos, ExecutionEngine engine) {
        return render(java.util.List.of(cpu), nanos, engine);
    }

    /** The table for a VM's vCPUs: one column per vCPU and their sum when there are several. */
    static String render(java.util.List<Cpu> cpus, long nanos, ExecutionEngine engine) {
        return render(cpus, nanos, engine.cachedBlocks(), engine.codeCache().invalidations(),
                cpus.get(0).io.unclaimedAccesses());
    }

    /** The engine in use and, for the translator, its counters. */
    static String renderEngine(ExecutionEngine engine) {
        String head = String.format("%-16s %14s%n", "engine", engine.options().name());
        return engine.options().jit() ? head + engine.jitStats().report() : head;
    }

    static String render(Cpu cpu, long nanos, int blocks, long codePagesWritten, long unclaimedPorts) {
        return render(java.util.List.of(cpu), nanos, blocks, codePagesWritten, unclaimedPorts);
    }

    static String render(java.util.List<Cpu> cpus, long nanos, int blocks, long codePagesWritten,
                         long unclaimedPorts) {
        boolean many = cpus.size() > 1;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-16s %14s", "exit reason", "count"));
        if (many) {
            for (int k = 0; k < cpus.size(); k++) {
                sb.append(String.format(" %14s", "vCPU " + k));
            }
        }
        sb.append('\n');
        for (ExitReason r : ExitReason.all()) {
            row(sb, r.name(), cpus, c -> c.exits.get(r));
        }
        sb.append(String.format("%-16s %14d%n", "SMC_INVALIDATE", codePagesWritten));
        double secs = nanos / 1e9;
        row(sb, "instructions", cpus, c -> c.instructions);
        sb.append(String.format("%-16s %14d%n", "decoded blocks", blocks));
        sb.append(String.format("%-16s %14d%n", "unclaimed I/O", unclaimedPorts));
        sb.append(String.format("%-16s %14.3f s%n", "run time", secs));
        long total = cpus.stream().mapToLong(c -> c.instructions).sum();
        if (secs > 0) {
            sb.append(String.format("%-16s %14.1f M/s%n", "speed", total / secs / 1e6));
        }
        return sb.toString();
    }

    /** A counter's sum over the vCPUs and, with several, each vCPU's own value. */
    private static void row(StringBuilder sb, String name, java.util.List<Cpu> cpus,
                            java.util.function.ToLongFunction<Cpu> f) {
        sb.append(String.format("%-16s %14d", name, cpus.stream().mapToLong(f).sum()));
        if (cpus.size() > 1) {
            for (Cpu c : cpus) {
                sb.append(String.format(" %14d", f.applyAsLong(c)));
            }
        }
        sb.append('\n');
    }
}
