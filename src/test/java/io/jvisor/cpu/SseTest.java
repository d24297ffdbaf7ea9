package io.jvisor.cpu;

import io.jvisor.testing.Machine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** SSE/SSE2 floating point through the decoder and both tiers: results, MXCSR flags, #XM, the CR0/CR4 rules. */
class SseTest {
    static Machine sse() {
        Machine m = new Machine();
        m.cpu.writeCr(4, m.cpu.cr4 | Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT);
        return m;
    }

    static void setPs(Machine m, int reg, float... v) {
        m.cpu.xmm[2 * reg] = (Float.floatToRawIntBits(v[0]) & 0xffff_ffffL) | (long) Float.floatToRawIntBits(v[1]) << 32;
        m.cpu.xmm[2 * reg + 1] = (Float.floatToRawIntBits(v[2]) & 0xffff_ffffL) | (long) Float.floatToRawIntBits(v[3]) << 32;
    }

    static float ps(Machine m, int reg, int k) {
        return Float.intBitsToFloat((int) (m.cpu.xmm[2 * reg + (k >> 1)] >>> (32 * (k & 1))));
    }

    static double pd(Machine m, int reg, int k) {
        return Double.longBitsToDouble(m.cpu.xmm[2 * reg + k]);
    }

    @Test
    void packedSingleArithmetic() {
        try (Machine m = sse()) {
            setPs(m, 0, 1.5f, -2f, 1e30f, 3f);
            setPs(m, 1, 0.25f, 4f, 1e30f, 0f);
            m.code(0x0f, 0x58, 0xc1,        // addps xmm0, xmm1
                   0x0f, 0x59, 0xc1,        // mulps xmm0, xmm1
                   0xf4);
            m.run(100);
            assertEquals((1.5f + 0.25f) * 0.25f, ps(m, 0, 0));
            assertEquals((-2f + 4f) * 4f, ps(m, 0, 1));
            assertEquals(Float.POSITIVE_INFINITY, ps(m, 0, 2), "2e30 * 1e30 overflows");
            assertEquals(0f, ps(m, 0, 3));
            assertEquals(0x1f80 | 0x08 | 0x20, m.cpu.fpu.mxcsr(), "overflow and precision flags");
        }
    }

    @Test
    void scalarDoubleConversionsAndCompare() {
        try (Machine m = sse()) {
            m.cpu.r[Cpu.EAX] = -7;
            m.cpu.r[Cpu.ECX] = 2;
            m.code(0xf2, 0x0f, 0x2a, 0xc0,  // cvtsi2sd xmm0, eax
                   0xf2, 0x0f, 0x2a, 0xc9,  // cvtsi2sd xmm1, ecx
                   0xf2, 0x0f, 0x5e, 0xc1,  // divsd xmm0, xmm1  (-3.5)
                   0xf2, 0x0f, 0x2d, 0xd8,  // cvtsd2si ebx, xmm0 (nearest even: -4)
                   0xf2, 0x0f, 0x2c, 0xd0,  // cvttsd2si edx, xmm0 (-3)
                   0x66, 0x0f, 0x2f, 0xc1,  // comisd xmm0, xmm1: less -> CF
                   0xf4);
            m.run(100);
            assertEquals(-3.5, pd(m, 0, 0));
            assertEquals(-4, m.cpu.r[Cpu.EBX]);
            assertEquals(-3, m.cpu.r[Cpu.EDX]);
            assertEquals(Flags.CF, m.cpu.getEflags() & (Flags.CF | Flags.ZF | Flags.PF));
            assertEquals(0x1f80 | 0x20, m.cpu.fpu.mxcsr(), "the conversions dropped a fraction: precision");
        }
    }

    @Test
    void unmaskedDivideByZeroRaisesXmAndWritesNothing() {
        try (Machine m = sse()) {
            m.cpu.fpu.setMxcsr(0x1f80 & ~0x200);   // divide-by-zero unmasked
            setPs(m, 0, 1f, 1f, 1f, 1f);
            setPs(m, 1, 2f, 0f, 2f, 2f);
            m.code(0x0f, 0x5e, 0xc1);   // divps xmm0, xmm1
            assertEquals(Fault.XM, m.runToVector());
            assertEquals(1f, ps(m, 0, 0), "destination unchanged");
            assertEquals(0x1f80 & ~0x200 | 0x4, m.cpu.fpu.mxcsr(), "ZE set, the post-computation PE not");
        }
        try (Machine m = new Machine()) {
            m.cpu.writeCr(4, m.cpu.cr4 | Cpu.CR4_OSFXSR);   // no OSXMMEXCPT: #UD instead
            m.cpu.fpu.setMxcsr(0x1f80 & ~0x200);
            setPs(m, 0, 1f, 1f, 1f, 1f);
            setPs(m, 1, 0f, 0f, 0f, 0f);
            m.code(0x0f, 0x5e, 0xc1);
            assertEquals(Fault.UD, m.runToVector());
        }
    }

    @Test
    void stateChecks() {
        try (Machine m = new Machine()) {
            m.code(0x0f, 0x58, 0xc1);   // addps without CR4.OSFXSR
            assertEquals(Fault.UD, m.runToVector());
        }
        try (Machine m = sse()) {
            m.cpu.writeCr(0, m.cpu.cr0 | Cpu.CR0_TS);
            m.code(0x0f, 0x58, 0xc1);
            assertEquals(Fault.NM, m.runToVector());
        }
        try (Machine m = new Machine()) {
            m.cpu.writeCr(0, m.cpu.cr0 | Cpu.CR0_EM);
            m.code(0x0f, 0xfc, 0xc1);   // paddb mm0, mm1 with CR0.EM: #UD
            assertEquals(Fault.UD, m.runToVector());
        }
        try (Machine m = sse()) {
            Machine.class.getName();
            m.code(0x0f, 0x28, 0x05, 0x08, 0x00, 0x02, 0x00);   // movaps xmm0, [0x20008]: misaligned
            assertEquals(Fault.GP, m.runToVector());
        }
    }

    @Test
    void mmxAliasesTheX87Registers() {
        try (Machine m = new Machine()) {
            m.cpu.r[Cpu.EAX] = 0x01020304;
            m.code(0x0f, 0x6e, 0xc0,        // movd mm0, eax
                   0x0f, 0xfc, 0xc0,        // paddb mm0, mm0
                   0x0f, 0x7e, 0xc3,        // movd ebx, mm0
                   0xf4);
            m.run(100);
            assertEquals(0x02040608, m.cpu.r[Cpu.EBX]);
            assertEquals(0, m.cpu.fpu.abridgedTagWord() ^ 0xff, "all x87 registers valid in MMX state");
            m.cpu.halted = false;
            m.code(0x0f, 0x77, 0xf4);       // emms
            m.run(100);
            assertEquals(0, m.cpu.fpu.abridgedTagWord(), "EMMS empties them");
        }
    }

    @Test
    void ssse3() {
        try (Machine m = sse()) {
            m.cpu.xmm[0] = 0x0706_0504_0302_0100L;    // xmm0: byte k holds k
            m.cpu.xmm[1] = 0x0f0e_0d0c_0b0a_0908L;
            m.cpu.xmm[2] = 0x0001_0203_0405_0607L;    // xmm1: selectors 7..0, then 0x80 (zero) and 14..8
            m.cpu.xmm[3] = 0x0809_0a0b_0c0d_0e80L;
            Simd.setMmRegister(m.cpu, 1, 0x0004_0003_0002_0001L);
            Simd.setMmRegister(m.cpu, 2, 0x0040_0030_0020_0010L);
            m.code(0x66, 0x0f, 0x38, 0x00, 0xc1,       // pshufb xmm0, xmm1
                   0x0f, 0x38, 0x01, 0xca,             // phaddw mm1, mm2
                   0x66, 0x0f, 0x3a, 0x0f, 0xd0, 0x03, // palignr xmm2, xmm0, 3
                   0xf4);
            m.run(100);
            assertEquals(0x0001_0203_0405_0607L, m.cpu.xmm[0], "bytes 7..0");
            assertEquals(0x0809_0a0b_0c0d_0e00L, m.cpu.xmm[1], "a zeroed byte, then bytes 14..8");
            assertEquals(0x0070_0030_0007_0003L, Simd.mmRegister(m.cpu, 1), "pairwise sums: mm1's, then mm2's");
            // (xmm2:xmm0) >> 24 bytes-wise: xmm0's bytes 3..15, then xmm2's (zero) bytes 0..2
            assertEquals(0x0d0e_0000_0102_0304L, m.cpu.xmm[4], "palignr low half");
            assertEquals(0x0000_0008_090a_0b0cL, m.cpu.xmm[5], "palignr high half");
        }
    }
}
