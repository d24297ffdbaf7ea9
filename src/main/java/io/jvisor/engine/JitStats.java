package io.jvisor.engine;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * Translator counters for {@code --stats}, one set per VM: written by the translator thread
 * and the vCPUs (each vCPU counts its own entries in a {@link Vcpu}), read at any time.
 */
public final class JitStats {
    /** One vCPU's counters, written only by its own thread (no atomics on the hot path). */
    static final class Vcpu {
        /** Entries into translated code. */
        long entries;
        /** Guest instructions retired inside translated code, the interpreted ones among them included. */
        long instructions;
        /** Block transitions that needed a code-cache lookup (no remembered successor held). */
        long lookups;
    }

    private final List<Vcpu> vcpus = new CopyOnWriteArrayList<>();

    final LongAdder queued = new LongAdder();
    final LongAdder translated = new LongAdder();
    final LongAdder bytecodeBytes = new LongAdder();
    /** Blocks translated as part of another block's region (beyond each translation's entry block). */
    final LongAdder chainedBlocks = new LongAdder();
    final LongAdder live = new LongAdder();
    final LongAdder invalidated = new LongAdder();
    final LongAdder evicted = new LongAdder();
    final LongAdder nanos = new LongAdder();
    final LongAdder failures = new LongAdder();
    volatile String lastFailure = "";

    public long translated() {
        return translated.sum();
    }

    public long chainedBlocks() {
        return chainedBlocks.sum();
    }

    Vcpu newVcpu() {
        Vcpu v = new Vcpu();
        vcpus.add(v);
        return v;
    }

    public long entries() {
        return vcpus.stream().mapToLong(v -> v.entries).sum();
    }

    public long translatedInstructions() {
        return vcpus.stream().mapToLong(v -> v.instructions).sum();
    }

    public long lookups() {
        return vcpus.stream().mapToLong(v -> v.lookups).sum();
    }

    public long failures() {
        return failures.sum();
    }

    public String lastFailure() {
        return lastFailure;
    }

    /** One line per counter, in the layout of the {@code --stats} table. */
    public String report() {
        StringBuilder sb = new StringBuilder();
        line(sb, "jit translated", translated.sum());
        line(sb, "jit bytecode B", bytecodeBytes.sum());
        line(sb, "jit chained blk", chainedBlocks.sum());
        line(sb, "jit classes live", live.sum());
        line(sb, "jit entries", entries());
        line(sb, "jit instructions", translatedInstructions());
        line(sb, "jit lookups", lookups());
        line(sb, "jit invalidated", invalidated.sum());
        line(sb, "jit evicted", evicted.sum());
        sb.append(String.format("%-16s %14.1f ms%n", "jit time", nanos.sum() / 1e6));
        line(sb, "jit failures", failures.sum());
        if (!lastFailure.isEmpty()) {
            sb.append("jit last failure: ").append(lastFailure).append(System.lineSeparator());
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, String name, long v) {
        sb.append(String.format("%-16s %14d%n", name, v));
    }
}
