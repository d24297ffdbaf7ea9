package io.jvisor.cpu;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The x87 transcendental instructions in double extended precision: results against
 * constants known to more digits than the format holds (rounded to nearest here, by the
 * test's own arithmetic), the x87's own constants (FLDPI, FLDL2T), exact cases that must not
 * set PE, directed rounding of tiny arguments, and FSIN(double pi), whose hardware result
 * shows the 66-bit pi the processor reduces arguments with.
 */
class X87TranscendentalTest extends X87Fixture {
    /** ST(0) as sign/exponent and significand, "seee_mmmmmmmmmmmmmmmm". */
    String st0() {
        return String.format("%04x_%016x", f.stSignExp(0) & 0xffff, f.stMantissa(0));
    }

    /** A positive decimal (more digits than 64 bits need) rounded to nearest as an 80-bit image. */
    static String nearest(String decimal) {
        BigDecimal v = new BigDecimal(decimal);
        int e = 0;
        while (v.compareTo(BigDecimal.ONE) < 0) {
            v = v.multiply(BigDecimal.valueOf(2));
            e--;
        }
        while (v.compareTo(BigDecimal.valueOf(2)) >= 0) {
            v = v.divide(BigDecimal.valueOf(2));
            e++;
        }
        BigDecimal scaled = v.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(63)));
        BigInteger q = scaled.toBigInteger();
        int cmp = scaled.subtract(new BigDecimal(q)).compareTo(new BigDecimal("0.5"));
        if (cmp > 0 || cmp == 0 && q.testBit(0)) {
            q = q.add(BigInteger.ONE);
        }
        if (q.bitLength() > 64) {
            q = q.shiftRight(1);
            e++;
        }
        return String.format("%04x_%016x", 0x3fff + e, q.longValue());
    }

    @Test
    void fpatanGivesThePiOfFldpi() {
        fld(0);                                  // y = +0
        fld(-1);                                 // x = -1
        r(0xD9, 0xF3);                           // atan2(+0, -1) = pi
        String pi = st0();
        f.init();
        r(0xD9, 0xEB);                           // fldpi
        assertEquals(st0(), pi);
        assertEquals("4000_c90fdaa22168c235", pi);
        f.init();
        fld(1);
        fld(1);
        r(0xD9, 0xF3);                           // atan2(1, 1) = pi/4, rounded up (C1)
        assertEquals("3ffe_c90fdaa22168c235", st0());
        assertEquals(PE | C1, f.statusWord() & (PE | C1));
        f.init();
        fld(-0.0);
        fld(5);
        r(0xD9, 0xF3);                           // atan2(-0, 5) = -0 exactly
        assertEquals("8000_0000000000000000", st0());
        assertEquals(0, f.statusWord() & PE);
    }

    @Test
    void logarithmsMatchTheConstantsAndExactPowers() {
        fld(1);
        fld(10);
        r(0xD9, 0xF1);                           // fyl2x: 1 * log2(10)
        String l2t = st0();
        f.init();
        r(0xD9, 0xE9);                           // fldl2t
        assertEquals(st0(), l2t);
        f.init();
        fld(3);
        fld(1024);
        r(0xD9, 0xF1);                           // 3 * log2(2^10) = 30 exactly
        assertEquals(30.0, f.st(0));
        assertEquals(0, f.statusWord() & PE);
        f.init();
        fld(1);
        fld(0.25);
        r(0xD9, 0xF9);                           // fyl2xp1: log2(1.25)
        assertEquals(nearest("0.32192809488736234787031942948939017586483139302458061205475639581593477660862521585013974335937015"),
                st0());
        f.init();
        fld(1);
        fld(0x1p-70);
        r(0xD9, 0xF9);                           // log2(1 + 2^-70): no cancellation
        assertEquals(nearest("1.2220102324733420127809717395445504379645613448652620312604284198E-21"), st0());
    }

    @Test
    void f2xm1ExactAndInexact() {
        fld(0.5);
        r(0xD9, 0xF0);                           // sqrt(2) - 1
        assertEquals(nearest("0.41421356237309504880168872420969807856967187537694807317667973799"), st0());
        f.init();
        fld(-1);
        r(0xD9, 0xF0);                           // exactly -0.5
        assertEquals(-0.5, f.st(0));
        assertEquals(0, f.statusWord() & PE);
    }

    @Test
    void sineCosineTangentInExtendedPrecision() {
        fld(1);
        r(0xD9, 0xFE);                           // fsin(1)
        assertEquals(nearest("0.84147098480789650665250232163029899962256306079837106567275170999"), st0());
        f.init();
        fld(1);
        r(0xD9, 0xFF);                           // fcos(1)
        assertEquals(nearest("0.54030230586813971740093660744297660373231042061792222767009725538"), st0());
        f.init();
        fld(1);
        r(0xD9, 0xF2);                           // fptan(1): tan, then 1 pushed
        assertEquals("3fff_8000000000000000", st0());
        r(0xD9, 0xC9);                           // fxch
        assertEquals(nearest("1.5574077246549022305069748074583601730872507723815200383839466057"), st0());
        f.init();
        fld(2);
        r(0xD9, 0xFB);                           // fsincos(2): cos in ST(0), sin in ST(1)
        assertEquals(nearest("0.41614683654714238699756822950076218976600077107554489075514997378").replace("3ffd", "bffd"),
                st0());
        r(0xD9, 0xC9);
        assertEquals(nearest("0.90929742682568169539601986591174484270225497144789026837897301153"), st0());
    }

    @Test
    void tinyArgumentsRoundInTheRightDirection() {
        fld(0x1p-50);
        r(0xD9, 0xFE);                           // sin(2^-50) rounds to nearest: 2^-50
        assertEquals(String.format("%04x_%016x", 0x3fff - 50, INT_BIT), st0());
        f.init();
        fldcw(0x077f);                           // round down
        fld(0x1p-50);
        r(0xD9, 0xFE);                           // just below 2^-50
        assertEquals(String.format("%04x_%016x", 0x3fff - 51, -1L), st0());
        f.init();
        fldcw(0x0b7f);                           // round up
        fld(0x1p-50);
        r(0xD9, 0xF2);                           // tan: just above 2^-50
        r(0xD9, 0xF7);                           // fincstp: ST(0) = the tangent
        assertEquals(String.format("%04x_%016x", 0x3fff - 50, INT_BIT | 1), st0());
    }

    @Test
    void sineOfDoublePiShowsThe66BitPiReduction() {
        fld(Math.PI);
        r(0xD9, 0xFE);
        // Intel's FSIN(M_PI) = 1.2246063538223773e-16; the exact sin(M_PI) is 1.2246467991473532e-16
        assertEquals(1.2246063538223773e-16, f.st(0), 1e-31);
    }
}
