package io.jvisor.engine;

import io.jvisor.cpu.Cpu;
import io.jvisor.cpu.ExitReason;
import io.jvisor.cpu.Fault;
import io.jvisor.cpu.Flags;
import io.jvisor.cpu.InterruptDelivery;
import io.jvisor.cpu.TripleFault;

/**
 * Runs one vCPU: looks up decoded blocks, executes them with the {@link Interpreter},
 * delivers guest exceptions and external interrupts at instruction boundaries, and returns
 * to the VM when the guest halts, shuts down, or the VM asks it to stop. A host exception
 * inside the engine stops this VM with a report and never propagates to the host.
 */
public final class ExecutionEngine {
    /** Why {@link #run} returned. */
    public enum Exit {
        /** hlt: waiting for an interrupt. */
        HALTED,
        /** Triple fault: the processor shut down. */
        SHUTDOWN,
        /** {@link #requestStop()} was called (a device, the operator, or the exit port). */
        STOPPED,
        /** The instruction budget given to {@link #run} is used up. */
        BUDGET,
        /** A host-side error in the engine; see {@link #report()}. */
        INTERNAL_ERROR,
        /**
         * A host debugger's breakpoint (before the instruction at it runs) or watchpoint
         * (after the instruction that made the access) was hit; see {@link Cpu#hostWatchHit}.
         */
        DEBUG
    }

    /** Linear addresses of a host debugger's breakpoints (the gdb stub), invisible to the guest. */
    private int[] hostBreakpoints = new int[0];
    /** A breakpoint address to pass over once (resuming from the breakpoint just reported), or null. */
    private Integer passOnce;
    /** While a host debugger steps: no external interrupt is delivered (QEMU's default for gdb steps). */
    private boolean maskExternal;

    private final Cpu cpu;
    private final Interpreter interp;
    private final CodeCache cache;
    private final BlockLookup blocks;
    private volatile boolean stopRequested;
    private boolean wantWindow;
    /** A single-step trap held back by a MOV SS / POP SS shadow. */
    private boolean pendingStepTrap;
    private final Breakpoints breakpoints;
    private String report = "";

    /** Tier 1 (the VM's, shared with its other vCPUs), or null when only the interpreter runs. */
    private final Translator translator;
    private final JitStats.Vcpu jitStats;
    /** At most this many instructions run inside translated code between two visits of the dispatcher. */
    private static final long MAX_CHAIN = 1 << 16;

    /** An engine with the tier chosen by the system properties ({@link EngineOptions#fromSystemProperties()}). */
    public ExecutionEngine(Cpu cpu) {
        this(cpu, EngineOptions.fromSystemProperties());
    }

    /** A vCPU with a code cache of its own (a VM with one vCPU). */
    public ExecutionEngine(Cpu cpu, EngineOptions options) {
        this(cpu, new CodeCache(cpu.mem, options));
    }

    /** A vCPU of a VM whose vCPUs share {@code cache} (and its translator). */
    public ExecutionEngine(Cpu cpu, CodeCache cache) {
        this.cpu = cpu;
        this.cache = cache;
        this.interp = new Interpreter(cpu);
        this.blocks = new BlockLookup(cpu, cache);
        this.translator = cache.translator();
        this.jitStats = cache.jitStats().newVcpu();
        this.breakpoints = new Breakpoints(cpu);
    }

    public EngineOptions options() {
        return cache.options();
    }

    /** Translator counters of the VM (all zero for the interpreter). */
    public JitStats jitStats() {
        return cache.jitStats();
    }

    public CodeCache codeCache() {
        return cache;
    }

    public Cpu cpu() {
        return cpu;
    }

    /**
     * Sets the host debugger's breakpoints (linear addresses; call between runs). While any
     * host breakpoint or watchpoint is set, the engine runs instruction by instruction.
     */
    public void setHostBreakpoints(int[] linear) {
        hostBreakpoints = linear.clone();
        passOnce = null;
    }

    /** The next run does not stop at a host breakpoint on its first instruction at {@code linear}. */
    public void passBreakpointOnce(int linear) {
        passOnce = linear;
    }

    /**
     * Executes one instruction for a host debugger, without delivering external interrupts;
     * a fault it raises is delivered (EIP then points at the handler).
     */
    public Exit stepForDebugger() {
        maskExternal = true;
        try {
            Exit e = run(1);
            return e == Exit.BUDGET ? Exit.DEBUG : e;
        } finally {
            maskExternal = false;
            passOnce = null;
        }
    }

    private boolean hostDebug() {
        return hostBreakpoints.length > 0 || cpu.hostWatchesSet();
    }

    /** Asks the running loop to return {@link Exit#STOPPED} at the next block boundary (any thread). */
    public void requestStop() {
        stopRequested = true;
    }

    public void clearStop() {
        stopRequested = false;
    }

    public String report() {
        return report;
    }

    /** Forgets all decoded and translated code (tests that rewrite a whole machine between runs). */
    public void flushCode() {
        cache.flush();
    }

    public int cachedBlocks() {
        return cache.blockCount();
    }

    /** Executes until an exit; at most about {@code budget} instructions. */
    public Exit run(long budget) {
        long limit = cpu.instructions + budget;
        // delivered events count against the budget too: a guest stuck in a fault loop retires nothing
        long events = 0;
        Block prev = null;   // the block that just ran, whose successor links may skip a lookup
        try {
            while (true) {
                if (stopRequested) {
                    return Exit.STOPPED;
                }
                if (cpu.instructions + events >= limit) {
                    return Exit.BUDGET;
                }
                if (!cpu.interruptShadow && !maskExternal && !cpu.nmiBlocked && cpu.interrupts.nmiPending()) {
                    // SDM 6.7: NMI is not masked by IF; it blocks further NMIs until the handler's IRET
                    cpu.interrupts.acknowledgeNmi();
                    cpu.nmiBlocked = true;
                    cpu.halted = false;
                    events++;
                    InterruptDelivery.deliverEvent(cpu, Fault.NMI, InterruptDelivery.EXTERNAL, false, 0, cpu.eip);
                }
                if (!cpu.interruptShadow && !maskExternal && cpu.interrupts.hasInterrupt()) {
                    if (cpu.interruptsEnabled()) {
                        if (wantWindow) {
                            cpu.exits.inc(ExitReason.IRQ_WINDOW);
                            wantWindow = false;
                        }
                        int vector = cpu.interrupts.acknowledge();
                        cpu.exits.inc(ExitReason.IRQ_INJECT);
                        cpu.halted = false;
                        events++;
                        InterruptDelivery.deliverEvent(cpu, vector, InterruptDelivery.EXTERNAL, false, 0, cpu.eip);
                    } else {
                        wantWindow = true;
                    }
                }
                if (cpu.halted) {
                    return Exit.HALTED;
                }
                try {
                    if (cpu.pendingDebugTrap) {
                        cpu.pendingDebugTrap = false;
                        events++;
                        InterruptDelivery.deliverEvent(cpu, Fault.DB, InterruptDelivery.EXCEPTION, false, 0, cpu.eip);
                        continue;
                    }
                    if (cpu.interruptShadow || pendingStepTrap || cpu.flag(Flags.TF)
                            || breakpoints.armed() || hostDebug()) {
                        if (hostDebug() && !maskExternal && atHostBreakpoint()) {
                            return Exit.DEBUG;
                        }
                        passOnce = null;
                        stepOne();
                        if (cpu.hostWatchHit != null) {
                            return Exit.DEBUG;
                        }
                    } else {
                        Block b = next(prev);
                        prev = null;
                        runBlock(b, Math.min(limit - events, cpu.instructions + MAX_CHAIN));
                        prev = b;
                        cpu.clearResumeFlag();
                    }
                } catch (Fault f) {
                    events++;
                    prev = null;
                    pendingStepTrap = false;
                    cpu.pendingDebugTrap = false;   // the faulting instruction did not complete: no data-breakpoint trap
                    cpu.hostWatchHit = null;
                    InterruptDelivery.deliverEvent(cpu, f.vector, InterruptDelivery.EXCEPTION, f.hasErrorCode,
                            f.errorCode, cpu.eip, true);
                }
            }
        } catch (TripleFault t) {
            report = t.getMessage() + " at " + where();
            return Exit.SHUTDOWN;
        } catch (RuntimeException | StackOverflowError e) {
            report = "internal error (" + e + ") at " + where() + "\n" + CpuReport.registers(cpu);
            return Exit.INTERNAL_ERROR;
        }
    }

    private boolean atHostBreakpoint() {
        int lin = cpu.segBase[Cpu.CS] + cpu.eip;
        if (passOnce != null && passOnce == lin) {
            return false;
        }
        for (int b : hostBreakpoints) {
            if (b == lin) {
                return true;
            }
        }
        return false;
    }

    /** CPL and code size: the parts of the mode a successor link depends on. */
    private int mode() {
        return cpu.cpl << 1 | (cpu.code32 ? 1 : 0);
    }

    /**
     * The block at CS:EIP: a remembered successor of {@code prev} when nothing it depends on
     * has changed (same EIP, CS base, CPL and code size; still valid; EIP within the CS limit;
     * the soft TLB still maps its code page to the block's physical page), else a code-cache
     * lookup whose result is remembered. The TLB check, rather than a flush counter, lets links
     * into global kernel pages survive the CR3 writes and invlpg of every context switch.
     */
    private Block next(Block prev) {
        int eip = cpu.eip;
        if (prev != null && prev.isValid()) {
            int base = cpu.segBase[Cpu.CS], mode = mode();
            if (Integer.compareUnsigned(eip, cpu.segLimit[Cpu.CS]) <= 0) {
                Block.Link l = prev.link0;   // read once: another vCPU may replace it
                if (linkHolds(l, eip, base, mode)) {
                    return l.target();
                }
                l = prev.link1;
                if (linkHolds(l, eip, base, mode)) {
                    return l.target();
                }
            }
            jitStats.lookups++;
            Block b = blocks.lookup();
            if (b.key >= 0 && Integer.compareUnsigned(eip + b.byteLength - 1, cpu.segLimit[Cpu.CS]) <= 0) {
                prev.link1 = prev.link0;   // the older one goes
                prev.link0 = new Block.Link(b, eip, base, mode);
            }
            return b;
        }
        return blocks.lookup();
    }

    private boolean linkHolds(Block.Link l, int eip, int base, int mode) {
        if (l == null || l.eip() != eip || l.csBase() != base || l.mode() != mode) {
            return false;
        }
        Block s = l.target();
        return s.isValid() && fitsLimit(eip, s) && cpu.codeMappedTo(base + eip, s.physPage());
    }

    private boolean fitsLimit(int eip, Block s) {
        return Integer.compareUnsigned(eip + s.byteLength - 1, cpu.segLimit[Cpu.CS]) <= 0;
    }

    /** A region's other blocks lie within the CS limit too (the entry block's check was made by the lookup). */
    private boolean withinLimit(Translation t, Block b) {
        if (t.lowOff == 0 && t.highEnd == b.byteLength) {
            return true;
        }
        int eip = cpu.eip;
        return Integer.compareUnsigned(eip, -t.lowOff) >= 0 && Integer.compareUnsigned(eip, -t.highEnd) <= 0
                && Integer.compareUnsigned(eip + t.highEnd - 1, cpu.segLimit[Cpu.CS]) <= 0;
    }

    private void runBlock(Block b, long stopAt) {
        Translation t = b.translation;
        if (t == null && translator != null && b.countEntry(cpu.instructions, translator.threshold()) && b.key >= 0) {
            translator.request(cache.region(b), cpu.flatSegs);
            t = b.translation;
        }
        if (t != null && (cpu.flatSegs & t.flatNeeded) == t.flatNeeded && withinLimit(t, b)) {
            long before = cpu.instructions;
            jitStats.entries++;
            try {
                // run() counts loops, jumps inside its region and REP iterations itself, and a faulting pass up to the fault
                int retired = t.run(cpu, interp, b, stopAt);   // (not "+= t.run()": run() adds to the count itself)
                cpu.instructions += retired;
            } finally {
                jitStats.instructions += cpu.instructions - before;
            }
            return;
        }
        Insn[] insns = b.insns;
        for (Insn i : insns) {
            int before = cpu.eip;
            interp.execute(i);
            cpu.instructions++;
            if (cpu.eip != before + i.len || !b.valid || cpu.halted || cpu.interruptShadow) {
                // a taken branch, a 16-bit IP wrap, a repeated string op, this block's page was written,
                // or STI opened an interrupt shadow (the dispatcher steps the next instruction)
                return;
            }
        }
    }

    /**
     * One instruction, for the STI/MOV SS shadow, single-stepping with TF (SDM 17.3.1.4) and
     * instruction breakpoints (SDM 17.3.1.1, faults checked before the instruction unless RF).
     * A shadow opened by this instruction survives it; MOV SS / POP SS also hold back the
     * single-step trap until after the next instruction (SDM 6.8.3).
     */
    private void stepOne() {
        boolean tf = cpu.flag(Flags.TF);
        // Intel processors do not report a code breakpoint on the instruction after MOV SS / POP SS
        if (breakpoints.armed() && (cpu.getEflags() & Flags.RF) == 0 && !cpu.movSsShadow) {
            int hit = breakpoints.instructionHit(cpu.segBase[Cpu.CS] + cpu.eip);
            if (hit != 0) {
                cpu.dr[6] = (cpu.dr[6] & ~0xf) | hit;
                throw Fault.of(Fault.DB);
            }
        }
        Block b = blocks.lookup();
        boolean shadowed = pendingStepTrap;
        cpu.interruptShadow = false;
        cpu.movSsShadow = false;
        cpu.singleStepping = tf;
        try {
            interp.execute(b.insns[0]);
        } finally {
            cpu.singleStepping = false;
        }
        cpu.instructions++;
        cpu.clearResumeFlag();
        if (tf || shadowed) {
            if (cpu.movSsShadow) {
                pendingStepTrap = true;   // held until the instruction after MOV SS completes
            } else {
                pendingStepTrap = false;
                cpu.dr[6] |= 0x4000;   // BS: single-step trap
                cpu.pendingDebugTrap = false;   // one #DB reports a data breakpoint hit too (DR6 has both)
                InterruptDelivery.deliverEvent(cpu, Fault.DB, InterruptDelivery.EXCEPTION, false, 0, cpu.eip);
            }
        }
    }

    /**
     * Executes exactly one instruction (a repeated string instruction with all its
     * iterations) without delivering a fault it raises: the fault is returned and the CPU
     * is left in the architectural state of the faulting instruction. For debuggers and
     * per-instruction test vectors. Returns null when the instruction completed.
     */
    public Fault stepWithoutDelivery() {
        try {
            Block b = blocks.lookup();
            interp.executeToEnd(b.insns[0]);
            cpu.instructions++;
            cpu.interruptShadow = false;
            return null;
        } catch (Fault f) {
            return f;
        }
    }

    private String where() {
        return CpuReport.location(cpu);
    }
}
