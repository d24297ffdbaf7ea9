package io.jvisor.cpu;

import io.jvisor.memory.IoBus;
import io.jvisor.memory.PhysicalMemory;
import org.junit.jupiter.api.Test;

import static io.jvisor.cpu.PerfCounters.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The P6 counters as Linux's p6 PMU driver and its hardware check use them. */
class PerfCountersTest {
    @Test
    void eachCounterCountsOnceItsOwnSelectIsEnabled() {
        try (PhysicalMemory mem = new PhysicalMemory(4L << 20)) {
            Cpu c = new Cpu(mem, new IoBus());
            PerfCounters p = c.pmu;
            // Linux's check_hw_exists: the counter reads back what was written
            assertTrue(p.write(c, PERFCTR0, 0xffff));
            assertEquals(0xffff, p.read(c, PERFCTR0));
            assertTrue(p.write(c, PERFEVTSEL1, EVENT_INST_RETIRED));
            p.write(c, PERFCTR1, 0);
            c.instructions += 7;
            assertEquals(0, p.read(c, PERFCTR1), "EN clear: no counting");
            assertTrue(p.write(c, PERFEVTSEL1, ENABLE | EVENT_INST_RETIRED));
            c.instructions += 1000;
            assertEquals(1000, p.read(c, PERFCTR1), "counter 1 counts with its own EN (architectural PMU)");
            p.write(c, PERFEVTSEL0, 0);
            c.instructions += 5;
            assertEquals(1005, p.read(c, PERFCTR1), "PERFEVTSEL0 does not gate counter 1");
            p.write(c, PERFEVTSEL1, EVENT_INST_RETIRED);   // EN off: stops
            c.instructions += 5;
            assertEquals(1005, p.read(c, PERFCTR1));
            assertTrue(p.write(c, PERFCTR0, 0x8000_0000L));
            assertEquals(0xff_8000_0000L, p.read(c, PERFCTR0), "bit 31 sign-extends into bits 39:32");
            assertFalse(p.write(c, PERFEVTSEL0, 1L << 21), "reserved bit");
        }
    }

    @Test
    void coreCyclesCountTheTsc() {
        try (PhysicalMemory mem = new PhysicalMemory(4L << 20)) {
            Cpu c = new Cpu(mem, new IoBus());
            long[] tsc = {100};
            c.tscSource = () -> tsc[0];
            c.pmu.write(c, PERFEVTSEL0, ENABLE | EVENT_CORE_CYCLES);
            c.pmu.write(c, PERFCTR0, 0);
            tsc[0] += 12345;
            assertEquals(12345, c.pmu.read(c, PERFCTR0));
        }
    }

    @Test
    void reprogrammingAStoppedCounterKeepsItsValue() {
        try (PhysicalMemory mem = new PhysicalMemory(4L << 20)) {
            Cpu c = new Cpu(mem, new IoBus());
            PerfCounters p = c.pmu;
            c.instructions = 5_000_000;
            p.write(c, PERFEVTSEL0, 0);   // no event, stopped: as Linux leaves a counter between uses
            p.write(c, PERFCTR0, -1000);
            p.write(c, PERFEVTSEL0, ENABLE | EVENT_INST_RETIRED);
            assertEquals(0xff_ffff_fc18L, p.read(c, PERFCTR0), "counting starts from the value written");
            c.instructions += 10;
            assertEquals(0xff_ffff_fc22L, p.read(c, PERFCTR0));
        }
    }

    @Test
    void rdpmcReadsTheCounters() {
        try (PhysicalMemory mem = new PhysicalMemory(4L << 20)) {
            Cpu c = new Cpu(mem, new IoBus());
            c.pmu.write(c, PERFCTR1, 0x1234_5678);
            c.r[Cpu.ECX] = 1;
            SystemOps.rdpmc(c);
            assertEquals(0x1234_5678, c.r[Cpu.EAX]);
            assertEquals(0, c.r[Cpu.EDX]);
        }
    }

    @Test
    void overflowWithIntSetIsReportedOnceAtTheWrap() {
        try (PhysicalMemory mem = new PhysicalMemory(4L << 20)) {
            Cpu c = new Cpu(mem, new IoBus());
            PerfCounters p = c.pmu;
            p.write(c, PERFCTR0, -100);
            p.write(c, PERFEVTSEL0, ENABLE | INT | EVENT_INST_RETIRED);
            c.instructions += 99;
            assertFalse(p.pollOverflow(c), "one short of the wrap");
            c.instructions += 1;
            assertTrue(p.pollOverflow(c), "the counter wrapped past 2^40");
            assertEquals(0, p.read(c, PERFCTR0));
            c.instructions += 50;
            assertFalse(p.pollOverflow(c), "reported once");
            // without INT the wrap is silent
            p.write(c, PERFEVTSEL0, ENABLE | EVENT_INST_RETIRED);
            p.write(c, PERFCTR0, -10);
            c.instructions += 20;
            assertFalse(p.pollOverflow(c));
            assertEquals(Long.MAX_VALUE, p.nextCycleOverflow());
        }
    }

    @Test
    void aCycleCounterSaysWhenItWraps() {
        try (PhysicalMemory mem = new PhysicalMemory(4L << 20)) {
            Cpu c = new Cpu(mem, new IoBus());
            long[] tsc = {5000};
            c.tscSource = () -> tsc[0];
            PerfCounters p = c.pmu;
            p.write(c, PERFEVTSEL0, ENABLE | INT | EVENT_CPU_CLK_UNHALTED);
            p.write(c, PERFCTR0, -2000);   // rewriting the counter re-aims the wrap
            assertEquals(c.tsc() + 2000, p.nextCycleOverflow());
            tsc[0] += 2000;
            assertTrue(p.pollOverflow(c));
        }
    }
}
