package io.jvisor.bench;

import io.jvisor.engine.EngineOptions;
import io.jvisor.engine.ExecutionEngine;
import io.jvisor.testing.Machine;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Each engine running guest loops in flat 32-bit protected mode. The score is
 * guest instructions per second (operations = instructions retired per invocation).
 * Run: scripts/bench-interpreter.sh
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
public class InterpreterBenchmark {
    static final int ITERATIONS = 100_000;

    @Param({"interp", "jit"})
    public String engine;

    private Machine m;

    @Setup(Level.Trial)
    public void setUp() {
        m = new Machine(8L << 20, engine.equals("jit") ? new EngineOptions(true, 2, true, 1 << 16) : EngineOptions.INTERPRETER);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        m.close();
    }

    private long runLoop(int... code) {
        m.cpu.reset();
        m.setUpTables();
        boolean same = true;
        for (int i = 0; i < code.length; i++) {
            same &= m.mem.read8(Machine.CODE + i) == (code[i] & 0xff);
        }
        if (same) {
            m.cpu.eip = Machine.CODE;   // unchanged code keeps its translation
        } else {
            m.code(code);
        }
        long before = m.cpu.instructions;
        ExecutionEngine.Exit exit = m.run(Long.MAX_VALUE / 4);
        if (exit != ExecutionEngine.Exit.HALTED) {
            throw new IllegalStateException("benchmark loop ended with " + exit);
        }
        return m.cpu.instructions - before;
    }

    /**
     * Register arithmetic: mov ecx,N; L: add eax,ecx; xor ebx,eax; inc edx; dec ecx; jnz L; hlt.
     * 5 instructions per iteration.
     */
    @Benchmark
    @OperationsPerInvocation(5 * ITERATIONS + 2)
    public long aluLoop() {
        return runLoop(0xb9, ITERATIONS & 0xff, (ITERATIONS >> 8) & 0xff, (ITERATIONS >> 16) & 0xff, 0,
                0x01, 0xc8,         // add eax, ecx
                0x31, 0xc3,         // xor ebx, eax
                0x42,               // inc edx
                0x49,               // dec ecx
                0x75, 0xf8,         // jnz -8
                0xf4);
    }

    /**
     * Memory traffic through the soft TLB: mov esi,DATA; mov ecx,N;
     * L: mov eax,[esi]; add eax,ecx; mov [esi+4],eax; push eax; pop edx; dec ecx; jnz L; hlt.
     * 7 instructions per iteration.
     */
    @Benchmark
    @OperationsPerInvocation(7 * ITERATIONS + 3)
    public long memoryLoop() {
        int d = Machine.DATA;
        return runLoop(0xbe, d & 0xff, (d >> 8) & 0xff, (d >> 16) & 0xff, 0,
                0xb9, ITERATIONS & 0xff, (ITERATIONS >> 8) & 0xff, (ITERATIONS >> 16) & 0xff, 0,
                0x8b, 0x06,         // mov eax, [esi]
                0x01, 0xc8,         // add eax, ecx
                0x89, 0x46, 0x04,   // mov [esi+4], eax
                0x50,               // push eax
                0x5a,               // pop edx
                0x49,               // dec ecx
                0x75, 0xf4,         // jnz -12
                0xf4);
    }
}
