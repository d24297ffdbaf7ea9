package io.jvisor.cpu;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.SplittableRandom;

import static io.jvisor.cpu.SoftFloat.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The software IEEE arithmetic against the JVM's (round to nearest, which Java's float and
 * double arithmetic is, subnormals included) and, for the directed roundings, against exact
 * decimal bounds.
 */
class SoftFloatTest {
    static final int OPS = 5;   // add, sub, mul, div, sqrt

    /** Doubles spread over the whole range: normals, subnormals, zeros, infinities, near-ties. */
    static double randomDouble(SplittableRandom r) {
        return switch (r.nextInt(8)) {
            case 0 -> Double.longBitsToDouble(r.nextLong() & 0x000f_ffff_ffff_ffffL | (r.nextBoolean() ? Long.MIN_VALUE : 0));
            case 1 -> r.nextInt(5) == 0 ? 0.0 : r.nextInt(4) == 0 ? Double.POSITIVE_INFINITY : -1.5;
            case 2 -> (r.nextInt(2001) - 1000) * Math.scalb(1.0, r.nextInt(40) - 20);
            case 3 -> Math.scalb(1.0 + r.nextDouble(), r.nextInt(2100) - 1075);
            default -> Double.longBitsToDouble(r.nextLong() & 0x7fef_ffff_ffff_ffffL) * (r.nextBoolean() ? 1 : -1);
        };
    }

    static long compute(SoftFloat sf, int op, double a, double b) {
        sf.unpackDouble(Double.doubleToRawLongBits(a), false);
        sf.unpackDouble(Double.doubleToRawLongBits(b), true);
        return switch (op) {
            case 0 -> sf.add(false, Format.DOUBLE, 53);
            case 1 -> sf.add(true, Format.DOUBLE, 53);
            case 2 -> sf.multiply(Format.DOUBLE, 53);
            case 3 -> sf.divide(Format.DOUBLE, 53);
            default -> sf.sqrt(Format.DOUBLE, 53);
        };
    }

    static double java(int op, double a, double b) {
        return switch (op) {
            case 0 -> a + b;
            case 1 -> a - b;
            case 2 -> a * b;
            case 3 -> a / b;
            default -> Math.sqrt(a);
        };
    }

    @Test
    void doubleArithmeticRoundsToNearestAsTheJvmDoes() {
        SplittableRandom r = new SplittableRandom(42);
        SoftFloat sf = new SoftFloat();
        for (int n = 0; n < 200_000; n++) {
            double a = randomDouble(r), b = randomDouble(r);
            int op = n % OPS;
            double expected = java(op, a, b);
            long got = compute(sf, op, a, b);
            if (Double.isNaN(expected)) {
                assertEquals(0xfff8_0000_0000_0000L, got, () -> "invalid: " + a + " op " + " " + b);
                continue;
            }
            long want = Double.doubleToRawLongBits(expected);
            int o = op;
            assertEquals(want, got, () -> String.format("op %d: %s, %s: want %s got %s", o, a, b, expected,
                    Double.longBitsToDouble(got)));
        }
    }

    @Test
    void singleArithmeticRoundsToNearestAsTheJvmDoes() {
        SplittableRandom r = new SplittableRandom(7);
        SoftFloat sf = new SoftFloat();
        for (int n = 0; n < 200_000; n++) {
            float a = r.nextInt(4) == 0 ? Float.intBitsToFloat(r.nextInt() & 0x807f_ffff) : Float.intBitsToFloat(r.nextInt() & 0xff7f_ffff);
            float b = r.nextInt(4) == 0 ? Float.intBitsToFloat(r.nextInt() & 0x807f_ffff) : Float.intBitsToFloat(r.nextInt() & 0xff7f_ffff);
            int op = n % OPS;
            float expected = switch (op) {
                case 0 -> a + b;
                case 1 -> a - b;
                case 2 -> a * b;
                case 3 -> a / b;
                default -> (float) Math.sqrt(a);
            };
            sf.unpackSingle(Float.floatToRawIntBits(a), false);
            sf.unpackSingle(Float.floatToRawIntBits(b), true);
            long got = switch (op) {
                case 0 -> sf.add(false, Format.SINGLE, 24);
                case 1 -> sf.add(true, Format.SINGLE, 24);
                case 2 -> sf.multiply(Format.SINGLE, 24);
                case 3 -> sf.divide(Format.SINGLE, 24);
                default -> sf.sqrt(Format.SINGLE, 24);
            };
            if (Float.isNaN(expected)) {
                assertEquals(0xffc0_0000L, got);
                continue;
            }
            int o = op;
            assertEquals(Float.floatToRawIntBits(expected), (int) got, () -> String.format("op %d: %s, %s", o, a, b));
        }
    }

    /** Directed roundings: the result brackets the exact value as the mode says (exact decimal comparison). */
    @Test
    void directedRoundingsBracketTheExactResult() {
        SplittableRandom r = new SplittableRandom(99);
        SoftFloat sf = new SoftFloat();
        for (int n = 0; n < 40_000; n++) {
            double a = Math.scalb(1.0 + r.nextDouble(), r.nextInt(200) - 100) * (r.nextBoolean() ? 1 : -1);
            double b = Math.scalb(1.0 + r.nextDouble(), r.nextInt(200) - 100) * (r.nextBoolean() ? 1 : -1);
            int op = n % 4;
            int mode = 1 + n / 4 % 3;
            sf.rounding = mode;
            sf.flags = 0;
            double got = Double.longBitsToDouble(compute(sf, op, a, b));
            BigDecimal ea = new BigDecimal(a), eb = new BigDecimal(b), g = new BigDecimal(got);
            // sign of (got - exact), scaled for division to stay exact: compare got*b with a
            int cmp = switch (op) {
                case 0 -> g.compareTo(ea.add(eb));
                case 1 -> g.compareTo(ea.subtract(eb));
                case 2 -> g.compareTo(ea.multiply(eb));
                default -> g.multiply(eb).compareTo(ea) * eb.signum();
            };
            double other = cmp == 0 ? got : mode == DOWN || mode == TOWARD_ZERO && got > 0 ? Math.nextUp(got) : Math.nextDown(got);
            int cmpOther = switch (op) {
                case 0 -> new BigDecimal(other).compareTo(ea.add(eb));
                case 1 -> new BigDecimal(other).compareTo(ea.subtract(eb));
                case 2 -> new BigDecimal(other).compareTo(ea.multiply(eb));
                default -> new BigDecimal(other).multiply(eb).compareTo(ea) * eb.signum();
            };
            String what = String.format("op %d mode %d: %s, %s -> %s", op, mode, a, b, got);
            if (cmp == 0) {
                assertEquals(0, sf.flags & INEXACT, what + ": exact, no inexact flag");
                continue;
            }
            assertEquals(INEXACT, sf.flags & INEXACT, what + ": inexact flag");
            boolean below = cmp < 0;
            boolean wantBelow = mode == DOWN || mode == TOWARD_ZERO && got >= 0;
            assertEquals(wantBelow, below, what + ": on the wrong side of the exact value");
            assertTrue(cmpOther != cmp, what + ": not the nearest value on its side");
        }
        sf.rounding = NEAREST;
    }

    @Test
    void flagsOfSpecialResults() {
        SoftFloat sf = new SoftFloat();
        sf.flags = 0;
        compute(sf, 3, 1.0, 0.0);
        assertEquals(DIVZERO, sf.flags, "1/0");
        sf.flags = 0;
        compute(sf, 2, Double.MAX_VALUE, 2.0);
        assertEquals(OVERFLOW | INEXACT, sf.flags, "overflow");
        sf.flags = 0;
        compute(sf, 2, Double.MIN_NORMAL, 0.5);
        assertEquals(0, sf.flags, "an exact subnormal result: no underflow when masked");
        sf.flags = 0;
        compute(sf, 2, Double.MIN_VALUE, 0.5);
        assertEquals(UNDERFLOW | INEXACT, sf.flags, "tiny and inexact");
        sf.flags = 0;
        sf.flushToZero = true;
        assertEquals(0, compute(sf, 2, Double.MIN_NORMAL, 0.75));
        assertEquals(UNDERFLOW | INEXACT, sf.flags, "flush to zero");
        sf.flushToZero = false;
        sf.flags = 0;
        assertEquals(0xfff8_0000_0000_0000L, compute(sf, 4, -4.0, 0));
        assertEquals(INVALID, sf.flags, "sqrt of a negative");
        // (1 - 2^-53) * MIN_NORMAL has 53 bits: tiny even after rounding, and inexact as a subnormal
        sf.flags = 0;
        long bits = compute(sf, 2, Double.MIN_NORMAL, Math.nextDown(1.0));
        assertEquals(Double.doubleToRawLongBits(Double.MIN_NORMAL), bits);
        assertEquals(UNDERFLOW | INEXACT, sf.flags);
        // 2^-126 (1 - 2^-26) rounded to single precision: 2^-126, tiny before rounding but not after
        sf.flags = 0;
        sf.unpackDouble(Double.doubleToRawLongBits(Math.scalb(1.0, -126) - Math.scalb(1.0, -152)), false);
        sf.unpackDouble(0, true);
        assertEquals(0x0080_0000L, sf.add(false, Format.SINGLE, 24));
        assertEquals(INEXACT, sf.flags, "tininess is detected after rounding");
    }

    @Test
    void extendedArithmeticIsExactToSixtyFourBits() {
        SoftFloat sf = new SoftFloat();
        // (2^64 - 1) * 2^-63 squared = 2^2 - 2^-61 + 2^-126: rounds to nearest 64-bit significand
        sf.unpackExtended(-1L, 0x3fff, false);
        sf.unpackExtended(-1L, 0x3fff, true);
        sf.multiply(Format.EXTENDED, 64);
        assertEquals(0xffff_ffff_ffff_fffeL, sf.rMant);
        assertEquals(0x4000, sf.rSexp);
        // 1/3 in extended: 0xAAAA...AAAB (rounded up) at exponent -2
        sf.unpackExtended(Long.MIN_VALUE, 0x3fff, false);
        sf.unpackExtended(0xc000_0000_0000_0000L, 0x4000, true);
        sf.divide(Format.EXTENDED, 64);
        assertEquals(0xaaaa_aaaa_aaaa_aaabL, sf.rMant);
        assertEquals(0x3ffd, sf.rSexp);
        // sqrt(2) = 0xB504F333F9DE6484 (597...) rounded: 0xB504F333F9DE6484
        sf.unpackExtended(Long.MIN_VALUE, 0x4000, false);
        sf.sqrt(Format.EXTENDED, 64);
        assertEquals(0xb504_f333_f9de_6484L, sf.rMant);
        assertEquals(0x3fff, sf.rSexp);
    }
}
