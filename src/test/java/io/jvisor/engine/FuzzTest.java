package io.jvisor.engine;

import io.jvisor.cpu.Cpu;
import io.jvisor.testing.Machine;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Random byte sequences executed as guest code at CPL 0 and CPL 3 with random register
 * state: the engine must never raise a host exception (INTERNAL_ERROR) and a second VM
 * beside it must be untouched. Each seed that once broke this is kept in {@link #REGRESSIONS}.
 */
class FuzzTest {
    /**
     * Seeds that exposed engine bugs (kept so they stay fixed). Ring: seeds below 1,000,000 run
     * at CPL 0, the others at CPL 3.
     * 1524: a fault loop on an unmapped stack retired no instructions, so the run budget never
     *       expired (events now count against it).
     */
    static final long[] REGRESSIONS = {1524};
    static final int SEEDS_PER_RING = 10000;

    @Test
    void randomCodeNeverEscapesItsVm() {
        try (Machine bystander = new Machine(2L << 20)) {
            for (int k = 0; k < (2 << 20); k += 4) {
                bystander.mem.write32(k, k * 0x9e3779b1);
            }
            long before = checksum(bystander);
            try (Machine m = new Machine(4L << 20)) {
                for (long seed : REGRESSIONS) {
                    runSeed(m, seed, seed < 1_000_000 ? 0 : 3);
                }
                for (int s = 0; s < SEEDS_PER_RING; s++) {
                    runSeed(m, s, 0);
                    runSeed(m, 1_000_000 + s, 3);
                }
            }
            assertEquals(before, checksum(bystander), "another VM's memory changed");
            System.out.println("FuzzTest: " + (2 * SEEDS_PER_RING + REGRESSIONS.length) + " seeds on the "
                    + EngineOptions.fromSystemProperties().name() + " tier");
        }
    }

    private static void runSeed(Machine m, long seed, int ring) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Cpu c = m.cpu;
        // fresh tables each time: the previous run may have scribbled anywhere in its RAM
        m.cpu.reset();
        m.setUpTables();
        m.enterRing(ring);
        byte[] code = new byte[256];
        rnd.nextBytes(code);
        for (int i = 0; i < code.length; i++) {
            m.mem.write8(Machine.CODE + i, code[i]);
        }
        for (int r = 0; r < 8; r++) {
            if (r != Cpu.ESP) {
                c.r[r] = rnd.nextInt(4) == 0 ? Machine.DATA + rnd.nextInt(0x1000) : rnd.nextInt();
            }
        }
        int flags = 0x2 | (rnd.nextInt() & 0x8d5) | (rnd.nextBoolean() ? 0x400 : 0) | (rnd.nextInt(4) == 0 ? 0x3000 : 0);
        c.setEflags(flags);
        if (rnd.nextInt(3) == 0) {
            randomPaging(m, rnd);
        }
        c.eip = Machine.CODE;
        ExecutionEngine.Exit exit = m.run(3_000);
        assertNotEquals(ExecutionEngine.Exit.INTERNAL_ERROR, exit,
                () -> "seed " + seed + " ring " + ring + ": " + m.engine.report());
    }

    /**
     * Turns on paging over an identity map of the first 4 MiB whose entries are randomly
     * not present, read-only or supervisor-only (the tables and handlers stay usable), with
     * 4 KiB pages, a 4 MiB page, or PAE.
     */
    private static void randomPaging(Machine m, SplittableRandom rnd) {
        Cpu c = m.cpu;
        int pd = 0x300000, pt = 0x301000;
        int kind = rnd.nextInt(3);
        if (kind == 2) {
            // PAE: PDPT at pd, one page directory, one page table for the first 2 MiB, a 2 MiB page after it
            int pdpt = pd, dir = pd + 0x1000, tab = pd + 0x2000;
            m.mem.write64(pdpt, dir | 1);
            for (int i = 1; i < 4; i++) {
                m.mem.write64(pdpt + 8L * i, 0);
            }
            m.mem.write64(dir, tab | 7);
            m.mem.write64(dir + 8, 0x200000 | 0x87);
            for (int i = 0; i < 512; i++) {
                m.mem.write64(tab + 8L * i, (long) (i << 12) | randomBits(rnd, i));
            }
            c.writeCr(4, c.cr4 | Cpu.CR4_PAE);
        } else {
            for (int i = 0; i < 1024; i++) {
                m.mem.write32(pd + 4L * i, 0);
            }
            if (kind == 0) {
                m.mem.write32(pd, pt | 7);
                for (int i = 0; i < 1024; i++) {
                    m.mem.write32(pt + 4L * i, (i << 12) | randomBits(rnd, i));
                }
            } else {
                m.mem.write32(pd, 0x87);   // one 4 MiB page
                c.writeCr(4, c.cr4 | Cpu.CR4_PSE);
            }
        }
        c.writeCr(3, pd);
        c.writeCr(0, c.cr0 | Cpu.CR0_PG | (rnd.nextBoolean() ? Cpu.CR0_WP : 0));
    }

    /** Present/writable/user bits for page {@code i}: tables, handlers, stacks and the TSS stay mapped. */
    private static int randomBits(SplittableRandom rnd, int i) {
        boolean system = i < 0x10 || (i >= 0x300 && i < 0x304);
        if (system) {
            return 7;
        }
        int bits = rnd.nextInt(8);   // P, R/W, U/S at random...
        if (rnd.nextInt(6) != 0) {
            bits |= 1;               // ...but mostly present
        }
        return bits;
    }

    private static long checksum(Machine m) {
        CRC32 crc = new CRC32();
        for (int k = 0; k < (2 << 20); k += 4) {
            int v = m.mem.read32(k);
            crc.update(new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)});
        }
        return crc.getValue();
    }
}
