package io.jvisor.testing;

import io.jvisor.cpu.Cpu;
import io.jvisor.engine.EngineOptions;
import io.jvisor.engine.ExecutionEngine;
import io.jvisor.memory.IoBus;
import io.jvisor.memory.PhysicalMemory;

/**
 * A bare test machine in flat 32-bit protected mode: a GDT (null, ring-0 code/data at
 * 0x08/0x10, ring-3 code/data at 0x1b/0x23, a TSS at 0x28), an IDT whose 256 interrupt gates
 * lead to a ring-0 handler that records the vector and halts, a TSS with a ring-0 stack,
 * code at {@link #CODE}. Tests place instructions and run them.
 */
public final class Machine implements AutoCloseable {
    public static final int GDT = 0x1000, IDT = 0x2000, HANDLERS = 0x3000, TSS = 0x5000, STACK0 = 0x9000,
            STACK3 = 0xa000, CODE = 0x10000, DATA = 0x20000;
    /** The handler of vector v stores v at this address, then halts. */
    public static final int VECTOR_SLOT = 0x6000;

    public final PhysicalMemory mem;
    public final IoBus io = new IoBus();
    public final Cpu cpu;
    public final ExecutionEngine engine;

    /** A machine whose engine tier comes from the system properties (the suite's tier seam). */
    public Machine(long ramBytes) {
        this(ramBytes, EngineOptions.fromSystemProperties());
    }

    public Machine(long ramBytes, EngineOptions tier) {
        mem = new PhysicalMemory(ramBytes);
        cpu = new Cpu(mem, io);
        engine = new ExecutionEngine(cpu, tier);
        setUpTables();
    }

    public Machine() {
        this(4L << 20);
    }

    public void descriptor(int index, int base, int limit, int access, int flags) {
        int lo = (limit & 0xffff) | (base << 16);
        int hi = ((base >>> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | (base & 0xff000000);
        mem.write32(GDT + index * 8L, lo);
        mem.write32(GDT + index * 8L + 4, hi);
    }

    public void gate(int vector, int selector, int offset, int type, int dpl) {
        mem.write32(IDT + vector * 8L, (offset & 0xffff) | (selector << 16));
        mem.write32(IDT + vector * 8L + 4, (offset & 0xffff0000) | 0x8000 | (dpl << 13) | (type << 8));
    }

    /** Rebuilds the tables and the protected-mode state (after a test scribbled over them). */
    public void setUpTables() {
        descriptor(1, 0, 0xfffff, 0x9b, 0xc);
        descriptor(2, 0, 0xfffff, 0x93, 0xc);
        descriptor(3, 0, 0xfffff, 0xfb, 0xc);
        descriptor(4, 0, 0xfffff, 0xf3, 0xc);
        descriptor(5, TSS, 0x67, 0x8b, 0);   // busy, as TR is loaded with it
        for (int v = 0; v < 256; v++) {
            // handler v: mov dword [ss:VECTOR_SLOT], v ; hlt  (SS: the test may have broken DS)
            int h = HANDLERS + v * 16;
            mem.write8(h, 0x36);
            mem.write8(h + 1, 0xc7);
            mem.write8(h + 2, 0x05);
            mem.write32(h + 3, VECTOR_SLOT);
            mem.write32(h + 7, v);
            mem.write8(h + 11, 0xf4);
            gate(v, 0x08, h, 0xe, 3);
        }
        mem.write32(TSS + 4, STACK0);
        mem.write32(TSS + 8, 0x10);
        mem.write16(TSS + 0x66, 0x68);   // I/O bitmap base beyond the limit: no port allowed at CPL > IOPL
        mem.write32(VECTOR_SLOT, -1);
        setUpCpu();
    }

    /** The CPU half of {@link #setUpTables()}: protected mode, ring 0, the tables' registers, EIP at {@link #CODE}. */
    public void setUpCpu() {
        setUpCpu(cpu);
    }

    /**
     * Another vCPU of this machine: its own registers and soft TLB, set up as {@link #setUpCpu()}
     * does, on the same memory, with an engine that shares this machine's code cache.
     */
    public ExecutionEngine addVcpu() {
        Cpu other = new Cpu(mem, io);
        setUpCpu(other);
        return new ExecutionEngine(other, engine.codeCache());
    }

    private void setUpCpu(Cpu cpu) {
        cpu.gdtBase = GDT;
        cpu.gdtLimit = 6 * 8 - 1;
        cpu.idtBase = IDT;
        cpu.idtLimit = 256 * 8 - 1;
        cpu.writeCr(0, cpu.cr0 | Cpu.CR0_PE);
        enterRing(cpu, 0);
        cpu.setSegmentCache(Cpu.TR, 0x28, TSS, 0x67, 0x8b);
        cpu.eip = CODE;
    }

    /** Loads flat segments for ring {@code cpl} (0 or 3). */
    public void enterRing(int cpl) {
        enterRing(cpu, cpl);
    }

    private static void enterRing(Cpu cpu, int cpl) {
        int cs = cpl == 0 ? 0x08 : 0x1b, ds = cpl == 0 ? 0x10 : 0x23;
        int dplBits = cpl << 5;
        cpu.setCpl(cpl);
        cpu.setSegmentCache(Cpu.CS, cs, 0, -1, 0xc09b | dplBits);
        for (int s : new int[] {Cpu.SS, Cpu.DS, Cpu.ES, Cpu.FS, Cpu.GS}) {
            cpu.setSegmentCache(s, ds, 0, -1, 0xc093 | dplBits);
        }
        cpu.r[Cpu.ESP] = cpl == 0 ? STACK0 : STACK3;
    }

    /** Writes code bytes at {@link #CODE} and points EIP there. */
    public Machine code(int... bytes) {
        for (int i = 0; i < bytes.length; i++) {
            mem.write8(CODE + i, bytes[i]);
        }
        cpu.eip = CODE;
        return this;
    }

    /** Runs until the guest halts (or a limit); returns the engine's exit. */
    public ExecutionEngine.Exit run(long budget) {
        return engine.run(budget);
    }

    /** The vector recorded by the IDT handler, or -1 if no interrupt or exception was taken. */
    public int vectorTaken() {
        return mem.read32(VECTOR_SLOT);
    }

    /** The dword at the handler's stack top: the error code for vectors that push one. */
    public int stackTop(int index) {
        return mem.read32((cpu.segBase[Cpu.SS] + cpu.r[Cpu.ESP] + 4L * index) & 0xffffffffL);
    }

    /** Runs the code and returns the vector taken (the handler halts); fails if it ran away. */
    public int runToVector() {
        ExecutionEngine.Exit e = run(100_000);
        if (e != ExecutionEngine.Exit.HALTED) {
            throw new AssertionError("expected the guest to halt in a handler, got " + e + " " + engine.report());
        }
        return vectorTaken();
    }

    @Override
    public void close() {
        mem.close();
    }
}
