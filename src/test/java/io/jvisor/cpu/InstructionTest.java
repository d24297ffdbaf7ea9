package io.jvisor.cpu;

import io.jvisor.engine.ExecutionEngine;
import io.jvisor.testing.Machine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Instruction families run through the decoder and interpreter: results, flags and faults. */
class InstructionTest {
    private static final int ARITH = Flags.ARITH;

    /** Runs ring-0 code ending in hlt with the given EAX/EBX/ECX and EFLAGS; returns the machine. */
    private static Machine run(int eax, int ebx, int ecx, int flags, int... code) {
        Machine m = new Machine();
        m.cpu.r[Cpu.EAX] = eax;
        m.cpu.r[Cpu.EBX] = ebx;
        m.cpu.r[Cpu.ECX] = ecx;
        m.cpu.setEflags(flags | 2);
        int[] withHlt = java.util.Arrays.copyOf(code, code.length + 1);
        withHlt[code.length] = 0xf4;
        m.code(withHlt);
        ExecutionEngine.Exit e = m.run(100_000);
        assertEquals(ExecutionEngine.Exit.HALTED, e, m.engine.report());
        return m;
    }

    @Test
    void addSubFlags() {
        try (Machine m = run(0x7fffffff, 1, 0, 0, 0x01, 0xd8)) {   // add eax, ebx
            assertEquals(0x80000000, m.cpu.r[Cpu.EAX]);
            assertEquals(Flags.OF | Flags.SF | Flags.AF | Flags.PF, m.cpu.getEflags() & ARITH);
        }
        try (Machine m = run(0, 1, 0, 0, 0x29, 0xd8)) {            // sub eax, ebx
            assertEquals(-1, m.cpu.r[Cpu.EAX]);
            assertEquals(Flags.CF | Flags.SF | Flags.AF | Flags.PF, m.cpu.getEflags() & ARITH);
        }
        try (Machine m = run(0xff, 1, 0, Flags.CF, 0x10, 0xd8)) {  // adc al, bl with CF
            assertEquals(0x01, m.cpu.r[Cpu.EAX] & 0xff);
            assertEquals(Flags.CF | Flags.AF, m.cpu.getEflags() & ARITH);
        }
    }

    @Test
    void incDecKeepCarry() {
        try (Machine m = run(-1, 0, 0, Flags.CF, 0x40)) {           // inc eax
            assertEquals(0, m.cpu.r[Cpu.EAX]);
            assertEquals(Flags.CF | Flags.ZF | Flags.AF | Flags.PF, m.cpu.getEflags() & ARITH);
        }
        try (Machine m = run(0x80000000, 0, 0, 0, 0x48)) {          // dec eax
            assertEquals(0x7fffffff, m.cpu.r[Cpu.EAX]);
            assertTrue(m.cpu.of() && !m.cpu.cf());
        }
    }

    @Test
    void shiftsAndRotates() {
        try (Machine m = run(0x81, 0, 1, 0, 0xd0, 0xc0)) {          // rol al, 1
            assertEquals(0x03, m.cpu.r[Cpu.EAX] & 0xff);
            assertTrue(m.cpu.cf());
            assertTrue(m.cpu.of());
        }
        try (Machine m = run(0x12345678, 0, 0, Flags.ZF | Flags.CF, 0xd3, 0xe0)) {   // shl eax, cl with cl=0
            assertEquals(0x12345678, m.cpu.r[Cpu.EAX]);
            assertEquals(Flags.ZF | Flags.CF, m.cpu.getEflags() & ARITH, "count 0 leaves flags alone");
        }
        try (Machine m = run(0x80, 0, 9, 0, 0xd2, 0xd0)) {          // rcl al, cl (9 = full 9-bit rotation)
            assertEquals(0x80, m.cpu.r[Cpu.EAX] & 0xff);
        }
        try (Machine m = run(0x80000000, 0, 31, 0, 0xd3, 0xf8)) {   // sar eax, 31
            assertEquals(-1, m.cpu.r[Cpu.EAX]);
        }
        // shld eax, ebx, 8
        try (Machine m = run(0x11223344, 0xaabbccdd, 0, 0, 0x0f, 0xa4, 0xd8, 0x08)) {
            assertEquals(0x223344aa, m.cpu.r[Cpu.EAX]);
            assertTrue(m.cpu.cf(), "CF = last bit shifted out (bit 24 of 0x11223344)");
        }
    }

    @Test
    void mulDivAndDivideError() {
        try (Machine m = run(0x10000, 0x10000, 0, 0, 0xf7, 0xe3)) {    // mul ebx
            assertEquals(0, m.cpu.r[Cpu.EAX]);
            assertEquals(1, m.cpu.r[Cpu.EDX]);
            assertTrue(m.cpu.cf() && m.cpu.of());
        }
        try (Machine m = run(-7, 2, 0, 0, 0x99, 0xf7, 0xfb)) {         // cdq ; idiv ebx
            assertEquals(-3, m.cpu.r[Cpu.EAX]);
            assertEquals(-1, m.cpu.r[Cpu.EDX]);
        }
        try (Machine m = new Machine()) {
            m.cpu.r[Cpu.EBX] = 0;
            m.code(0xf7, 0xf3, 0xf4);                                   // div ebx by zero
            assertEquals(Fault.DE, m.runToVector());
            assertEquals(Machine.CODE, m.stackTop(0), "#DE is a fault: EIP of the div");
        }
        try (Machine m = new Machine()) {
            m.cpu.r[Cpu.EAX] = 0;
            m.cpu.r[Cpu.EDX] = 1;
            m.cpu.r[Cpu.EBX] = 1;
            m.code(0xf7, 0xf3, 0xf4);                                   // quotient does not fit
            assertEquals(Fault.DE, m.runToVector());
        }
    }

    @Test
    void bitScanAndBitTest() {
        try (Machine m = run(0, 0x00f0, 0, 0, 0x0f, 0xbc, 0xc3)) {     // bsf eax, ebx
            assertEquals(4, m.cpu.r[Cpu.EAX]);
            assertTrue(!m.cpu.zf());
        }
        try (Machine m = run(0x1234, 0, 0, 0, 0x0f, 0xbd, 0xc3)) {     // bsr eax, ebx with zero source
            assertEquals(0x1234, m.cpu.r[Cpu.EAX], "destination unchanged");
            assertTrue(m.cpu.zf());
        }
        // bts [DATA], ecx with ecx = 35: sets bit 3 of the dword at DATA+4
        try (Machine m = run(0, 0, 35, 0, 0x0f, 0xab, 0x0d, 0x00, 0x00, 0x02, 0x00)) {
            assertEquals(8, m.mem.read32(Machine.DATA + 4));
            assertTrue(!m.cpu.cf());
        }
    }

    @Test
    void cmpxchgFamily() {
        try (Machine m = new Machine()) {
            m.mem.write32(Machine.DATA, 5);
            m.mem.write32(Machine.DATA + 4, 6);
            m.cpu.r[Cpu.EAX] = 5;
            m.cpu.r[Cpu.EDX] = 6;
            m.cpu.r[Cpu.EBX] = 0x11;
            m.cpu.r[Cpu.ECX] = 0x22;
            m.code(0xf0, 0x0f, 0xc7, 0x0d, 0x00, 0x00, 0x02, 0x00, 0xf4);   // lock cmpxchg8b [DATA]
            m.run(100);
            assertEquals(0x11, m.mem.read32(Machine.DATA));
            assertEquals(0x22, m.mem.read32(Machine.DATA + 4));
            assertTrue(m.cpu.zf());
        }
        try (Machine m = run(1, 2, 0, 0, 0x0f, 0xc1, 0xd8)) {          // xadd eax, ebx
            assertEquals(3, m.cpu.r[Cpu.EAX]);
            assertEquals(1, m.cpu.r[Cpu.EBX]);
        }
    }

    @Test
    void stringOpsWithRep() {
        try (Machine m = new Machine()) {
            for (int i = 0; i < 16; i++) {
                m.mem.write8(Machine.DATA + i, i + 1);
            }
            m.cpu.r[Cpu.ESI] = Machine.DATA;
            m.cpu.r[Cpu.EDI] = Machine.DATA + 0x100;
            m.cpu.r[Cpu.ECX] = 4;
            m.code(0xf3, 0xa5, 0xf4);                                   // rep movsd
            m.run(100);
            assertEquals(0x04030201, m.mem.read32(Machine.DATA + 0x100));
            assertEquals(0x100f0e0d, m.mem.read32(Machine.DATA + 0x10c));
            assertEquals(0, m.cpu.r[Cpu.ECX]);
            assertEquals(Machine.DATA + 0x110, m.cpu.r[Cpu.EDI]);
        }
        try (Machine m = new Machine()) {
            m.mem.write32(Machine.DATA, 0x00616161);                    // "aaa\0"
            m.cpu.r[Cpu.EDI] = Machine.DATA;
            m.cpu.r[Cpu.ECX] = -1;
            m.cpu.r[Cpu.EAX] = 0;
            m.code(0xf2, 0xae, 0xf4);                                   // repne scasb: strlen
            m.run(100);
            assertEquals(-1 - 4, m.cpu.r[Cpu.ECX]);
            assertTrue(m.cpu.zf());
        }
    }

    /**
     * REP MOVS / STOS run a page-sized chunk at a time when the soft TLB maps both pages;
     * the result must be the element-by-element one: a copy onto its own source shifted by
     * one element repeats the pattern, and a fill across a page boundary and a copy that
     * reaches an unmapped page stop exactly where the iterations do.
     */
    @Test
    void repeatedMovsAndStosMatchTheIterations() {
        try (Machine m = new Machine()) {
            m.mem.write32(Machine.DATA, 0xcafe0001);
            m.mem.write32(Machine.DATA + 4, 0x11111111);
            m.cpu.r[Cpu.ESI] = Machine.DATA;
            m.cpu.r[Cpu.EDI] = Machine.DATA + 4;
            m.cpu.r[Cpu.ECX] = 300;
            m.code(0xf3, 0xa5, 0xf4);                                   // rep movsd onto source + 4
            m.run(10_000);
            for (int k = 0; k <= 300; k++) {
                assertEquals(0xcafe0001, m.mem.read32(Machine.DATA + 4L * k), "dword " + k);
            }
            assertEquals(0, m.cpu.r[Cpu.ECX]);
            assertEquals(Machine.DATA + 4 + 1200, m.cpu.r[Cpu.EDI]);
            assertEquals(Machine.DATA + 1200, m.cpu.r[Cpu.ESI]);
        }
        try (Machine m = new Machine()) {
            m.mem.write32(Machine.DATA + 0x5002, 0x12345678);
            m.cpu.r[Cpu.EDI] = Machine.DATA + 0x0ffa;                  // 6 bytes before a page boundary
            m.cpu.r[Cpu.ECX] = 0x2004;                                 // 0x4008 bytes, up to DATA + 0x5002
            m.cpu.r[Cpu.EAX] = 0xbeef;
            m.code(0xf3, 0x66, 0xab, 0xf4);                             // rep stosw
            long before = m.cpu.instructions;
            m.run(100_000);
            for (int k = 0; k < 0x2004; k++) {
                assertEquals(0xbeef, m.mem.read16(Machine.DATA + 0x0ffa + 2L * k), "word " + k);
            }
            assertEquals(0x12345678, m.mem.read32(Machine.DATA + 0x5002), "beyond the last iteration");
            assertEquals(Machine.DATA + 0x0ffa + 0x4008, m.cpu.r[Cpu.EDI]);
            int batches = (0x2004 + StringOps.BATCH - 1) / StringOps.BATCH;   // each call of a batch counts as one too
            assertEquals(0x2004 + batches + 1, m.cpu.instructions - before, "each iteration, each batch, and hlt");
        }
        try (Machine m = new Machine()) {
            // identity paging with the page after DATA + 0x1000 not present
            int pd = 0x300000, pt = 0x301000;
            m.mem.write32(pd, pt | 3);
            for (int i = 0; i < 1024; i++) {
                m.mem.write32(pt + 4L * i, (i << 12) | 3);
            }
            m.mem.write32(pt + 4L * ((Machine.DATA >> 12) + 2), 0);
            m.cpu.writeCr(3, pd);
            m.cpu.writeCr(0, m.cpu.cr0 | Cpu.CR0_PG);
            for (int k = 0; k < 0x1000; k++) {
                m.mem.write8(Machine.DATA + 0x10000L + k, k * 7);
            }
            m.cpu.r[Cpu.ESI] = Machine.DATA + 0x10000;
            m.cpu.r[Cpu.EDI] = Machine.DATA + 0x1800;
            m.cpu.r[Cpu.ECX] = 0x1000;
            m.code(0xf3, 0xa4, 0xf4);                                   // rep movsb into the missing page
            assertEquals(Fault.PF, m.runToVector());
            assertEquals(0x800, m.cpu.r[Cpu.ECX], "the iterations before the missing page completed");
            assertEquals(Machine.DATA + 0x2000, m.cpu.r[Cpu.EDI]);
            assertEquals(Machine.DATA + 0x2000, m.cpu.cr2);
            for (int k = 0; k < 0x800; k++) {
                assertEquals((k * 7) & 0xff, m.mem.read8(Machine.DATA + 0x1800L + k), "byte " + k);
            }
        }
    }

    @Test
    void lockOnRegisterOperandAndOverlongInstructionsFault() {
        try (Machine m = new Machine()) {
            m.code(0xf0, 0x01, 0xc0, 0xf4);                             // lock add eax, eax
            assertEquals(Fault.UD, m.runToVector());
        }
        try (Machine m = new Machine()) {
            int[] code = new int[17];
            java.util.Arrays.fill(code, 0, 15, 0x66);                    // 15 prefixes then nop: 16 bytes
            code[15] = 0x90;
            code[16] = 0xf4;
            m.code(code);
            assertEquals(Fault.GP, m.runToVector());
        }
        try (Machine m = new Machine()) {
            m.code(0x0f, 0x0b);                                         // ud2
            assertEquals(Fault.UD, m.runToVector());
        }
    }

    @Test
    void cpuidDescribesTheCore2Model() {
        try (Machine m = run(1, 0, 0, 0, 0x0f, 0xa2)) {
            assertEquals(0x6f6, m.cpu.r[Cpu.EAX], "family 6, model 15, stepping 6");
            int edx = m.cpu.r[Cpu.EDX];
            int all = CpuId.CX8 | CpuId.SEP | CpuId.CMOV | CpuId.PAE | CpuId.PGE | CpuId.PSE | CpuId.PAT | CpuId.MMX
                    | CpuId.FXSR | CpuId.SSE | CpuId.SSE2 | CpuId.CLFSH | CpuId.DE;
            assertEquals(all, edx & all);
            assertEquals(0, edx & (1 << 9), "no APIC is advertised on a machine without one");
            assertEquals(0, edx & (1 << 7 | 1 << 14), "no MCE/MCA: not implemented");
            assertEquals(CpuId.SSE3 | CpuId.SSSE3, m.cpu.r[Cpu.ECX]);
            assertEquals(8 << 8, m.cpu.r[Cpu.EBX] & 0xff00, "CLFLUSH line: 64 bytes");
        }
        // the brand string, leaves 0x80000002-4
        StringBuilder brand = new StringBuilder();
        for (int leaf = 0x80000002; leaf <= 0x80000004; leaf++) {
            try (Machine m = run(leaf, 0, 0, 0, 0x0f, 0xa2)) {
                for (int r : new int[] {Cpu.EAX, Cpu.EBX, Cpu.ECX, Cpu.EDX}) {
                    for (int k = 0; k < 4; k++) {
                        int ch = (m.cpu.r[r] >>> (8 * k)) & 0xff;
                        if (ch != 0) {
                            brand.append((char) ch);
                        }
                    }
                }
            }
        }
        assertEquals(CpuId.BRAND, brand.toString());
        try (Machine m = run(0x0a, 0, 0, 0, 0x0f, 0xa2)) {
            assertEquals(1, m.cpu.r[Cpu.EAX] & 0xff, "architectural performance monitoring version 1");
            assertEquals(2, (m.cpu.r[Cpu.EAX] >>> 8) & 0xff, "two counters");
        }
    }

    @Test
    void selfModifyingCodeIsSeen() {
        try (Machine m = new Machine()) {
            // L: mov eax, imm32 (at CODE) ; inc ecx ; cmp ecx, 2 ; je done ;
            //    mov dword [CODE+1], 0x77 ; jmp L ; done: hlt
            m.code(0xb8, 0x11, 0, 0, 0,
                    0x41,
                    0x83, 0xf9, 0x02,
                    0x74, 0x0c,
                    0xc7, 0x05, 0x01, 0x00, 0x01, 0x00, 0x77, 0, 0, 0,
                    0xeb, 0xe9,
                    0xf4);
            assertEquals(ExecutionEngine.Exit.HALTED, m.run(1000));
            assertEquals(0x77, m.cpu.r[Cpu.EAX], "the patched immediate was executed");
            assertTrue(m.engine.codeCache().invalidations() >= 1);
        }
    }

    @Test
    void stiShadowDelaysInterruptByOneInstruction() {
        try (Machine m = new Machine()) {
            boolean[] pending = {true};
            m.cpu.interrupts = new InterruptSource() {
                @Override
                public boolean hasInterrupt() {
                    return pending[0];
                }

                @Override
                public int acknowledge() {
                    pending[0] = false;
                    return 0x30;
                }
            };
            m.code(0xfb, 0x41, 0x41, 0xf4);   // sti ; inc ecx ; inc ecx ; hlt
            assertEquals(0x30, m.runToVector());
            assertEquals(Machine.CODE + 2, m.stackTop(0), "delivered after the instruction following sti");
            assertEquals(1, m.cpu.r[Cpu.ECX]);
        }
    }

    @Test
    void singleStepTrapsAfterEachRepIteration() {
        try (Machine m = new Machine()) {
            m.cpu.r[Cpu.ESI] = Machine.DATA;
            m.cpu.r[Cpu.EDI] = Machine.DATA + 0x100;
            m.cpu.r[Cpu.ECX] = 3;
            m.cpu.setEflags(0x2 | Flags.TF);
            m.code(0xf3, 0xa4, 0xf4);                                   // rep movsb
            assertEquals(Fault.DB, m.runToVector());
            assertEquals(2, m.cpu.r[Cpu.ECX], "one iteration, then the trap");
            assertEquals(Machine.CODE, m.stackTop(0), "the trap returns to the string instruction");
            assertTrue((m.cpu.dr[6] & 0x4000) != 0, "DR6.BS");
        }
    }

    /** DR0 watching the dword at DATA with R/W and LEN from {@code rwLen} (bits 16-19 of DR7 for DR0). */
    private static Machine watched(int rwLen, int... code) {
        Machine m = new Machine();
        m.cpu.writeDebugRegister(0, Machine.DATA);
        m.cpu.writeDebugRegister(7, 0x1 | (rwLen << 16));   // L0
        m.code(code);
        return m;
    }

    @Test
    void dataBreakpointsTrapAfterTheAccess() {
        // mov [DATA+2], ax hits a write watch on DATA..DATA+3 (R/W 01, LEN 11 = 4 bytes)
        try (Machine m = watched(0xd, 0x66, 0xa3, 0x02, 0x00, 0x02, 0x00, 0x90, 0xf4)) {
            assertEquals(Fault.DB, m.runToVector());
            assertEquals(Machine.CODE + 6, m.stackTop(0), "a trap: return address after the mov");
            assertEquals(1, m.cpu.dr[6] & 0xf, "DR6.B0");
        }
        // a read does not hit a write-only watch; the hlt then runs (and halts in ring 0: no vector)
        try (Machine m = watched(0xd, 0xa1, 0x00, 0x00, 0x02, 0x00, 0xf4)) {
            assertEquals(ExecutionEngine.Exit.HALTED, m.run(1000));
            assertEquals(-1, m.vectorTaken());
        }
        // R/W 11 catches reads
        try (Machine m = watched(0xf, 0xa1, 0x00, 0x00, 0x02, 0x00, 0x90, 0xf4)) {
            assertEquals(Fault.DB, m.runToVector());
            assertEquals(Machine.CODE + 5, m.stackTop(0));
        }
        // a byte outside the 4-byte range does not hit
        try (Machine m = watched(0xd, 0xa2, 0x04, 0x00, 0x02, 0x00, 0xf4)) {
            assertEquals(ExecutionEngine.Exit.HALTED, m.run(1000));
            assertEquals(-1, m.vectorTaken());
        }
    }
}
