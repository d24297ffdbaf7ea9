package io.jvisor.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class X87Test extends X87Fixture {
    @Test
    void resetIsFninitState() {
        assertEquals(0x037f, f.controlWord());
        assertEquals(0, sw());
        assertEquals(0xffff, f.tagWord());
        assertEquals(0x1f80, f.mxcsr());
        assertTrue(X87.FXSR_IMPLEMENTED);
    }

    @Test
    void controlWordReservedBits() {
        fldcw(0x0000);
        m(0xD9, 7, 0x302);                       // fnstcw
        assertEquals(0x0040, mem.read16(0x302));
        fldcw(0xffff);
        m(0xD9, 7, 0x302);
        assertEquals(0x1f7f, mem.read16(0x302));
    }

    // =====================================================================================
    // Loads and stores

    @Test
    void m64RoundTripsBitExactly() {
        long[] values = {
            Double.doubleToRawLongBits(1.0), Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(Math.PI),
            Double.doubleToRawLongBits(Double.MAX_VALUE), Double.doubleToRawLongBits(Double.MIN_NORMAL),
            Double.doubleToRawLongBits(Double.MIN_VALUE), 0x000F_FFFF_FFFF_FFFFL,            // denormals
            0x7ff0_0000_0000_0000L, 0xfff0_0000_0000_0000L,                                  // infinities
            0x7ff8_0000_0000_1234L, 0xfff8_0000_0000_0000L,                                  // QNaNs
        };
        for (long v : values) {
            mem.write64(0x100, v);
            m(0xDD, 0, 0x100);
            assertEquals(v, fstpBits(), Long.toHexString(v));
        }
        assertEquals(0, f.top());
    }

    @Test
    void m64DenormalLoadSignalsDeAndConvertsExactly() {
        mem.write64(0x100, 1);                   // smallest denormal
        m(0xDD, 0, 0x100);
        assertTrue((sw() & DE) != 0);
        assertEquals(0x3fff - 1074, f.stSignExp(0));
        assertEquals(INT_BIT, f.stMantissa(0));
    }

    @Test
    void m64ToM80Formats() {
        fld(1.5);
        m(0xDB, 7, 0x200);                       // fstp m80
        assertEquals(0xC000_0000_0000_0000L, mem.read64(0x200));
        assertEquals(0x3fff, mem.read16(0x208));
        fld(Double.NEGATIVE_INFINITY);
        m(0xDB, 7, 0x200);
        assertEquals(INT_BIT, mem.read64(0x200));
        assertEquals(0xffff, mem.read16(0x208));
        fld(Double.MIN_VALUE);                   // 2^-1074 is normal in double extended
        m(0xDB, 7, 0x200);
        assertEquals(INT_BIT, mem.read64(0x200));
        assertEquals(16383 - 1074, mem.read16(0x208));
        fld(-0.0);
        m(0xDB, 7, 0x200);
        assertEquals(0, mem.read64(0x200));
        assertEquals(0x8000, mem.read16(0x208));
    }

    @Test
    void m80RoundTripsBitExactlyIncludingValuesBeyondDouble() {
        int[] se = {0x4000, 0x3fff, 0x7ffe, 0x0001, 0x0000, 0x0000, 0x7fff, 0xffff, 0x7fff, 0x3fff, 0x7fff};
        long[] m = {0xC90F_DAA2_2168_C235L, 0x8000_0000_0000_0001L, 0xFFFF_FFFF_FFFF_FFFFL, INT_BIT,
            1, INT_BIT, 0x8000_0000_0000_0001L /* SNaN, payload below double */, INDEF_M, INT_BIT,
            0x4000_0000_0000_0000L /* unnormal */, 0x4000_0000_0000_0000L /* pseudo-NaN */};
        for (int i = 0; i < se.length; i++) {
            mem.write8(0x20a, 0x5a);
            fld80(se[i], m[i]);
            m(0xDB, 7, 0x200);
            assertEquals(m[i], mem.read64(0x200), "mantissa " + i);
            assertEquals(se[i], mem.read16(0x208), "sign/exponent " + i);
            assertEquals(0x5a, mem.read8(0x20a), "no write past 10 bytes");
        }
        assertEquals(0, sw() & IE, "80-bit loads and stores raise no invalid");
    }

    @Test
    void m80ToDoubleRounds() {
        fld80(0x4000, 0xC90F_DAA2_2168_C235L);   // pi
        assertEquals(Math.PI, fstp());
        fld80(0x3fff, 0x8000_0000_0000_0400L);   // 1 + 2^-53: tie, rounds to even (1.0)
        assertEquals(1.0, fstp());
        fld80(0x3fff, 0x8000_0000_0000_0401L);   // just above the tie
        assertEquals(Math.nextUp(1.0), fstp());
        fld80(0x7000, INT_BIT);                  // 2^12289: overflows double
        assertEquals(Double.POSITIVE_INFINITY, fstp());
        assertTrue((sw() & (OE | PE)) == (OE | PE));
    }

    @Test
    void m32LoadsAndStores() {
        mem.write32(0x100, Float.floatToRawIntBits(-2.75f));
        m(0xD9, 0, 0x100);
        assertEquals(-2.75, f.st(0));
        m(0xD9, 3, 0x104);                       // fstp m32
        assertEquals(Float.floatToRawIntBits(-2.75f), mem.read32(0x104));
        // denormal single: DE, exact
        mem.write32(0x100, 1);
        m(0xD9, 0, 0x100);
        assertTrue((sw() & DE) != 0);
        assertEquals(0x1p-149, f.st(0));
        m(0xD9, 3, 0x104);
        assertEquals(1, mem.read32(0x104));
        assertEquals(0, f.top());
    }

    @Test
    void m32SignalingNanIsQuietedWithInvalid() {
        mem.write32(0x100, 0x7f80_0001);
        m(0xD9, 0, 0x100);
        assertTrue((sw() & IE) != 0);
        assertEquals(0, sw() & SF);
        m(0xD9, 3, 0x104);
        assertEquals(0x7fc0_0001, mem.read32(0x104));
    }

    @Test
    void m32StoreHonoursRoundingControl() {
        double x = 1.0 / 3;
        float rn = (float) x;
        float down = rn > x ? Math.nextDown(rn) : rn;
        float up = rn < x ? Math.nextUp(rn) : rn;
        int[][] modes = {{RC_NEAREST, Float.floatToRawIntBits(rn)}, {RC_DOWN, Float.floatToRawIntBits(down)},
            {RC_UP, Float.floatToRawIntBits(up)}, {RC_ZERO, Float.floatToRawIntBits(down)}};
        for (int[] mode : modes) {
            fldcw(mode[0]);
            fnclex();
            fld(x);
            m(0xD9, 3, 0x104);
            assertEquals(mode[1], mem.read32(0x104), Integer.toHexString(mode[0]));
            assertTrue((sw() & PE) != 0);
        }
        fldcw(RC_UP);
        fld(-x);
        m(0xD9, 3, 0x104);
        assertEquals(-down, Float.intBitsToFloat(mem.read32(0x104)));
    }

    @Test
    void m32StoreOverflowAndUnderflow() {
        fld(1e300);
        m(0xD9, 3, 0x104);
        assertEquals(0x7f80_0000, mem.read32(0x104));
        assertEquals(OE | PE, sw() & (OE | PE));
        fnclex();
        fldcw(RC_ZERO);
        fld(-1e300);
        m(0xD9, 3, 0x104);
        assertEquals(-Float.MAX_VALUE, Float.intBitsToFloat(mem.read32(0x104)));
        fldcw(RC_NEAREST);
        fnclex();
        fld(1e-40);
        m(0xD9, 3, 0x104);
        assertEquals((float) 1e-40, Float.intBitsToFloat(mem.read32(0x104)));
        assertEquals(UE | PE, sw() & (UE | PE | OE));
        fnclex();
        fld(0.5);                                // exact: no flags
        m(0xD9, 3, 0x104);
        assertEquals(0, sw() & (UE | PE | OE));
    }

    @Test
    void unmaskedOverflowOnStoreSkipsStoreAndPop() {
        fldcw(RC_NEAREST & ~OE);
        fld(1e300);
        mem.write32(0x104, 0x12345678);
        m(0xD9, 3, 0x104);
        assertEquals(0x12345678, mem.read32(0x104));
        assertEquals(7, f.top());
        assertTrue((sw() & (OE | ES | B)) == (OE | ES | B));
    }

    @Test
    void integerLoadsAndStores() {
        mem.write16(0x100, -1234);
        m(0xDF, 0, 0x100);                       // fild m16
        assertEquals(-1234.0, f.st(0));
        mem.write32(0x104, -2_000_000_000);
        m(0xDB, 0, 0x104);                       // fild m32
        assertEquals(-2_000_000_000.0, f.st(0));
        m(0xDB, 2, 0x108);                       // fist m32
        assertEquals(-2_000_000_000, mem.read32(0x108));
        m(0xDB, 3, 0x108);                       // fistp m32
        m(0xDF, 3, 0x10c);                       // fistp m16
        assertEquals(0xffff & -1234, mem.read16(0x10c));
        assertEquals(0, f.top());
    }

    @Test
    void int64RoundTripsExactly() {
        long[] values = {Long.MAX_VALUE, Long.MIN_VALUE, (1L << 53) + 1, -123_456_789_012_345_678L, 0, -1};
        for (long v : values) {
            fildq(v);
            assertEquals(v, fistpq(), Long.toString(v));
        }
        assertEquals(0, sw() & (IE | PE));
        fildq((1L << 53) + 1);                   // through double: round to nearest even
        assertEquals(0x1p53, fstp());
    }

    @Test
    void fistpRoundingModes() {
        double[] xs = {2.5, -2.5, 3.5, -1.7, 0.4, -0.4};
        long[][] expect = {
            {2, -2, 4, -2, 0, 0},       // nearest even
            {2, -3, 3, -2, 0, -1},      // down
            {3, -2, 4, -1, 1, 0},       // up
            {2, -2, 3, -1, 0, 0},       // toward zero
        };
        int[] cws = {RC_NEAREST, RC_DOWN, RC_UP, RC_ZERO};
        for (int k = 0; k < 4; k++) {
            fldcw(cws[k]);
            for (int i = 0; i < xs.length; i++) {
                fld(xs[i]);
                assertEquals(expect[k][i], fistpq(), "mode " + k + " x " + xs[i]);
            }
        }
        assertTrue((sw() & PE) != 0);
    }

    @Test
    void fistpOutOfRangeIsInvalidWithIntegerIndefinite() {
        fld(40000);
        m(0xDF, 3, 0x100);                       // fistp m16
        assertEquals(0x8000, mem.read16(0x100));
        assertTrue((sw() & IE) != 0);
        fnclex();
        fld(Double.NaN);
        m(0xDB, 3, 0x104);
        assertEquals(0x8000_0000, mem.read32(0x104));
        assertTrue((sw() & IE) != 0);
        fnclex();
        fld(0x1p63);
        assertEquals(Long.MIN_VALUE, fistpq());
        assertTrue((sw() & IE) != 0);
        fnclex();
        fld(-0x1p63);                            // exactly representable
        assertEquals(Long.MIN_VALUE, fistpq());
        assertEquals(0, sw() & IE);
        fld(-32768.4);
        m(0xDF, 3, 0x100);
        assertEquals(0x8000, mem.read16(0x100));
        assertEquals(0, sw() & IE);
        assertEquals(0, f.top());
    }

    @Test
    void fbldAndFbstp() {
        mem.write64(0x100, 0x3456_7890_1234_5678L);
        mem.write16(0x108, 0x8012);
        m(0xDF, 4, 0x100);                       // fbld
        assertEquals(-123_456_789_012_345_678.0, f.st(0));
        m(0xDF, 6, 0x200);                       // fbstp
        assertEquals(0x3456_7890_1234_5678L, mem.read64(0x200));
        assertEquals(0x8012, mem.read16(0x208));
        m(0xDF, 4, 0x100);
        assertEquals(-123_456_789_012_345_678L, fistpq());
        fld(2.5);
        m(0xDF, 6, 0x200);
        assertEquals(2, mem.read64(0x200));
        assertEquals(0, mem.read16(0x208));
        fld(-0.0);
        m(0xDF, 6, 0x200);
        assertEquals(0, mem.read64(0x200));
        assertEquals(0x8000, mem.read16(0x208));
        fld(1e19);                               // too many digits: packed BCD indefinite
        m(0xDF, 6, 0x200);
        assertEquals(INDEF_M, mem.read64(0x200));
        assertEquals(0xffff, mem.read16(0x208));
        assertTrue((sw() & IE) != 0);
        assertEquals(0, f.top());
    }

    @Test
    void constants() {
        long[] m = {INT_BIT, 0xD49A_784B_CD1B_8AFEL, 0xB8AA_3B29_5C17_F0BCL, 0xC90F_DAA2_2168_C235L,
            0x9A20_9A84_FBCF_F799L, 0xB172_17F7_D1CF_79ACL, 0};
        int[] se = {0x3fff, 0x4000, 0x3fff, 0x4000, 0x3ffd, 0x3ffe, 0};
        for (int i = 0; i < 7; i++) {
            r(0xD9, 0xE8 + i);
            assertEquals(m[i], f.stMantissa(0), "constant " + i);
            assertEquals(se[i], f.stSignExp(0));
            r(0xDD, 0xD8);                       // fstp st0
        }
        fldcw(RC_DOWN);
        r(0xD9, 0xEB);                           // fldpi
        assertEquals(0xC90F_DAA2_2168_C234L, f.stMantissa(0));
        fldcw(RC_UP);
        r(0xD9, 0xE9);                           // fldl2t
        assertEquals(0xD49A_784B_CD1B_8AFFL, f.stMantissa(0));
        r(0xD9, 0xEB);
        assertEquals(0xC90F_DAA2_2168_C235L, f.stMantissa(0));
        fldcw(RC_NEAREST);
        r(0xD9, 0xEB);
        assertEquals(Math.PI, f.st(0));
    }

    // =====================================================================================
    // Register stack

    @Test
    void stackMovesAndTags() {
        fld(1);
        fld(2);
        fld(3);                                  // ST0=3 ST1=2 ST2=1, TOP=5
        assertEquals(5, f.top());
        assertEquals(0x03ff, f.tagWord());
        r(0xD9, 0xCA);                           // fxch st2
        assertEquals(1.0, f.st(0));
        assertEquals(3.0, f.st(2));
        r(0xD9, 0xC1);                           // fld st1
        assertEquals(2.0, f.st(0));
        r(0xDD, 0xD3);                           // fst st3 (old ST2 = 3)
        assertEquals(2.0, f.st(3));
        r(0xDD, 0xC1);                           // ffree st1
        assertEquals(3, (f.tagWord() >> (2 * ((f.top() + 1) & 7))) & 3);
        r(0xD9, 0xF7);                           // fincstp
        assertEquals(5, f.top());
        assertEquals(Double.NaN, f.st(0));       // freed register is empty
        r(0xD9, 0xF6);                           // fdecstp
        assertEquals(4, f.top());
        r(0xDF, 0xC0);                           // ffreep st0
        assertEquals(5, f.top());
        fldz();
        assertEquals(1, (f.tagWord() >> (2 * f.top())) & 3, "zero tag");
        fld80(0x7fff, INT_BIT);
        assertEquals(2, (f.tagWord() >> (2 * f.top())) & 3, "special tag");
    }

    void fldz() {
        r(0xD9, 0xEE);
    }

    @Test
    void stackOverflowMasked() {
        for (int i = 0; i < 8; i++) {
            r(0xD9, 0xE8);                       // fld1
        }
        assertEquals(0, sw() & IE);
        r(0xD9, 0xE8);
        assertEquals(IE | SF | C1, sw() & (IE | SF | C1));
        assertEquals(0xffff, f.stSignExp(0));
        assertEquals(INDEF_M, f.stMantissa(0));
        assertEquals(7, f.top());
    }

    @Test
    void stackUnderflowMasked() {
        r(0xD8, 0xC1);                           // fadd st0, st1 on an empty stack
        assertEquals(IE | SF, sw() & (IE | SF | C1));
        assertEquals(0xffff, f.stSignExp(0));
        assertEquals(INDEF_M, f.stMantissa(0));
        fnclex();
        fninit();
        m(0xDD, 3, 0x200);                       // fstp m64 of empty: stores the indefinite
        assertEquals(0xfff8_0000_0000_0000L, mem.read64(0x200));
        assertEquals(IE | SF, sw() & (IE | SF | C1));
        fninit();
        r(0xD9, 0xC9);                           // fxch with empties: both become indefinite
        assertEquals(INDEF_M, f.stMantissa(0));
        assertEquals(INDEF_M, f.stMantissa(1));
    }

    @Test
    void stackUnderflowUnmaskedLeavesStateAlone() {
        fldcw(RC_NEAREST & ~IE);
        fld(5);
        int tags = f.tagWord();
        r(0xDE, 0xC1);                           // faddp st1, st0: ST1 is empty
        assertEquals(7, f.top());
        assertEquals(5.0, f.st(0));
        assertEquals(tags, f.tagWord());
        assertEquals(IE | SF | ES | B, sw() & (IE | SF | ES | B));
    }

    @Test
    void fcmov() {
        fld(1);
        fld(2);                                  // ST0=2 ST1=1
        cpu.setArithFlags(Flags.CF);
        r(0xDB, 0xC1);                           // fcmovnb: CF set, no move
        assertEquals(2.0, f.st(0));
        r(0xDA, 0xC1);                           // fcmovb
        assertEquals(1.0, f.st(0));
        fld(7);
        cpu.setArithFlags(Flags.ZF);
        r(0xDA, 0xD2);                           // fcmovbe st2 (ZF)
        assertEquals(1.0, f.st(0));
        fld(9);
        r(0xDB, 0xC9);                           // fcmovne: ZF set, no move
        assertEquals(9.0, f.st(0));
        cpu.setArithFlags(Flags.PF);
        r(0xDA, 0xD9);                           // fcmovu st1
        assertEquals(1.0, f.st(0));
        r(0xDB, 0xD9);                           // fcmovnu: no move
        assertEquals(1.0, f.st(0));
    }

    // =====================================================================================
    // Arithmetic

    @Test
    void arithmeticWithMemoryOperands() {
        fld(10);
        mem.write64(0x100, Double.doubleToRawLongBits(4));
        m(0xDC, 4, 0x100);                       // fsub m64
        assertEquals(6.0, f.st(0));
        m(0xDC, 5, 0x100);                       // fsubr m64: 4 - 6
        assertEquals(-2.0, f.st(0));
        m(0xDC, 1, 0x100);                       // fmul
        assertEquals(-8.0, f.st(0));
        m(0xDC, 6, 0x100);                       // fdiv
        assertEquals(-2.0, f.st(0));
        m(0xDC, 7, 0x100);                       // fdivr: 4 / -2
        assertEquals(-2.0, f.st(0));
        m(0xDC, 0, 0x100);                       // fadd
        assertEquals(2.0, f.st(0));
        mem.write32(0x108, Float.floatToRawIntBits(0.5f));
        m(0xD8, 0, 0x108);                       // fadd m32
        assertEquals(2.5, f.st(0));
        mem.write16(0x10c, -3);
        m(0xDE, 1, 0x10c);                       // fimul m16
        assertEquals(-7.5, f.st(0));
        mem.write32(0x110, 100);
        m(0xDA, 0, 0x110);                       // fiadd m32
        assertEquals(92.5, f.st(0));
        m(0xDA, 5, 0x110);                       // fisubr m32
        assertEquals(7.5, f.st(0));
        m(0xDE, 7, 0x10c);                       // fidivr m16: -3 / 7.5
        assertEquals(-3 / 7.5, f.st(0));
        fld(0.1);
        mem.write64(0x100, Double.doubleToRawLongBits(0.2));
        m(0xDC, 0, 0x100);
        assertEquals(0.1 + 0.2, f.st(0));
    }

    @Test
    void registerArithmeticOperandOrder() {
        fld(10);
        fld(4);                                  // ST0=4 ST1=10
        r(0xD8, 0xE1);                           // fsub st0, st1: 4 - 10
        assertEquals(-6.0, f.st(0));
        r(0xD8, 0xE9);                           // fsubr st0, st1: 10 - -6
        assertEquals(16.0, f.st(0));
        r(0xD8, 0xF1);                           // fdiv st0, st1: 16 / 10
        assertEquals(1.6, f.st(0));
        r(0xD8, 0xF9);                           // fdivr st0, st1: 10 / 1.6
        assertEquals(10 / 1.6, f.st(0));
        fninit();
        fld(10);
        fld(4);
        r(0xDC, 0xE9);                           // fsub st1, st0 (DC E8+i): 10 - 4
        assertEquals(6.0, f.st(1));
        r(0xDC, 0xE1);                           // fsubr st1, st0 (DC E0+i): 4 - 6
        assertEquals(-2.0, f.st(1));
        r(0xDC, 0xF9);                           // fdiv st1, st0 (DC F8+i): -2 / 4
        assertEquals(-0.5, f.st(1));
        r(0xDC, 0xF1);                           // fdivr st1, st0 (DC F0+i): 4 / -0.5
        assertEquals(-8.0, f.st(1));
        r(0xDC, 0xC9);                           // fmul st1, st0
        assertEquals(-32.0, f.st(1));
        r(0xDE, 0xC1);                           // faddp st1, st0
        assertEquals(-28.0, f.st(0));
        assertEquals(7, f.top());
        fld(2);
        r(0xDE, 0xE9);                           // fsubp st1, st0: -28 - 2
        assertEquals(-30.0, f.st(0));
        fld(3);
        r(0xDE, 0xF9);                           // fdivp st1, st0: -30 / 3
        assertEquals(-10.0, f.st(0));
        fld(5);
        r(0xDE, 0xF1);                           // fdivrp st1, st0: 5 / -10
        assertEquals(-0.5, f.st(0));
        fld(1);
        r(0xDE, 0xE1);                           // fsubrp st1, st0: 1 - -0.5
        assertEquals(1.5, f.st(0));
        assertEquals(7, f.top());
    }

    @Test
    void directedRoundingInArithmetic() {
        double[] res = new double[4];
        int[] cws = {RC_NEAREST, RC_DOWN, RC_UP, RC_ZERO};
        for (int k = 0; k < 4; k++) {
            fninit();
            fldcw(cws[k]);
            fld(1);
            fld(3);
            r(0xDE, 0xF9);                       // fdivp: 1/3
            assertTrue((sw() & PE) != 0);
            res[k] = fstp();
        }
        assertEquals(1.0 / 3, res[0]);
        assertEquals(Math.nextUp(res[1]), res[2]);
        assertEquals(res[1], res[3]);
        assertTrue(res[1] < 1.0 / 3 || res[2] > 1.0 / 3);
        // C1 = rounded up
        fninit();
        fldcw(RC_UP);
        fld(1);
        fld(3);
        r(0xDE, 0xF9);
        assertEquals(C1, sw() & C1);
        // exact zero sum is -0 when rounding down
        fninit();
        fldcw(RC_DOWN);
        fld(1);
        fld(-1);
        r(0xDE, 0xC1);
        assertEquals(0x8000, f.stSignExp(0));
        assertEquals(0, sw() & PE);
        // 1 + 2^-60 is exact in 64 bits; 1 + 2^-70 rounds up to 1 + 2^-63
        fninit();
        fldcw(RC_UP);
        fld(1);
        fld(0x1p-60);
        r(0xDE, 0xC1);
        assertEquals(INT_BIT | 8, f.stMantissa(0));
        assertEquals(0, sw() & PE);
        fninit();
        fldcw(RC_UP);
        fld(1);
        fld(0x1p-70);
        r(0xDE, 0xC1);
        assertEquals(INT_BIT | 1, f.stMantissa(0));
        assertEquals(PE | C1, sw() & (PE | C1));
        fninit();
        fldcw(RC_ZERO);
        fld(-1);
        fld(0x1p-70);
        r(0xDE, 0xE9);                           // -1 - 2^-70 toward zero
        assertEquals(-1.0, f.st(0));
        fninit();
        fld(Math.nextUp(1.0));
        fld(Math.nextUp(1.0));
        fldcw(RC_UP & PC53);
        r(0xDE, 0xC9);                           // fmulp at 53 bits: (1+u)^2 = 1+2u+u^2 rounds up to 1+3u
        assertEquals(1 + 3 * Math.ulp(1.0), f.st(0));
        fldcw(RC_NEAREST);
        fld(2);
        r(0xD9, 0xFA);
        assertEquals(0xb504_f333_f9de_6484L, f.stMantissa(0), "sqrt(2) to 64 bits");
    }

    @Test
    void sqrtRoundingMatchesDirections() {
        double[] out = new double[2];
        int[] cws = {RC_DOWN & PC53, RC_UP & PC53};
        for (int k = 0; k < 2; k++) {
            fninit();
            fldcw(cws[k]);
            fld(2);
            r(0xD9, 0xFA);
            out[k] = f.st(0);
        }
        assertEquals(Math.nextUp(out[0]), out[1]);
        assertTrue(Math.fma(out[0], out[0], -2) < 0);
        assertTrue(Math.fma(out[1], out[1], -2) > 0);
    }

    @Test
    void invalidOperationsGiveIndefinite() {
        fld(-1);
        r(0xD9, 0xFA);                           // fsqrt(-1)
        assertEquals(IE, sw() & (IE | SF));
        assertEquals(0xffff, f.stSignExp(0));
        assertEquals(INDEF_M, f.stMantissa(0));
        fninit();
        fld(Double.POSITIVE_INFINITY);
        fld(Double.POSITIVE_INFINITY);
        r(0xDE, 0xE9);                           // inf - inf
        assertEquals(0xfff8_0000_0000_0000L, fstpBits());
        fninit();
        fldz();
        fldz();
        r(0xDE, 0xF9);                           // 0/0
        assertTrue((sw() & IE) != 0);
        assertEquals(0xfff8_0000_0000_0000L, fstpBits());
        fninit();
        fld80(0x3fff, 0x4000_0000_0000_0000L);   // unnormal: unsupported
        fld(1);
        r(0xDE, 0xC1);
        assertTrue((sw() & IE) != 0);
        assertEquals(INDEF_M, f.stMantissa(0));
        fninit();
        fld(-0.0);
        r(0xD9, 0xFA);                           // sqrt(-0) = -0, no exception
        assertEquals(0, sw() & IE);
        assertEquals(0x8000, f.stSignExp(0));
    }

    @Test
    void nanPropagation() {
        mem.write64(0x180, 0x7ff0_0000_0000_0001L);   // SNaN
        fld(1);
        m(0xDC, 0, 0x180);                       // fadd m64 SNaN
        assertTrue((sw() & IE) != 0);
        assertEquals(0x7ff8_0000_0000_0001L, fstpBits());
        fninit();
        fld80(0x7fff, 0xC000_0000_0000_0001L);   // QNaN, small payload
        fld80(0xffff, 0xC000_0000_1000_0000L);   // QNaN, larger payload
        r(0xD8, 0xC1);
        assertEquals(0, sw() & IE);
        assertEquals(0xffff, f.stSignExp(0));
        assertEquals(0xC000_0000_1000_0000L, f.stMantissa(0));
    }

    @Test
    void divideByZeroMasked() {
        fld(-3);
        fldz();
        r(0xDE, 0xF9);                           // fdivp: -3 / 0
        assertEquals(ZE, sw() & (ZE | IE));
        assertEquals(Double.NEGATIVE_INFINITY, f.st(0));
    }

    @Test
    void overflowInArithmetic() {
        fld80(0x7ffe, INT_BIT);                  // 2^16383, the largest binade
        fld(2);
        r(0xDE, 0xC9);                           // fmulp: 2^16384 overflows the extended range
        assertEquals(0x7fff, f.stSignExp(0));
        assertEquals(INT_BIT, f.stMantissa(0), "+infinity");
        assertEquals(OE | PE | C1, sw() & (OE | PE | C1));
        fninit();
        fldcw(RC_ZERO);
        fld80(0x7ffe, INT_BIT);
        fld(2);
        r(0xDE, 0xC9);
        assertEquals(0x7ffe, f.stSignExp(0));
        assertEquals(-1L, f.stMantissa(0), "toward zero: the largest finite value");
        fninit();
        fld(1e308);
        fld(10);
        r(0xDE, 0xC9);                           // 1e309: no overflow in the extended range
        assertEquals(0, sw() & OE);
        // unmasked overflow (SDM 8.5.3): the result's exponent is wrapped by 2^24576, OE and ES set
        fninit();
        fldcw(RC_NEAREST & ~OE);
        fld80(0x7ffe, INT_BIT);
        fld(2);
        r(0xDE, 0xC9);
        assertEquals(0x7fff - 0x6000, f.stSignExp(0), "2^16384 / 2^24576: biased 0x7fff wrapped");
        assertEquals(INT_BIT, f.stMantissa(0));
        assertEquals(OE | ES, sw() & (OE | ES));
    }

    @Test
    void unmaskedUnderflowWrapsTheExponentUp() {
        fldcw(RC_NEAREST & ~UE);
        fld80(0x0001, INT_BIT);                  // 2^-16382, the smallest normal
        fld(0.5);
        r(0xDE, 0xC9);                           // 2^-16383: tiny
        assertEquals(0 + 0x6000, f.stSignExp(0), "2^-16383 * 2^24576");
        assertEquals(INT_BIT, f.stMantissa(0));
        assertEquals(UE | ES, sw() & (UE | ES));
        fninit();
        fld80(0x0001, INT_BIT);
        fld(0.5);
        r(0xDE, 0xC9);                           // masked and exact: a denormal, no flags
        assertEquals(0, f.stSignExp(0));
        assertEquals(INT_BIT >>> 1, f.stMantissa(0));
        assertEquals(0, sw() & (UE | PE));
    }

    @Test
    void precisionControlRoundsTheSignificand() {
        int[] pcs = {0x007f, 0x027f, 0x037f};   // 24, 53, 64 bits
        long[] third = {0xaaaa_ab00_0000_0000L, 0xaaaa_aaaa_aaaa_a800L, 0xaaaa_aaaa_aaaa_aaabL};
        for (int k = 0; k < 3; k++) {
            fninit();
            fldcw(pcs[k]);
            fld(1);
            fld(3);
            r(0xDE, 0xF9);                       // 1/3
            assertEquals(third[k], f.stMantissa(0), "precision control " + k);
            assertEquals(0x3ffd, f.stSignExp(0));
        }
    }

    @Test
    void fisttpTruncatesWhateverTheRoundingControl() {
        fldcw(RC_UP);
        fld(-2.75);
        m(0xDB, 1, 0x180);                       // fisttp m32int
        assertEquals(-2, mem.read32(0x180));
        assertEquals(0, f.top(), "popped");
        fld(1e10);
        m(0xDF, 1, 0x180);                       // fisttp m16int: out of range
        assertEquals(0x8000, mem.read16(0x180));
        assertEquals(IE, sw() & IE);
    }

    @Test
    void frndintHonoursRoundingControlExactly() {
        fld(2.5);
        r(0xD9, 0xFC);
        assertEquals(2.0, f.st(0));
        assertEquals(PE, sw() & (PE | C1));
        fninit();
        fldcw(RC_UP);
        fld(2.5);
        r(0xD9, 0xFC);
        assertEquals(3.0, f.st(0));
        assertEquals(PE | C1, sw() & (PE | C1));
        fldcw(RC_NEAREST);
        fld(-0.3);
        r(0xD9, 0xFC);
        assertEquals(0x8000, f.stSignExp(0));
        assertEquals(0, f.stMantissa(0));
        fnclex();
        fld(1e20);
        r(0xD9, 0xFC);
        assertEquals(1e20, f.st(0));
        assertEquals(0, sw() & PE);
        // 2^62 + 0.5 needs the 64-bit significand
        fld80(0x3fff + 62, 0x8000_0000_0000_0001L);
        r(0xD9, 0xFC);
        assertEquals(INT_BIT, f.stMantissa(0));
        assertEquals(0x3fff + 62, f.stSignExp(0));
        fldcw(RC_UP);
        fld80(0x3fff + 62, 0x8000_0000_0000_0001L);
        r(0xD9, 0xFC);
        assertEquals(0x8000_0000_0000_0002L, f.stMantissa(0));
        fldcw(RC_DOWN);
        fld(-1.25);
        r(0xD9, 0xFC);
        assertEquals(-2.0, f.st(0));
    }

    // =====================================================================================
    // Comparisons

    @Test
    void fcomConditionCodes() {
        fld(2);
        fld(1);                                  // ST0=1 ST1=2
        r(0xD8, 0xD1);                           // fcom st1
        assertEquals(C0, cc());
        fld(2);
        r(0xD8, 0xD2);                           // 2 vs 2
        assertEquals(C3, cc());
        r(0xD8, 0xD1);                           // 2 vs 1
        assertEquals(0, cc());
        mem.write64(0x100, Double.doubleToRawLongBits(2.5));
        m(0xDC, 2, 0x100);                       // fcom m64
        assertEquals(C0, cc());
        mem.write16(0x108, 2);
        m(0xDE, 2, 0x108);                       // ficom m16
        assertEquals(C3, cc());
        fld(-0.0);
        fldz();
        r(0xD8, 0xD1);                           // +0 vs -0
        assertEquals(C3, cc());
        r(0xD9, 0xE4);                           // ftst
        assertEquals(C3, cc());
        fld(-3);
        r(0xD9, 0xE4);
        assertEquals(C0, cc());
        int top = f.top();
        r(0xDE, 0xD9);                           // fcompp
        assertEquals(C0, cc());
        assertEquals(top + 2, f.top());
        assertEquals(0, sw() & IE);
    }

    @Test
    void extendedPrecisionComparisonIsExact() {
        fld80(0x3fff, 0x8000_0000_0000_0001L);
        fld80(0x3fff, 0x8000_0000_0000_0002L);
        r(0xD8, 0xD1);
        assertEquals(0, cc());                   // ST0 > ST1
        fld80(0x0000, 5);                        // extended denormal
        fld80(0x0001, INT_BIT);                  // smallest normal
        r(0xD8, 0xD1);
        assertEquals(0, cc());
        assertTrue((sw() & DE) != 0);
    }

    @Test
    void unorderedComparisons() {
        fld(1);
        fld(Double.NaN);
        r(0xDD, 0xE1);                           // fucom: QNaN raises nothing
        assertEquals(C3 | C2 | C0, cc());
        assertEquals(0, sw() & IE);
        r(0xD8, 0xD1);                           // fcom: any NaN is invalid
        assertEquals(C3 | C2 | C0, cc());
        assertEquals(IE, sw() & IE);
        fnclex();
        r(0xDB, 0xE9);                           // fucomi
        assertEquals(Flags.ZF | Flags.PF | Flags.CF, cpu.getEflags() & (Flags.ZF | Flags.PF | Flags.CF));
        assertEquals(0, sw() & IE);
        r(0xDB, 0xF1);                           // fcomi
        assertEquals(IE, sw() & IE);
        int top = f.top();
        r(0xDA, 0xE9);                           // fucompp
        assertEquals((top + 2) & 7, f.top());
        assertEquals(0xffff, f.tagWord());
    }

    @Test
    void fcomiSetsEflags() {
        fld(2);
        fld(1);                                  // ST0=1, ST1=2
        cpu.setArithFlags(Flags.OF | Flags.SF | Flags.AF);
        r(0xDB, 0xF1);                           // fcomi st1: less
        assertEquals(Flags.CF, cpu.getEflags() & Flags.ARITH);
        r(0xDB, 0xF0);                           // equal
        assertEquals(Flags.ZF, cpu.getEflags() & Flags.ARITH);
        fld(5);
        r(0xDF, 0xEA);                           // fucomip st2: 5 > 2, pop
        assertEquals(0, cpu.getEflags() & Flags.ARITH);
        assertEquals(1.0, f.st(0));
        r(0xDF, 0xF1);                           // fcomip st1: 1 < 2
        assertTrue(cpu.cf());
        assertFalse(cpu.zf());
        assertTrue(cpu.condition(2));            // jb taken
        assertEquals(2.0, f.st(0));
    }

    @Test
    void fxamClasses() {
        fld(1);
        r(0xD9, 0xE5);
        assertEquals(C2, cc());
        fld(-0.0);
        r(0xD9, 0xE5);
        assertEquals(C3 | C1, cc());
        fld(Double.NEGATIVE_INFINITY);
        r(0xD9, 0xE5);
        assertEquals(C2 | C0 | C1, cc());
        fld(Double.NaN);
        r(0xD9, 0xE5);
        assertEquals(C0, cc());
        fld80(0x0000, 1);                        // denormal
        r(0xD9, 0xE5);
        assertEquals(C3 | C2, cc());
        fld80(0x3fff, 0x4000_0000_0000_0000L);   // unnormal: unsupported
        r(0xD9, 0xE5);
        assertEquals(0, cc());
        fninit();
        r(0xD9, 0xE5);                           // empty
        assertEquals(C3 | C0, cc() & ~C1);
    }

    // =====================================================================================
    // Transcendentals and friends

    @Test
    void fpremPartialRemainder() {
        double a = 1e30, b = 3.0;
        fld(b);
        fld(a);
        r(0xD9, 0xF8);                           // fprem
        assertEquals(C2, sw() & C2, "first step is partial");
        int n = 1;
        while ((sw() & C2) != 0 && n < 20) {
            r(0xD9, 0xF8);
            n++;
        }
        assertEquals(0, sw() & C2);
        assertEquals(a % b, f.st(0));
        assertEquals(b, f.st(1));
    }

    @Test
    void fpremQuotientBitsAndFprem1() {
        fld(5);
        fld(17);
        r(0xD9, 0xF8);                           // 17 fprem 5: q = 3, r = 2
        assertEquals(2.0, f.st(0));
        assertEquals(C1 | C3, cc());
        fninit();
        fld(5);
        fld(18);
        r(0xD9, 0xF5);                           // 18 fprem1 5: q = 4, r = -2
        assertEquals(-2.0, f.st(0));
        assertEquals(C0, cc());
        fninit();
        fld(2);
        fld(-7);
        r(0xD9, 0xF8);                           // -7 fprem 2: r = -1, q = 3
        assertEquals(-1.0, f.st(0));
        assertEquals(C1 | C3, cc());
        fninit();
        fld(0.1);
        fld(123.456);
        r(0xD9, 0xF5);
        assertEquals(Math.IEEEremainder(123.456, 0.1), f.st(0));
        fninit();
        fld(0);
        fld(1);
        r(0xD9, 0xF8);                           // divisor zero: invalid
        assertTrue((sw() & IE) != 0);
        assertEquals(INDEF_M, f.stMantissa(0));
    }

    @Test
    void logsAndExponentials() {
        fld(2);
        fld(8);
        r(0xD9, 0xF1);                           // fyl2x: 2 * log2(8)
        assertEquals(6.0, f.st(0));
        assertEquals(7, f.top());
        assertEquals(0, sw() & PE);
        fninit();
        fld(1);
        fld(0.25);
        r(0xD9, 0xF9);                           // fyl2xp1: log2(1.25)
        assertEquals(Math.log(1.25) / Math.log(2), f.st(0), 1e-15);
        fninit();
        fld(1);
        fldz();
        r(0xD9, 0xF1);                           // log2(0): zero divide, -inf
        assertEquals(ZE, sw() & (ZE | IE));
        assertEquals(Double.NEGATIVE_INFINITY, f.st(0));
        fninit();
        fld(1);
        fld(-2);
        r(0xD9, 0xF1);                           // log2(-2): invalid
        assertTrue((sw() & IE) != 0);
        fninit();
        fld(1);
        r(0xD9, 0xF0);                           // f2xm1(1) = 1
        assertEquals(1.0, f.st(0));
        fld(-1);
        r(0xD9, 0xF0);
        assertEquals(-0.5, f.st(0));
        fld(0.5);
        r(0xD9, 0xF0);
        assertEquals(Math.sqrt(2) - 1, f.st(0), 3e-16);
    }

    @Test
    void trigonometry() {
        fld(0.5);
        r(0xD9, 0xF2);                           // fptan
        assertEquals(1.0, f.st(0));
        assertEquals(Math.tan(0.5), f.st(1));
        assertEquals(0, sw() & C2);
        fninit();
        fld(1);
        r(0xD9, 0xFB);                           // fsincos
        assertEquals(Math.cos(1), f.st(0));
        assertEquals(Math.sin(1), f.st(1));
        fninit();
        fld(0.7);
        r(0xD9, 0xFE);
        assertEquals(Math.sin(0.7), f.st(0));
        r(0xD9, 0xFF);
        assertEquals(Math.cos(Math.sin(0.7)), f.st(0));
        fninit();
        fld(1);
        fld(-1);
        r(0xD9, 0xF3);                           // fpatan: atan2(1, -1)
        assertEquals(Math.atan2(1, -1), f.st(0));
        assertEquals(7, f.top());
        fninit();
        fld80(0x3fff + 63, INT_BIT);             // 2^63: out of range
        r(0xD9, 0xFE);
        assertEquals(C2, sw() & C2);
        assertEquals(INT_BIT, f.stMantissa(0));
        assertEquals(0x3fff + 63, f.stSignExp(0));
        r(0xD9, 0xF2);                           // fptan out of range: nothing pushed
        assertEquals(7, f.top());
        fninit();
        fld(Double.POSITIVE_INFINITY);
        r(0xD9, 0xFE);
        assertTrue((sw() & IE) != 0);
        assertEquals(INDEF_M, f.stMantissa(0));
    }

    @Test
    void fscaleAndFxtract() {
        fld(4.7);
        fld(3);
        r(0xD9, 0xFD);                           // 3 * 2^4
        assertEquals(48.0, f.st(0));
        fld(-2.9);
        r(0xD9, 0xC1);                           // fld st1 (48)
        r(0xD9, 0xFD);                           // 48 * 2^-2
        assertEquals(12.0, f.st(0));
        fninit();
        fld(2000);
        fld(1);
        r(0xD9, 0xFD);                           // 2^2000: exact in double extended
        assertEquals(0x3fff + 2000, f.stSignExp(0));
        assertEquals(INT_BIT, f.stMantissa(0));
        fninit();
        fld(-12);
        r(0xD9, 0xF4);                           // fxtract
        assertEquals(-1.5, f.st(0));
        assertEquals(3.0, f.st(1));
        fninit();
        fld(-0.0);
        r(0xD9, 0xF4);
        assertEquals(ZE, sw() & ZE);
        assertEquals(0x8000, f.stSignExp(0));
        assertEquals(Double.NEGATIVE_INFINITY, f.st(1));
    }

    // =====================================================================================
    // Exception reporting

    @Test
    void unmaskedExceptionRaisesMfAtNextWaitingInstruction() {
        cpu.cr0 |= Cpu.CR0_NE;
        fldcw(RC_NEAREST & ~ZE);
        r(0xD9, 0xE8);                           // fld1
        fldz();
        r(0xD8, 0xF9);                           // fdivr st0, st1: 1/0 unmasked
        assertEquals(ZE | ES | B, sw() & (ZE | ES | B));
        assertEquals(0, f.stMantissa(0), "destination unchanged");
        int top = f.top();
        Fault e = fault(() -> r(0xD9, 0xE8));    // next waiting instruction
        assertEquals(Fault.MF, e.vector);
        assertEquals(top, f.top());
        r(0xDF, 0xE0);                           // fnstsw ax does not wait
        assertEquals(sw(), cpu.r[Cpu.EAX] & 0xffff);
        m(0xD9, 7, 0x302);                       // fnstcw does not wait
        assertEquals(Fault.MF, fault(() -> X87.fwait(cpu)).vector);
        assertEquals(Fault.MF, fault(() -> fldcw(RC_NEAREST)).vector);
        fnclex();
        assertEquals(0, sw() & (ZE | ES | B));
        X87.fwait(cpu);
        r(0xD9, 0xE8);
        assertEquals(1.0, f.st(0));
    }

    @Test
    void unmaskedExceptionWithoutNeCallsFerrHook() {
        int[] calls = {0};
        f.ferr = () -> calls[0]++;
        fldcw(RC_NEAREST & ~IE);
        fld(-1);
        r(0xD9, 0xFA);                           // fsqrt(-1): unmasked invalid
        assertEquals(-1.0, f.st(0));
        assertEquals(0, calls[0], "reported at the next instruction");
        r(0xD9, 0xE8);                           // fld1 proceeds after FERR#
        assertEquals(1, calls[0]);
        assertEquals(1.0, f.st(0));
        X87.fwait(cpu);
        r(0xD9, 0xE8);
        assertEquals(1, calls[0], "once per exception");
        fnclex();
        r(0xD9, 0xFA);                           // sqrt(1): fine
        fld(-1);
        r(0xD9, 0xFA);
        X87.fwait(cpu);
        assertEquals(2, calls[0]);
    }

    @Test
    void unmaskingAPendingFlagMakesItPending() {
        cpu.cr0 |= Cpu.CR0_NE;
        fld(1);
        fldz();
        r(0xDE, 0xF9);                           // masked 1/0
        assertEquals(0, sw() & ES);
        fldcw(RC_NEAREST & ~ZE);                 // unmask: now pending
        assertEquals(ES | B, sw() & (ES | B));
        assertEquals(Fault.MF, fault(() -> X87.fwait(cpu)).vector);
        assertEquals(Fault.MF, fault(() -> fldcw(RC_NEAREST)).vector, "fldcw waits too");
        fnclex();
        X87.fwait(cpu);
    }

    @Test
    void deviceNotAvailableRules() {
        cpu.cr0 |= Cpu.CR0_TS;
        assertEquals(Fault.NM, fault(() -> r(0xD9, 0xE8)).vector);
        assertEquals(Fault.NM, fault(() -> fninit()).vector);
        X87.fwait(cpu);                          // TS without MP: wait is fine
        cpu.cr0 |= Cpu.CR0_MP;
        assertEquals(Fault.NM, fault(() -> X87.fwait(cpu)).vector);
        assertEquals(Fault.NM, fault(() -> X87.fxsave(cpu, Cpu.DS, 0x600)).vector);
        cpu.cr0 &= ~(Cpu.CR0_TS | Cpu.CR0_MP);
        cpu.cr0 |= Cpu.CR0_EM;
        assertEquals(Fault.NM, fault(() -> r(0xD9, 0xE8)).vector);
        X87.fwait(cpu);                          // EM does not affect WAIT
        cpu.cr0 &= ~Cpu.CR0_EM;
        r(0xD9, 0xE8);
        assertEquals(1.0, f.st(0));
    }

    @Test
    void invalidEncodingsRaiseUd() {
        int[][] mems = {{0xD9, 1}, {0xDB, 4}, {0xDB, 6}, {0xDD, 5}};   // DB/DD/DF /1 are FISTTP (SSE3)
        for (int[] e : mems) {
            assertEquals(Fault.UD, fault(() -> m(e[0], e[1], 0x100)).vector, Integer.toHexString(e[0]) + "/" + e[1]);
        }
        int[][] regs = {{0xD9, 0xD1}, {0xD9, 0xE2}, {0xD9, 0xE3}, {0xD9, 0xE6}, {0xD9, 0xE7}, {0xD9, 0xEF},
            {0xDA, 0xE0}, {0xDA, 0xE8}, {0xDA, 0xEA}, {0xDA, 0xF0}, {0xDA, 0xF8}, {0xDB, 0xE5}, {0xDB, 0xE7},
            {0xDB, 0xF8}, {0xDD, 0xF0}, {0xDD, 0xF8}, {0xDE, 0xD8}, {0xDE, 0xDA}, {0xDF, 0xE1}, {0xDF, 0xF8}};
        for (int[] e : regs) {
            assertEquals(Fault.UD, fault(() -> r(e[0], e[1])).vector, Integer.toHexString(e[0]) + " " + Integer.toHexString(e[1]));
        }
        assertEquals(0, sw());
        assertEquals(0xffff, f.tagWord());
        r(0xDB, 0xE4);                           // fsetpm: no-op
        r(0xDB, 0xE0);                           // feni: no-op
        r(0xD9, 0xD0);                           // fnop
        assertEquals(0xffff, f.tagWord());
    }

    @Test
    void undocumentedAliases() {
        fld(1);
        fld(2);
        r(0xDD, 0xC9);                           // fxch4
        assertEquals(1.0, f.st(0));
        r(0xDF, 0xC9);                           // fxch7
        assertEquals(2.0, f.st(0));
        r(0xDF, 0xD1);                           // fstp8 st1
        assertEquals(2.0, f.st(0));
        assertEquals(7, f.top());
        fld(3);
        r(0xDC, 0xD1);                           // fcom2
        assertEquals(0, cc());
        r(0xDE, 0xD1);                           // fcomp5
        assertEquals(7, f.top());
    }

    // =====================================================================================
    // Environment and state images

    @Test
    void fnstenvProtectedMode32() {
        cpu.cr0 |= Cpu.CR0_PE;
        cpu.eip = 0x1234_5678;
        cpu.segSel[Cpu.CS] = 0x08;
        cpu.segSel[Cpu.DS] = 0x10;
        fldcw(0x0362);                           // PM and DM masked, others unmasked
        m32(0xDD, 0, 0x100);                     // fld m64 at DS:0x100 (opcode DD, ModRM 06)
        m32(0xD9, 6, 0x400);                     // fnstenv
        assertEquals(0xffff_0362, mem.read32(0x400));
        assertEquals(0xffff_0000 | (7 << 11), mem.read32(0x404));
        assertEquals(0xffff_3fff | (1 << 14), mem.read32(0x408));   // phys 7 holds +0: zero tag
        assertEquals(0x1234_5678, mem.read32(0x40c));
        assertEquals(0x0506_0008, mem.read32(0x410));
        assertEquals(0x100, mem.read32(0x414));
        assertEquals(0xffff_0010, mem.read32(0x418));
        assertEquals(0x0362 | 0x3f, f.controlWord(), "fnstenv masks all exceptions");
        // fldenv restores what was stored
        fninit();
        m32(0xD9, 4, 0x400);
        assertEquals(0x0362, f.controlWord());
        assertEquals(7, f.top());
        assertEquals(0x1234_5678, f.instructionPointer());
        assertEquals(0x08, f.instructionSelector());
        assertEquals(0x506, f.lastOpcode());
        assertEquals(0x100, f.dataPointer());
        assertEquals(0x10, f.dataSelector());
        assertEquals(0x7fff, f.tagWord());
    }

    @Test
    void fnstenvProtectedMode16() {
        cpu.cr0 |= Cpu.CR0_PE;
        cpu.eip = 0x5678;
        cpu.segSel[Cpu.CS] = 0x18;
        cpu.segSel[Cpu.DS] = 0x20;
        m(0xDD, 0, 0x100);
        m(0xD9, 6, 0x400);
        assertEquals(0x037f, mem.read16(0x400));
        assertEquals(7 << 11, mem.read16(0x402));
        assertEquals(0x7fff, mem.read16(0x404));
        assertEquals(0x5678, mem.read16(0x406));
        assertEquals(0x18, mem.read16(0x408));
        assertEquals(0x100, mem.read16(0x40a));
        assertEquals(0x20, mem.read16(0x40c));
        assertEquals(0, mem.read16(0x40e), "14 bytes only");
    }

    @Test
    void fnstenvRealMode16And32() {
        cpu.eip = 0x0123;
        cpu.segSel[Cpu.CS] = 0x1000;             // FIP linear 0x10123
        cpu.segSel[Cpu.DS] = 0x2000;             // FDP linear 0x20100
        m(0xDD, 0, 0x100);
        m(0xD9, 6, 0x400);
        assertEquals(0x037f, mem.read16(0x400));
        assertEquals(0x0123, mem.read16(0x406));
        assertEquals(0x1506, mem.read16(0x408));
        assertEquals(0x0100, mem.read16(0x40a));
        assertEquals(0x2000, mem.read16(0x40c));
        m32(0xD9, 6, 0x440);
        assertEquals(0xffff_0123, mem.read32(0x44c));
        assertEquals(0x0000_1506, mem.read32(0x450));
        assertEquals(0xffff_0100, mem.read32(0x454));
        assertEquals(0x0000_2000, mem.read32(0x458));
        // reload in real mode and store again: identical image
        fninit();
        m(0xD9, 4, 0x400);
        assertEquals(0x10123, f.instructionPointer());
        assertEquals(0x20100, f.dataPointer());
        assertEquals(0x506, f.lastOpcode());
        m(0xD9, 6, 0x480);
        for (int i = 0; i < 14; i += 2) {
            assertEquals(mem.read16(0x400 + i), mem.read16(0x480 + i), "offset " + i);
        }
    }

    @Test
    void controlInstructionsDoNotUpdatePointers() {
        cpu.eip = 0x40;
        m(0xDD, 0, 0x100);
        cpu.eip = 0x50;
        fldcw(0x037f);
        m(0xD9, 7, 0x302);
        assertEquals(0x40, f.instructionPointer());
        assertEquals(0x506, f.lastOpcode());
        cpu.eip = 0x60;
        r(0xD9, 0xE8);                           // fld1 updates FIP/FOP but not FDP
        assertEquals(0x60, f.instructionPointer());
        assertEquals(0x1e8, f.lastOpcode());
        assertEquals(0x100, f.dataPointer());
    }

    @Test
    void fnsaveAndFrstor32() {
        fld(1);
        fld(2);
        fld80(0x4000, 0xC90F_DAA2_2168_C235L);
        fldcw(0x0b7f);
        m32(0xDD, 6, 0x500);                     // fnsave
        assertEquals(0x037f, f.controlWord(), "fnsave reinitialises");
        assertEquals(0xffff, f.tagWord());
        assertEquals(0, f.top());
        assertEquals(0xffff_0b7f, mem.read32(0x500));
        assertEquals(0xffff_0000 | (5 << 11), mem.read32(0x504));
        assertEquals(0xffff_03ff, mem.read32(0x508));
        assertEquals(0xC90F_DAA2_2168_C235L, mem.read64(0x500 + 28));
        assertEquals(0x4000, mem.read16(0x500 + 36));
        assertEquals(INT_BIT, mem.read64(0x500 + 38));
        assertEquals(0x4000, mem.read16(0x500 + 46));
        assertEquals(INT_BIT, mem.read64(0x500 + 48));
        assertEquals(0x3fff, mem.read16(0x500 + 56));
        m32(0xDD, 4, 0x500);                     // frstor
        assertEquals(0x0b7f, f.controlWord());
        assertEquals(5, f.top());
        assertEquals(0x03ff, f.tagWord());
        assertEquals(0xC90F_DAA2_2168_C235L, f.stMantissa(0));
        assertEquals(2.0, f.st(1));
        assertEquals(1.0, f.st(2));
    }

    @Test
    void fnsaveAndFrstor16() {
        fld(-6.5);
        m(0xDD, 6, 0x500);
        assertEquals(0x037f, mem.read16(0x500));
        assertEquals(7 << 11, mem.read16(0x502));
        assertEquals(0x3fff, mem.read16(0x504));
        assertEquals(0xD000_0000_0000_0000L, mem.read64(0x500 + 14));
        assertEquals(0xC001, mem.read16(0x500 + 22));
        fld(3);                                  // clobber
        m(0xDD, 4, 0x500);
        assertEquals(-6.5, f.st(0));
        assertEquals(7, f.top());
        assertEquals(0x3fff, f.tagWord());
    }

    @Test
    void frstorRaisesPendingExceptionLater() {
        cpu.cr0 |= Cpu.CR0_NE;
        mem.write16(0x500, 0x037b);              // ZM clear
        mem.write16(0x502, ZE);                  // ZE flagged
        mem.write16(0x504, 0xffff);
        m(0xDD, 4, 0x500);
        assertEquals(ES | B, sw() & (ES | B));
        assertEquals(Fault.MF, fault(() -> r(0xD9, 0xE8)).vector);
    }

    @Test
    void fxsaveFxrstorRoundTrip() {
        fld(1);
        fldz();
        fld80(0x7fff, 0xC000_0000_0000_1234L);
        fldcw(0x0f7f);
        cpu.eip = 0x777;
        m(0xD8, 0, 0x180);                       // fadd m32 (+0.0): records FIP/FDP
        for (int i = 0; i < 512; i += 4) {
            mem.write32(0x600 + i, 0xa5a5a5a5);
        }
        X87.fxsave(cpu, Cpu.DS, 0x600);
        assertEquals(0x0f7f, mem.read16(0x600));
        assertEquals(5 << 11, mem.read16(0x602));
        assertEquals(0xe0, mem.read8(0x604));
        assertEquals(0, mem.read8(0x605));
        assertEquals(0x006, mem.read16(0x606));
        assertEquals(0x777, mem.read32(0x608));
        assertEquals(0x180, mem.read32(0x610));
        assertEquals(0x1f80, mem.read32(0x618));
        assertEquals(0xffff, mem.read32(0x61c), "MXCSR_MASK: DAZ supported");
        assertEquals(0xC000_0000_0000_1234L, mem.read64(0x620));
        assertEquals(0x7fff, mem.read16(0x628));
        assertEquals(0, mem.read16(0x62a));
        assertEquals(0, mem.read64(0x630));      // ST1 = +0
        assertEquals(INT_BIT, mem.read64(0x640));
        assertEquals(0x3fff, mem.read16(0x648));
        assertEquals(0, mem.read32(0x6a0), "XMM area zero");
        assertEquals(0xa5a5a5a5, mem.read32(0x600 + 464), "software area untouched");
        int tags = f.tagWord();
        fninit();
        fld(9);
        X87.fxrstor(cpu, Cpu.DS, 0x600);
        assertEquals(0x0f7f, f.controlWord());
        assertEquals(5, f.top());
        assertEquals(tags, f.tagWord());
        assertEquals(0xC000_0000_0000_1234L, f.stMantissa(0));
        assertEquals(0.0, f.st(1));
        assertEquals(1.0, f.st(2));
        assertEquals(0x777, f.instructionPointer());
        assertEquals(0x006, f.lastOpcode());
    }

    @Test
    void fxsaveAlignmentAndMxcsrChecks() {
        assertEquals(Fault.GP, fault(() -> X87.fxsave(cpu, Cpu.DS, 0x608)).vector);
        assertEquals(Fault.GP, fault(() -> X87.fxrstor(cpu, Cpu.DS, 0x604)).vector);
        X87.fxsave(cpu, Cpu.DS, 0x600);
        mem.write32(0x618, 0x1f80 | 0x10000);   // a reserved bit
        fld(1);
        assertEquals(Fault.GP, fault(() -> X87.fxrstor(cpu, Cpu.DS, 0x600)).vector);
        assertEquals(1.0, f.st(0), "state unchanged");
        mem.write32(0x618, 0x1f80 & ~0x2000);   // a valid MXCSR is restored
        X87.fxrstor(cpu, Cpu.DS, 0x600);
        assertEquals(0x1f80 & ~0x2000, f.mxcsr());
        assertEquals(0xffff, f.tagWord());
    }

    @Test
    void memoryFaultsComeBeforeAnyStateChange() {
        fld(1.5);
        cpu.setSegmentCache(Cpu.DS, 0, 0, 0x205, 0x93);   // limit ends inside the 10-byte operand
        mem.write64(0x1f8, 0x1111_1111_1111_1111L);
        assertEquals(Fault.GP, fault(() -> m(0xDB, 7, 0x1fd)).vector);     // fstp m80
        assertEquals(0x1111_1111_1111_1111L, mem.read64(0x1f8), "no partial write");
        assertEquals(7, f.top(), "no pop");
        assertEquals(Fault.GP, fault(() -> m(0xDD, 6, 0x1c0)).vector);     // fnsave (94 bytes)
        assertEquals(7, f.top(), "no fninit");
        assertEquals(0, mem.read16(0x1c0));
        assertEquals(Fault.GP, fault(() -> m(0xDF, 7, 0x200)).vector);     // fistp m64
        assertEquals(1.5, f.st(0));
    }

    @Test
    void fnstswForms() {
        fld(1);
        fld(1);
        r(0xD8, 0xD1);
        m(0xDD, 7, 0x300);                       // fnstsw m16
        assertEquals(C3 | (6 << 11), mem.read16(0x300));
        cpu.r[Cpu.EAX] = 0xdead_0000;
        r(0xDF, 0xE0);                           // fnstsw ax
        assertEquals(0xdead_0000 | C3 | (6 << 11), cpu.r[Cpu.EAX]);
    }
}
