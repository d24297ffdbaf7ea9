package io.jvisor.engine;

import io.jvisor.cpu.Cpu;

/**
 * Instruction breakpoints from DR0-DR3 and DR7 (SDM 17.2.4-17.2.5): an enabled breakpoint
 * with R/W = 00 (execute) and LEN = 00 matches the linear address of an instruction's first
 * byte and raises #DB as a fault before it executes. Data breakpoints (R/W = 01, 11) are
 * checked by the CPU's access path and raise #DB as a trap after the instruction. When any
 * breakpoint is enabled the engine runs instruction by instruction.
 */
final class Breakpoints {
    private final Cpu cpu;

    Breakpoints(Cpu cpu) {
        this.cpu = cpu;
    }

    /** True if DR7 enables any breakpoint (a cheap test on the hot path). */
    boolean armed() {
        return (cpu.dr[7] & 0xff) != 0;
    }

    /** DR6 B0-B3 bits of the execute breakpoints matching {@code linear}, or 0. */
    int instructionHit(int linear) {
        int dr7 = cpu.dr[7];
        int hit = 0;
        for (int n = 0; n < 4; n++) {
            boolean enabled = (dr7 & (3 << (2 * n))) != 0;
            boolean execute = ((dr7 >>> (16 + 4 * n)) & 3) == 0;
            if (enabled && execute && cpu.dr[n] == linear) {
                hit |= 1 << n;
            }
        }
        return hit;
    }
}
