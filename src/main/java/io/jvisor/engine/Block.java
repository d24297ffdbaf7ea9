package io.jvisor.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A run of decoded instructions that starts at one guest physical address and stays in one page.
 * It ends at an unconditional control transfer; a conditional branch inside it is a side exit
 * (taken, execution leaves the block; not taken, it goes on).
 */
final class Block {
    /** Physical address of the first byte, times two, plus one for 32-bit code. */
    final long key;
    final Insn[] insns;
    /** Bytes covered, from the first byte of the first instruction. */
    final int byteLength;
    /**
     * False once the page it came from was written (self-modifying code). Written with a
     * volatile store ({@link #invalidate}); the dispatcher reads it with acquire semantics
     * ({@link #isValid}), so every vCPU sees it at its next block; translated code reads it as
     * a plain field after its own stores (a vCPU always sees its own writes in program order,
     * and a plain load lets HotSpot keep guest registers in host registers across stores).
     */
    boolean valid = true;
    private static final VarHandle VALID;

    static {
        try {
            VALID = MethodHandles.lookup().findVarHandle(Block.class, "valid", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    boolean isValid() {
        return (boolean) VALID.getAcquire(this);
    }

    void invalidate() {
        VALID.setVolatile(this, false);
    }
    /**
     * Guest instructions per hotness window (2^bits): a block's entry count halves for each
     * window that passes, so code that runs now and then over a long time (a fork's kernel
     * paths, a program's start-up) stays in the interpreter, where it costs less than being
     * translated and compiled, while code hot now reaches the threshold.
     */
    static final int HOT_WINDOW_BITS = Integer.getInteger("jvisor.jit.windowBits", 24);
    /** How often the block has been entered by the interpreter, decayed (the translator's hotness count). */
    long entries;
    /** The hotness window of the last entry (guest instructions {@code >>> HOT_WINDOW_BITS}). */
    private long window;

    /**
     * Counts an entry by the interpreter when the entering vCPU has retired {@code now}
     * instructions; true exactly when the count reaches {@code threshold}. Racy between vCPUs
     * by design: it is a heuristic, and each vCPU's count is close to the others'.
     */
    boolean countEntry(long now, int threshold) {
        long w = now >>> HOT_WINDOW_BITS;
        long age = w - window;
        if (age != 0) {
            window = w;
            entries = age < 0 || age >= 63 ? 0 : entries >>> age;
        }
        return entries++ == threshold;
    }
    /** Its tier-1 code once translated (published by the translator thread), else null. */
    volatile Translation translation;
    /** Set when the block was handed to the translator (vCPU thread; reset on eviction). */
    volatile boolean translationRequested;

    /**
     * Two remembered successors (a loop's taken and fall-through exits), each valid while the
     * CS base, CPL and code size are what they were when recorded and the soft TLB still maps
     * the successor's code page to its physical page: then the next block is known without a
     * code-cache lookup. Each is one immutable object, so vCPUs sharing the block never see
     * half of another's update.
     */
    Link link0, link1;

    /** A remembered successor: {@code target} ran next when EIP was {@code eip} in this mode. */
    record Link(Block target, int eip, int csBase, int mode) { }

    /** Guest physical address of the page the block is in (cacheable blocks only). */
    long physPage() {
        return (key >>> 1) & ~0xfffL;
    }

    Block(long key, Insn[] insns, int byteLength) {
        this.key = key;
        this.insns = insns;
        this.byteLength = byteLength;
    }
}
