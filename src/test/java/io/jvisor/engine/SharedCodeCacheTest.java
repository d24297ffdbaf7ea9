package io.jvisor.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvisor.cpu.Cpu;
import io.jvisor.testing.Machine;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

/** Several vCPUs of one VM share its code cache: decoded blocks, translations and self-modifying-code tracking. */
class SharedCodeCacheTest {
    /** xor eax, eax ; L: add eax, ecx ; dec ecx ; jnz L ; hlt  (EAX = ECX + ... + 1) */
    private static final int[] SUM_LOOP = {0x31, 0xc0, 0x01, 0xc8, 0x49, 0x75, 0xfb, 0xf4};

    private static void place(Machine m, int at, int... bytes) {
        for (int i = 0; i < bytes.length; i++) {
            m.mem.write8(at + i, bytes[i]);
        }
    }

    private static ExecutionEngine.Exit runAt(ExecutionEngine e, int eip, long budget) {
        e.cpu().halted = false;
        e.cpu().eip = eip;
        return e.run(budget);
    }

    @Test
    void aBlockDecodedByOneVcpuIsRunByTheOther() {
        try (Machine m = new Machine()) {
            ExecutionEngine second = m.addVcpu();
            place(m, Machine.CODE, SUM_LOOP);
            m.cpu.r[Cpu.ECX] = 10;
            assertEquals(ExecutionEngine.Exit.HALTED, runAt(m.engine, Machine.CODE, 10_000));
            int decoded = m.engine.cachedBlocks();
            second.cpu().r[Cpu.ECX] = 100;
            assertEquals(ExecutionEngine.Exit.HALTED, runAt(second, Machine.CODE, 10_000));
            assertEquals(55, m.cpu.r[Cpu.EAX]);
            assertEquals(5050, second.cpu().r[Cpu.EAX]);
            assertSame(m.engine.codeCache(), second.codeCache());
            assertEquals(decoded, second.cachedBlocks(), "the second vCPU found the blocks the first decoded");
        }
    }

    @Test
    void aWriteByOneVcpuInvalidatesCodeTheOtherRuns() {
        try (Machine m = new Machine()) {
            ExecutionEngine writer = m.addVcpu();
            int other = 0x11000;   // the writer's code, on a page of its own
            // mov dword [CODE+0x100], 5 ; hlt   -- gives the writer a soft-TLB write entry for the code page
            place(m, other, 0xc7, 0x05, 0x00, 0x01, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0xf4);
            // mov dword [CODE+1], 0x77 ; hlt   -- patches the immediate of "mov eax, imm32" at CODE
            place(m, other + 0x20, 0xc7, 0x05, 0x01, 0x00, 0x01, 0x00, 0x77, 0x00, 0x00, 0x00, 0xf4);
            place(m, Machine.CODE, 0xb8, 0x11, 0x00, 0x00, 0x00, 0xf4);   // mov eax, 0x11 ; hlt

            assertEquals(ExecutionEngine.Exit.HALTED, runAt(writer, other, 100));
            assertEquals(ExecutionEngine.Exit.HALTED, runAt(m.engine, Machine.CODE, 100));
            assertEquals(0x11, m.cpu.r[Cpu.EAX]);
            long before = m.engine.codeCache().invalidations();
            assertEquals(ExecutionEngine.Exit.HALTED, runAt(writer, other + 0x20, 100));
            assertTrue(m.engine.codeCache().invalidations() > before, "the write dropped the code");
            assertEquals(ExecutionEngine.Exit.HALTED, runAt(m.engine, Machine.CODE, 100));
            assertEquals(0x77, m.cpu.r[Cpu.EAX], "the first vCPU ran the patched instruction");
        }
    }

    @Test
    void vcpusOnTwoThreadsShareTranslationsAndGetTheirOwnResults() throws Exception {
        EngineOptions eager = new EngineOptions(true, 2, false, EngineOptions.DEFAULT_MAX_TRANSLATIONS);
        try (Machine m = new Machine(4L << 20, eager)) {
            ExecutionEngine second = m.addVcpu();
            place(m, Machine.CODE, SUM_LOOP);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int round = 0; round < 300; round++) {
                    int n1 = 1000 + round, n2 = 3000 + 7 * round;
                    Future<Integer> a = pool.submit(() -> sum(m.engine, n1));
                    Future<Integer> b = pool.submit(() -> sum(second, n2));
                    assertEquals(n1 * (n1 + 1) / 2, a.get());
                    assertEquals(n2 * (n2 + 1) / 2, b.get());
                }
            } finally {
                pool.shutdownNow();
            }
            JitStats stats = m.engine.jitStats();
            assertSame(stats, second.jitStats());
            assertTrue(stats.translated() >= 1 && stats.entries() > 0, "the loop ran translated");
            assertEquals(0, stats.failures(), stats.lastFailure());
        }
    }

    private static int sum(ExecutionEngine e, int n) {
        e.cpu().r[Cpu.ECX] = n;
        ExecutionEngine.Exit exit = runAt(e, Machine.CODE, 1_000_000);
        if (exit != ExecutionEngine.Exit.HALTED) {
            throw new AssertionError(exit + " " + e.report());
        }
        return e.cpu().r[Cpu.EAX];
    }
}
