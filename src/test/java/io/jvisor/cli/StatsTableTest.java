package io.jvisor.cli;

import io.jvisor.cpu.Cpu;
import io.jvisor.cpu.ExitReason;
import io.jvisor.memory.IoBus;
import io.jvisor.memory.PhysicalMemory;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exit-counter table: the sum over the vCPUs and, with several, a column for each. */
class StatsTableTest {
    @Test
    void sumAndOneColumnPerVcpu() {
        try (PhysicalMemory mem = new PhysicalMemory(1 << 20)) {
            IoBus io = new IoBus();
            Cpu a = new Cpu(mem, io), b = new Cpu(mem, io);
            a.instructions = 1000;
            b.instructions = 234;
            a.exits.inc(ExitReason.IRQ_INJECT);
            b.exits.inc(ExitReason.IRQ_INJECT);
            b.exits.inc(ExitReason.IRQ_INJECT);
            String t = StatsTable.render(List.of(a, b), 1_000_000_000L, 5, 0, 0);
            assertTrue(t.lines().findFirst().orElseThrow().matches(".*vCPU 0 +vCPU 1\\s*"), t);
            assertTrue(t.lines().anyMatch(l -> l.matches("instructions +1234 +1000 +234")), t);
            assertTrue(t.lines().anyMatch(l -> l.matches("IRQ_INJECT +3 +1 +2")), t);
            String one = StatsTable.render(List.of(a), 1_000_000_000L, 5, 0, 0);
            assertFalse(one.contains("vCPU"), "one vCPU: no per-vCPU columns\n" + one);
        }
    }
}
