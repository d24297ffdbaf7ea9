package io.jvisor.bench;

import io.jvisor.cpu.Cpu;
import io.jvisor.engine.EngineOptions;
import io.jvisor.engine.ExecutionEngine;
import io.jvisor.testing.Machine;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The founding document's privileged operations as guest loops, in host nanoseconds per
 * loop iteration under each engine: {@code cli; sti} (seed challenge 8), {@code int 0x80}
 * and {@code sysenter} system calls from ring 3 (challenge 6), a page fault whose handler
 * maps the page (challenge 5), and the ring-aliasing reads {@code push cs} and {@code sgdt}
 * (challenge 3). Each iteration also runs {@code dec ebp; jnz}. Run:
 * scripts/bench-guest-ops.sh
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GuestOpsBenchmark {
    static final int N = 100_000;
    static final int HANDLER = 0x7000, TARGET = 0x200000, PD = 0x300000, PT = 0x301000;

    @Param({"interp", "jit"})
    public String engine;

    private Machine m;

    /** Where each loop and handler lives: all written once per trial and on pages no store reaches (the ring-0
     * stack grows down from 0x9000), so translated code stays valid. */
    static final int CLI_STI = Machine.CODE, INT80 = Machine.CODE + 0x100, SYSENTER = Machine.CODE + 0x200,
            PAGE_FAULT = Machine.CODE + 0x300, PUSH_CS_SGDT = Machine.CODE + 0x400;
    static final int IRET_HANDLER = HANDLER, SYSEXIT_HANDLER = HANDLER + 0x10, PF_HANDLER = HANDLER + 0x20;
    static final int PTE = PT + (TARGET >>> 12) * 4;

    @Setup(Level.Trial)
    public void setUp() {
        EngineOptions tier = engine.equals("jit") ? new EngineOptions(true, 2, true, 1 << 16) : EngineOptions.INTERPRETER;
        m = new Machine(8L << 20, tier);
        // L: cli; sti; dec ebp; jnz L; hlt
        bytes(CLI_STI, 0xfa, 0xfb, 0x4d, 0x75, 0xfb, 0xf4);
        // L: int 0x80; dec ebp; jnz L; hlt -- the gate's handler is a bare iretd
        bytes(INT80, 0xcd, 0x80, 0x4d, 0x75, 0xfb, 0xf4);
        bytes(IRET_HANDLER, 0xcf);
        m.gate(0x80, 0x08, IRET_HANDLER, 0xe, 3);
        // L: mov edx, RET; mov ecx, esp; sysenter; RET: dec ebp; jnz L; hlt -- the kernel side is a bare sysexit
        int ret = SYSENTER + 9;
        bytes(SYSENTER, 0xba, ret & 0xff, (ret >> 8) & 0xff, (ret >> 16) & 0xff, 0, 0x89, 0xe1, 0x0f, 0x34,
                0x4d, 0x75, 0xf4, 0xf4);
        bytes(SYSEXIT_HANDLER, 0x0f, 0x35);
        // L: mov eax, [TARGET] (not present: the #PF handler maps it); mov dword [PTE], 0; invlpg [TARGET];
        // dec ebp; jnz L; hlt -- the handler: mov dword [PTE], TARGET|7; add esp, 4; iretd
        bytes(PAGE_FAULT, 0xa1, b0(TARGET), b1(TARGET), b2(TARGET), 0,
                0xc7, 0x05, b0(PTE), b1(PTE), b2(PTE), 0, 0, 0, 0, 0,
                0x0f, 0x01, 0x3d, b0(TARGET), b1(TARGET), b2(TARGET), 0,
                0x4d, 0x75, 0xe7, 0xf4);
        bytes(PF_HANDLER, 0xc7, 0x05, b0(PTE), b1(PTE), b2(PTE), 0, b0(TARGET | 7), b1(TARGET | 7), b2(TARGET | 7), 0,
                0x83, 0xc4, 0x04, 0xcf);
        m.gate(14, 0x08, PF_HANDLER, 0xe, 0);
        for (int i = 0; i < 1024; i++) {
            m.mem.write32(PD + 4L * i, 0);
            m.mem.write32(PT + 4L * i, (i << 12) | 7);
        }
        m.mem.write32(PD, PT | 7);
        // L: push cs; pop eax; sgdt [DATA]; dec ebp; jnz L; hlt
        int d = Machine.DATA;
        bytes(PUSH_CS_SGDT, 0x0e, 0x58, 0x0f, 0x01, 0x05, b0(d), b1(d), b2(d), 0, 0x4d, 0x75, 0xf4, 0xf4);
    }

    private static int b0(int v) {
        return v & 0xff;
    }

    private static int b1(int v) {
        return (v >> 8) & 0xff;
    }

    private static int b2(int v) {
        return (v >> 16) & 0xff;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        m.close();
    }

    private void bytes(int at, int... code) {
        for (int i = 0; i < code.length; i++) {
            m.mem.write8(at + i, code[i]);
        }
    }

    /** Fresh CPU state (memory untouched), EBP = N, EIP at {@code start}; runs to the final hlt (a #GP handler at CPL 3). */
    private long run(int ring, int start, boolean paging) {
        Cpu c = m.cpu;
        c.reset();
        m.setUpCpu();
        c.sysenterCs = 0x08;
        c.sysenterEsp = Machine.STACK0;
        c.sysenterEip = SYSEXIT_HANDLER;
        if (paging) {
            m.mem.write32(PTE, 0);
            c.writeCr(3, PD);
            c.writeCr(0, c.cr0 | Cpu.CR0_PG);
        }
        m.enterRing(ring);
        c.eip = start;
        c.r[Cpu.EBP] = N;
        ExecutionEngine.Exit exit = m.run(Long.MAX_VALUE / 4);
        if (exit != ExecutionEngine.Exit.HALTED || c.r[Cpu.EBP] != 0) {
            throw new IllegalStateException("loop ended with " + exit + ", ebp=" + c.r[Cpu.EBP] + " " + m.engine.report());
        }
        return c.instructions;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long cliSti() {
        return run(0, CLI_STI, false);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long int80() {
        return run(3, INT80, false);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long sysenter() {
        return run(3, SYSENTER, false);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long pageFault() {
        return run(0, PAGE_FAULT, true);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long pushCsSgdt() {
        return run(3, PUSH_CS_SGDT, false);
    }
}
