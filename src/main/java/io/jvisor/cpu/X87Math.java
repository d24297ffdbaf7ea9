package io.jvisor.cpu;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * The x87 transcendental functions (FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X,
 * FYL2XP1) evaluated far beyond double extended precision (40 decimal digits, about 132 bits)
 * and then rounded once into the 64-bit significand by {@link SoftFloat}, so a result is
 * the exactly rounded value under the precision and rounding controls, with PE, UE, OE and
 * C1 as for any other arithmetic. Real processors are within one unit in the last place of
 * that (SDM Vol. 1 8.3.10); their argument reduction for FSIN, FCOS, FSINCOS and FPTAN uses a
 * 66-bit approximation of pi, which this class uses too, so large arguments lose accuracy
 * the way they do on the hardware.
 *
 * <p>Values are plain BigDecimals; operands come in as exact 80-bit images (sign/exponent
 * word and significand). The series are the textbook ones: Taylor series for sin, cos and
 * e^x - 1 on a reduced argument, atanh for logarithms, atan after two half-angle reductions.
 */
final class X87Math {
    private X87Math() { }

    static final MathContext MC = new MathContext(40, RoundingMode.HALF_EVEN);
    private static final BigDecimal TWO = BigDecimal.valueOf(2);
    private static final BigDecimal EPS = BigDecimal.ONE.movePointLeft(44);

    /** ln 2 = 2 atanh(1/3). */
    static final BigDecimal LN2 = atanhTimes2(BigDecimal.ONE.divide(BigDecimal.valueOf(3), MC));
    /** pi = 16 atan(1/5) - 4 atan(1/239) (Machin), for FPATAN's results. */
    static final BigDecimal PI = atanSeries(BigDecimal.ONE.divide(BigDecimal.valueOf(5), MC)).multiply(BigDecimal.valueOf(16))
            .subtract(atanSeries(BigDecimal.ONE.divide(BigDecimal.valueOf(239), MC)).multiply(BigDecimal.valueOf(4)), MC);
    /**
     * The 66-bit pi the processor reduces trigonometric arguments with (SDM Vol. 1 8.3.10:
     * 4 * 0.C90FDAA22168C234C hexadecimal), exactly; half of it is the reduction period.
     */
    static final BigDecimal PI66 = new BigDecimal(new BigInteger("C90FDAA22168C234C", 16)).multiply(BigDecimal.valueOf(4))
            .divide(new BigDecimal(BigInteger.ONE.shiftLeft(68)));
    private static final BigDecimal HALF_PI66 = PI66.divide(TWO);

    // =====================================================================================
    // Conversions

    /** The exact value of a finite 80-bit image (exponent field below 0x7fff). */
    static BigDecimal value(int se, long m) {
        int e = Math.max(se & 0x7fff, 1) - 16383 - 63;
        BigDecimal v = new BigDecimal(new BigInteger(Long.toUnsignedString(m)));
        if (Math.abs(e) > 400) {
            v = v.multiply(TWO.pow(e, MC), MC);                                 // 40 digits are plenty
        } else {
            v = e >= 0 ? v.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(e)))
                    : v.divide(new BigDecimal(BigInteger.ONE.shiftLeft(-e)));   // exact: a terminating decimal
        }
        return (se & 0x8000) != 0 ? v.negate() : v;
    }

    /**
     * Rounds v into s as a double extended result of {@code precision} bits (s.rMant/s.rSexp,
     * flags in s.flags). {@code bias} says where the true value lies when v is exactly a
     * 128-bit binary value: -1 just below it in magnitude, +1 just above, 0 exactly there.
     */
    static void round(SoftFloat s, BigDecimal v, int bias, int precision) {
        boolean neg = v.signum() < 0;
        BigDecimal a = v.abs();
        if (a.signum() == 0) {
            s.round(neg, 0, 0, 0, SoftFloat.Format.EXTENDED, precision);
            return;
        }
        // k: floor(log2 a), first estimated from the decimal digits, then corrected
        long k = (long) Math.floor((a.unscaledValue().bitLength() - 1) - a.scale() * 3.321928094887362);
        BigInteger q;
        BigDecimal scaled;
        while (true) {
            long sh = 127 - k;
            scaled = sh >= 0 ? a.multiply(new BigDecimal(BigInteger.ONE.shiftLeft((int) sh)))
                    : a.divide(new BigDecimal(BigInteger.ONE.shiftLeft((int) -sh)));
            q = scaled.toBigInteger();
            int bl = q.bitLength();
            if (bl == 128) {
                break;
            }
            k += bl - 128;
        }
        boolean exact = scaled.compareTo(new BigDecimal(q)) == 0;
        long sticky = 0;
        if (!exact || bias > 0) {
            sticky = 1;
        } else if (bias < 0) {
            q = q.subtract(BigInteger.ONE);
            sticky = 1;
            if (q.bitLength() < 128) {   // was exactly a power of two
                q = q.shiftLeft(1).or(BigInteger.ONE);
                k--;
            }
        }
        long sig = q.shiftRight(64).longValue();
        long low = q.longValue() | sticky;
        s.round(neg, (int) Math.max(Math.min(k, 1 << 20), -(1 << 20)), sig, low, SoftFloat.Format.EXTENDED, precision);
    }

    // =====================================================================================
    // Functions

    /** The quadrant and reduced argument of x for the trigonometric functions: x = n * pi66/2 + r. */
    private static BigDecimal[] reduce(BigDecimal x) {
        BigDecimal n = x.divide(HALF_PI66, MC).setScale(0, RoundingMode.HALF_EVEN);
        return new BigDecimal[] {n, x.subtract(n.multiply(HALF_PI66))};
    }

    static BigDecimal sin(BigDecimal x) {
        BigDecimal[] nr = reduce(x);
        int q = nr[0].remainder(BigDecimal.valueOf(4)).intValue() & 3;
        return quadrant(q, nr[1]);
    }

    static BigDecimal cos(BigDecimal x) {
        BigDecimal[] nr = reduce(x);
        int q = (nr[0].remainder(BigDecimal.valueOf(4)).intValue() + 1) & 3;
        return quadrant(q, nr[1]);
    }

    /** tan x = sin x / cos x from one reduction. */
    static BigDecimal tan(BigDecimal x) {
        BigDecimal[] nr = reduce(x);
        int q = nr[0].remainder(BigDecimal.valueOf(4)).intValue() & 3;
        return quadrant(q, nr[1]).divide(quadrant((q + 1) & 3, nr[1]), MC);
    }

    /** sin(q * pi/2 + r) for |r| <= pi/4. */
    private static BigDecimal quadrant(int q, BigDecimal r) {
        return switch (q) {
            case 0 -> sinSeries(r);
            case 1 -> cosSeries(r);
            case 2 -> sinSeries(r).negate();
            default -> cosSeries(r).negate();
        };
    }

    private static BigDecimal sinSeries(BigDecimal r) {
        BigDecimal r2 = r.multiply(r, MC), term = r, sum = r;
        for (int n = 2; term.abs().compareTo(sum.abs().multiply(EPS)) > 0 && n < 200; n += 2) {
            term = term.multiply(r2, MC).divide(BigDecimal.valueOf((long) n * (n + 1)), MC).negate();
            sum = sum.add(term, MC);
        }
        return sum;
    }

    private static BigDecimal cosSeries(BigDecimal r) {
        BigDecimal r2 = r.multiply(r, MC), term = BigDecimal.ONE, sum = BigDecimal.ONE;
        for (int n = 1; term.abs().compareTo(EPS) > 0 && n < 200; n += 2) {
            term = term.multiply(r2, MC).divide(BigDecimal.valueOf((long) n * (n + 1)), MC).negate();
            sum = sum.add(term, MC);
        }
        return sum;
    }

    /** 2^x - 1 = e^(x ln 2) - 1, summed as a series without the cancellation of subtracting 1. */
    static BigDecimal exp2m1(BigDecimal x) {
        BigDecimal t = x.multiply(LN2, MC);
        int halvings = 0;
        while (t.abs().compareTo(new BigDecimal("0.125")) > 0) {   // e^t - 1 = (e^(t/2) - 1)(e^(t/2) + 1)
            t = t.divide(TWO, MC);
            halvings++;
        }
        BigDecimal term = t, sum = t;
        for (int n = 2; term.abs().compareTo(sum.abs().multiply(EPS)) > 0 && n < 200; n++) {
            term = term.multiply(t, MC).divide(BigDecimal.valueOf(n), MC);
            sum = sum.add(term, MC);
        }
        for (int i = 0; i < halvings; i++) {
            sum = sum.multiply(sum.add(TWO, MC), MC);
        }
        return sum;
    }

    /** log2(x) for x > 0 given as an 80-bit image: the exponent plus ln(m)/ln 2 with m in [sqrt(1/2), sqrt(2)). */
    static BigDecimal log2(int se, long m) {
        int lz = Long.numberOfLeadingZeros(m);
        long norm = m << lz;
        int e = Math.max(se & 0x7fff, 1) - 16383 - lz;
        BigDecimal mant = new BigDecimal(new BigInteger(Long.toUnsignedString(norm)))
                .divide(new BigDecimal(BigInteger.ONE.shiftLeft(63)));   // [1, 2)
        if (Long.compareUnsigned(norm, 0xB504_F333_F9DE_6484L) > 0) {   // above sqrt(2): halve
            mant = mant.divide(TWO);
            e++;
        }
        BigDecimal z = mant.subtract(BigDecimal.ONE).divide(mant.add(BigDecimal.ONE), MC);
        return BigDecimal.valueOf(e).add(atanhTimes2(z).divide(LN2, MC), MC);
    }

    /** log2(1 + x) for |x| < 1 - sqrt(2)/2 (FYL2XP1's domain), without forming 1 + x. */
    static BigDecimal log2p1(BigDecimal x) {
        BigDecimal z = x.divide(TWO.add(x), MC);
        return atanhTimes2(z).divide(LN2, MC);
    }

    /** 2 atanh(z) = ln((1 + z) / (1 - z)) for |z| < 1/2. */
    private static BigDecimal atanhTimes2(BigDecimal z) {
        BigDecimal z2 = z.multiply(z, MC), power = z, sum = z;
        for (int n = 3; power.abs().compareTo(sum.abs().multiply(EPS)) > 0 && n < 1000; n += 2) {
            power = power.multiply(z2, MC);
            sum = sum.add(power.divide(BigDecimal.valueOf(n), MC), MC);
        }
        return sum.multiply(TWO);
    }

    /**
     * The magnitude of FPATAN's angle atan2(y, x), in [0, pi], from |y| and |x| (null for an
     * infinity) and whether x is negative; zeros give exact 0 or pi, infinities multiples of pi/4.
     */
    static BigDecimal atan2Magnitude(BigDecimal ay, BigDecimal ax, boolean xNeg) {
        BigDecimal a;
        if (ay != null && ay.signum() == 0) {
            return xNeg ? PI : BigDecimal.ZERO;
        } else if (ax != null && ax.signum() == 0) {
            return PI.divide(TWO, MC);
        } else if (ay == null && ax == null) {
            a = PI.divide(BigDecimal.valueOf(4), MC);
        } else if (ay == null) {
            return PI.divide(TWO, MC);
        } else if (ax == null) {
            a = BigDecimal.ZERO;
        } else if (ay.compareTo(ax) <= 0) {
            a = atan(ay.divide(ax, MC));
        } else {
            a = PI.divide(TWO, MC).subtract(atan(ax.divide(ay, MC)), MC);
        }
        return xNeg ? PI.subtract(a, MC) : a;
    }

    /** atan(t) for 0 <= t <= 1: two half-angle steps t / (1 + sqrt(1 + t^2)), then the series. */
    private static BigDecimal atan(BigDecimal t) {
        for (int i = 0; i < 2; i++) {
            t = t.divide(BigDecimal.ONE.add(BigDecimal.ONE.add(t.multiply(t, MC)).sqrt(MC)), MC);
        }
        return atanSeries(t).multiply(BigDecimal.valueOf(4));
    }

    private static BigDecimal atanSeries(BigDecimal t) {
        BigDecimal t2 = t.multiply(t, MC), power = t, sum = t;
        for (int n = 3; power.abs().compareTo(sum.abs().multiply(EPS)) > 0 && n < 1000; n += 2) {
            power = power.multiply(t2, MC).negate();
            sum = sum.add(power.divide(BigDecimal.valueOf(n), MC), MC);
        }
        return sum;
    }
}
