package io.jvisor.engine;

import io.jvisor.cpu.Cpu;

/**
 * A block translated to JVM bytecode (tier 1). Each translation is a hidden class made by
 * {@link BlockTranslator}, unloadable once its block drops it.
 *
 * <p>The contract matches one pass of the interpreter over the block: on entry {@code c.eip}
 * is the block's first instruction; on a normal return it is the next EIP and the result is
 * the number of instructions retired in the last pass (a block that loops on itself adds
 * the earlier passes to {@code c.instructions} as it goes and stops looping once
 * {@code c.instructions} reaches {@code stopAt}). A guest fault leaves as a
 * {@link io.jvisor.cpu.Fault} with {@code c.eip} at the faulting instruction, every
 * register and flag as that instruction found them, and {@code c.instructions} counting
 * exactly the instructions retired before it.
 *
 * <p>A translation may cover a region of several blocks of one page (jumps between them are
 * gotos); {@link #lowOff} and {@link #highEnd} bound its bytes relative to the entry EIP.
 */
abstract class Translation {
    /** Segments ({@link Cpu#flatSegs} bits) the code assumes flat; checked before each entry. */
    int flatNeeded;
    /** For a fault at region instruction k: how many instructions before it in its pass were not counted yet. */
    int[] faultDelta;
    /** For a fault at region instruction k: its EIP less the entry EIP, unless it stored EIP itself before running. */
    int[] faultEip;
    /**
     * For a fault at region instruction k: the flags it found still deferred in the
     * method's locals, or 0 when they were all recorded in the CPU: bits 0-7 a producer
     * ({@link io.jvisor.cpu.Alu} operation &lt;&lt; 4 | size), bits 8-15 a rotate after it
     * ({@link io.jvisor.cpu.Shifts} kind + 1, size &lt;&lt; 4) or an INC (9) or DEC (10) after it.
     */
    int[] faultFlags;
    /** The region's decoded instructions in emission order (those the interpreter runs are loaded from here). */
    Insn[] insns;
    /** Byte extent of the region from the entry EIP: [lowOff, highEnd), lowOff <= 0. */
    int lowOff, highEnd;
    /** Blocks in the region. */
    int blocks;
    /** Size of the generated class file, for the statistics. */
    int bytecodeBytes;

    /**
     * The fault handler's flag recovery: records in the CPU the flags the faulting
     * instruction found deferred ({@link #faultFlags} entry {@code code}): a producer's
     * operands {@code a}, {@code b}, then a rotate's result or an INC/DEC's operand {@code r}.
     */
    static void settleDeferred(Cpu c, int code, int a, int b, int r) {
        if ((code & 0xff) != 0) {
            io.jvisor.cpu.Alu.settle(c, (code >> 4) & 0xf, code & 0xf, a, b);
        }
        int modifier = ((code >> 8) & 0xf) - 1, size = (code >> 12) & 0xf;
        if (modifier == 8) {
            io.jvisor.cpu.Alu.inc(c, size, r);
        } else if (modifier == 9) {
            io.jvisor.cpu.Alu.dec(c, size, r);
        } else if (modifier >= 0) {
            io.jvisor.cpu.Shifts.rotateFlags(c, modifier, size, r);
        }
    }

    abstract int run(Cpu c, Interpreter interp, Block b, long stopAt);
}
