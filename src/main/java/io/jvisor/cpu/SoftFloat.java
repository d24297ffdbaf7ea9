package io.jvisor.cpu;

/**
 * IEEE 754 binary arithmetic in software for the three formats of x86: single, double and
 * the x87's double extended (15-bit exponent, 64-bit significand with an explicit integer
 * bit), with the four rounding modes, a precision narrower than the format (x87 precision
 * control), flush-to-zero, and the six exception flags (in the bit positions of the x87
 * status word and MXCSR).
 *
 * <p>Values are unpacked into a sign, an exponent and a 64-bit significand normalised so
 * that bit 63 is its leading one: the value is {@code sig * 2^(exp - 63)}. Results carry 64
 * more bits below the significand (and a sticky bit) into {@link #round}, so every result
 * is rounded once, from the exact value. Tininess is detected after rounding, as x86
 * processors do (the underflow flag of a masked underflow also needs the result inexact).
 *
 * <p>One instance per vCPU: the flags accumulate in {@link #flags} for the caller to read.
 * NaN operands are the caller's business (SSE and x87 propagate them differently); the
 * operations here see only zeros, finite values and infinities, except that an invalid
 * operation yields the default NaN (negative, quiet, zero payload: the "real indefinite").
 */
final class SoftFloat {
    static final int INVALID = 1, DENORMAL = 2, DIVZERO = 4, OVERFLOW = 8, UNDERFLOW = 16, INEXACT = 32;
    static final int NEAREST = 0, DOWN = 1, UP = 2, TOWARD_ZERO = 3;

    /** A storage format: significand precision (with the integer bit), exponent bias and limits. */
    enum Format {
        SINGLE(24, 127), DOUBLE(53, 1023), EXTENDED(64, 16383);

        final int precision, bias, emin, emax;

        Format(int precision, int bias) {
            this.precision = precision;
            this.bias = bias;
            this.emin = 1 - bias;
            this.emax = bias;
        }
    }

    // ---- value classes of an unpacked operand
    static final int ZERO = 0, FINITE = 1, INF = 2, NAN = 3;

    /** Accumulated exception flags. */
    int flags;
    /** Rounding control (x87 RC or MXCSR RC: nearest, down, up, toward zero). */
    int rounding;
    /** MXCSR.FTZ: a tiny result becomes zero (with underflow and inexact) when underflow is masked. */
    boolean flushToZero;
    /** The underflow exception is masked (changes which results are flagged and how). */
    boolean underflowMasked = true;
    /** The overflow exception is masked. */
    boolean overflowMasked = true;
    /**
     * The x87's response to an unmasked overflow or underflow (SDM Vol. 1 8.5.3, 8.5.4): the
     * result is delivered with its exponent divided (multiplied) by 2^24576, i.e. the biased
     * exponent wrapped by this amount, instead of an infinity or a denormal. 0: no such result
     * (SSE writes nothing on an unmasked exception).
     */
    int trapAdjust;
    /** The last rounding increased the magnitude (the x87's C1 after an inexact result). */
    boolean roundedUp;

    // ---- an unpacked operand (see unpack*); two of them, a and b
    int aCls, aExp, bCls, bExp;
    boolean aNeg, bNeg;
    long aSig, bSig;

    // ---- the result of an extended operation: significand and sign/exponent word
    long rMant;
    int rSexp;

    // =====================================================================================
    // Unpacking

    /** Unpacks single-precision {@code bits} into a (b when {@code second}); returns the class. */
    int unpackSingle(int bits, boolean second) {
        return unpackBinary(bits & 0xffff_ffffL, 8, 23, second);
    }

    int unpackDouble(long bits, boolean second) {
        return unpackBinary(bits, 11, 52, second);
    }

    /** Unpacks an IEEE binary value of {@code expBits} exponent and {@code fracBits} fraction bits. */
    private int unpackBinary(long bits, int expBits, int fracBits, boolean second) {
        boolean neg = (bits >>> (expBits + fracBits) & 1) != 0;
        int maxExp = (1 << expBits) - 1, bias = maxExp >> 1;
        int e = (int) (bits >>> fracBits) & maxExp;
        long f = bits & ((1L << fracBits) - 1);
        int cls, exp = 0;
        long sig = 0;
        if (e == maxExp) {
            cls = f == 0 ? INF : NAN;
        } else if (e == 0) {
            if (f == 0) {
                cls = ZERO;
            } else {
                cls = FINITE;
                int lz = Long.numberOfLeadingZeros(f);
                sig = f << lz;
                exp = 1 - bias - fracBits + 63 - lz;
            }
        } else {
            cls = FINITE;
            sig = (f | 1L << fracBits) << (63 - fracBits);
            exp = e - bias;
        }
        set(second, cls, neg, exp, sig);
        return cls;
    }

    /**
     * Unpacks a double-extended value. Denormals and pseudo-denormals are normalised; an
     * unnormal (integer bit clear, exponent not 0) and pseudo-NaN/infinity are NaN here
     * (the x87 treats them as invalid operands).
     */
    int unpackExtended(long mant, int sexp, boolean second) {
        boolean neg = (sexp & 0x8000) != 0;
        int e = sexp & 0x7fff;
        int cls, exp = 0;
        long sig = 0;
        if (e == 0x7fff) {
            cls = mant == Long.MIN_VALUE ? INF : NAN;
        } else if (e == 0) {
            if (mant == 0) {
                cls = ZERO;
            } else {
                cls = FINITE;
                int lz = Long.numberOfLeadingZeros(mant);
                sig = mant << lz;
                exp = -16382 - lz;
            }
        } else if (mant >= 0) {
            cls = NAN;   // unnormal
        } else {
            cls = FINITE;
            sig = mant;
            exp = e - 16383;
        }
        set(second, cls, neg, exp, sig);
        return cls;
    }

    /** Makes operand a (b) a zero of its sign (DAZ: a denormal operand counts as zero). */
    void zeroOperand(boolean second) {
        if (second) {
            bCls = ZERO;
        } else {
            aCls = ZERO;
        }
    }

    /** Loads a signed integer as operand a (exact: 64 bits fit the significand). */
    void loadInteger(long v) {
        if (v == 0) {
            set(false, ZERO, false, 0, 0);
            return;
        }
        boolean neg = v < 0;
        long m = neg ? -v : v;   // Long.MIN_VALUE stays as the unsigned 2^63
        int lz = Long.numberOfLeadingZeros(m);
        set(false, FINITE, neg, 63 - lz, m << lz);
    }

    /**
     * Operand a rounded to an integer as the rounding control says, or {@code invalidValue}
     * (with the invalid flag) when a is a NaN, an infinity, or outside [min, max]; the
     * inexact flag when a fraction was dropped.
     */
    long toInteger(boolean truncate, long min, long max, long invalidValue) {
        if (aCls == NAN || aCls == INF) {
            flags |= INVALID;
            return invalidValue;
        }
        if (aCls == ZERO) {
            return 0;
        }
        int mode = truncate ? TOWARD_ZERO : rounding;
        long mag;
        boolean inexact, up;
        if (aExp < 0) {
            mag = 0;
            inexact = true;
            boolean aboveHalf = aExp == -1 && aSig != Long.MIN_VALUE;
            up = switch (mode) {
                case NEAREST -> aboveHalf;
                case DOWN -> aNeg;
                case UP -> !aNeg;
                default -> false;
            };
        } else if (aExp < 63) {
            int sh = 63 - aExp;
            mag = aSig >>> sh;
            long fraction = aSig << (64 - sh);
            inexact = fraction != 0;
            up = switch (mode) {
                case NEAREST -> Long.compareUnsigned(fraction, Long.MIN_VALUE) > 0
                        || fraction == Long.MIN_VALUE && (mag & 1) != 0;
                case DOWN -> inexact && aNeg;
                case UP -> inexact && !aNeg;
                default -> false;
            };
        } else if (aExp == 63 && aNeg && aSig == Long.MIN_VALUE) {
            return min == Long.MIN_VALUE ? Long.MIN_VALUE : invalidFlag(invalidValue);
        } else {
            return invalidFlag(invalidValue);
        }
        if (up) {
            mag++;
        }
        long v = aNeg ? -mag : mag;
        if (mag < 0 || v < min || v > max) {
            return invalidFlag(invalidValue);
        }
        if (inexact) {
            flags |= INEXACT;
        }
        return v;
    }

    private long invalidFlag(long value) {
        flags |= INVALID;
        return value;
    }

    private void set(boolean second, int cls, boolean neg, int exp, long sig) {
        if (second) {
            bCls = cls;
            bNeg = neg;
            bExp = exp;
            bSig = sig;
        } else {
            aCls = cls;
            aNeg = neg;
            aExp = exp;
            aSig = sig;
        }
    }

    /** True if operand a (b) was a denormal of {@code f} before normalisation. */
    boolean aDenormal(Format f) {
        return aCls == FINITE && aExp < f.emin;
    }

    boolean bDenormal(Format f) {
        return bCls == FINITE && bExp < f.emin;
    }

    // =====================================================================================
    // Rounding and packing

    /**
     * Rounds {@code sig * 2^(exp-63)} plus {@code low / 2^64} of a unit of sig's last bit
     * (bit 0 of {@code low} doubles as sticky) to {@code precision} bits in format
     * {@code f}'s exponent range, and packs it as that format: single in the low 32 bits,
     * double as 64 bits, extended into {@link #rMant}/{@link #rSexp} (the return is then 0).
     * {@code sig} has bit 63 set, or is 0 with low 0 for an exact zero.
     */
    long round(boolean neg, int exp, long sig, long low, Format f, int precision) {
        roundedUp = false;
        if (sig == 0) {
            return packZero(neg, f);
        }
        int drop = 64 - precision;
        boolean tiny = false;
        if (exp < f.emin) {
            // tininess after rounding: the result rounded with an unbounded exponent is below 2^emin
            roundBits(neg, sig, low, drop);
            tiny = (roundCarry ? exp + 1 : exp) < f.emin;
        }
        if (tiny && !underflowMasked && trapAdjust != 0) {
            long m = roundBits(neg, sig, low, drop);   // x87: the significand rounded as if normal, exponent wrapped
            flags |= UNDERFLOW | (roundInexact ? INEXACT : 0);
            roundedUp = roundUp;
            return roundCarry ? pack(neg, exp + 1 + trapAdjust, Long.MIN_VALUE, f) : pack(neg, exp + trapAdjust, m, f);
        }
        if (tiny) {
            if (flushToZero && underflowMasked) {
                flags |= UNDERFLOW | INEXACT;
                return packZero(neg, f);
            }
            // denormal: the significand keeps only the bits above 2^(emin - precision + 1)
            int extra = f.emin - exp;
            long s = sig, l = low;
            if (extra >= 128) {
                l = (s | l) != 0 ? 1 : 0;
                s = 0;
            } else if (extra >= 64) {
                l = (extra == 64 ? s : s >>> (extra - 64)) | ((l != 0 || (extra > 64 && (s << (128 - extra)) != 0)) ? 1 : 0);
                s = 0;
            } else if (extra > 0) {
                l = (s << (64 - extra)) | (l != 0 ? 1 : 0);
                s = s >>> extra;
            }
            long m = roundBits(neg, s, l, drop);
            roundedUp = roundUp;
            if (roundInexact) {
                flags |= INEXACT | UNDERFLOW;
            } else if (!underflowMasked) {
                flags |= UNDERFLOW;
            }
            if (roundCarry) {
                m = Long.MIN_VALUE;   // a carry out of a denormal is the smallest normal
            }
            if (m == 0) {
                return packZero(neg, f);
            }
            if (m < 0) {   // rounded up to the smallest normal
                return pack(neg, f.emin, m, f);
            }
            return packDenormal(neg, m, f);
        }
        long m = roundBits(neg, sig, low, drop);
        boolean inexact = roundInexact;
        roundedUp = roundUp;
        if (roundCarry) {
            m = Long.MIN_VALUE;
            exp++;
        }
        if (exp > f.emax && !overflowMasked) {
            if (trapAdjust != 0) {
                flags |= OVERFLOW | (inexact ? INEXACT : 0);
                return pack(neg, exp - trapAdjust, m, f);
            }
            // SSE: nothing is written; precision only if the unbounded result was inexact
            flags |= OVERFLOW | (inexact ? INEXACT : 0);
            return 0;
        }
        if (inexact) {
            flags |= INEXACT;
        }
        if (exp > f.emax) {
            flags |= OVERFLOW | INEXACT;
            boolean toInf = switch (rounding) {
                case NEAREST -> true;
                case DOWN -> neg;
                case UP -> !neg;
                default -> false;
            };
            roundedUp = toInf;
            if (toInf) {
                return packInf(neg, f);
            }
            return pack(neg, f.emax, -1L << drop, f);   // the largest finite value
        }
        return pack(neg, exp, m, f);
    }

    // ---- the outcome of the last roundBits besides the significand
    private boolean roundCarry, roundInexact, roundUp;

    /**
     * Rounds a 64-bit significand with 64 bits below it to its top {@code 64 - drop} bits and
     * returns it (low drop bits zero); {@link #roundCarry} tells a carry out of bit 63,
     * {@link #roundInexact} that bits were dropped, {@link #roundUp} that it was rounded up.
     */
    private long roundBits(boolean neg, long sig, long low, int drop) {
        long dropped = drop == 0 ? 0 : sig & ((1L << drop) - 1);
        long kept = drop == 0 ? sig : sig & -(1L << drop);
        boolean inexact = dropped != 0 || low != 0;
        boolean up;
        switch (rounding) {
            case NEAREST -> {
                // compare the dropped part (with low) against half a unit of the last kept bit
                long half = drop == 0 ? 0 : 1L << (drop - 1);
                boolean above, exactHalf;
                if (drop == 0) {
                    above = Long.compareUnsigned(low, Long.MIN_VALUE) > 0;
                    exactHalf = low == Long.MIN_VALUE;
                } else {
                    above = dropped > half || dropped == half && low != 0;
                    exactHalf = dropped == half && low == 0;
                }
                long lastKept = drop == 0 ? sig & 1 : (sig >>> drop) & 1;
                up = above || exactHalf && lastKept != 0;
            }
            case DOWN -> up = inexact && neg;
            case UP -> up = inexact && !neg;
            default -> up = false;
        }
        boolean carry = false;
        if (up) {
            long unit = drop == 0 ? 1 : 1L << drop;
            long n = kept + unit;
            if (Long.compareUnsigned(n, kept) < 0) {
                carry = true;   // wrapped past bit 63
                n = 0;
            }
            kept = n;
        }
        roundCarry = carry;
        roundInexact = inexact;
        roundUp = up;
        return kept;
    }

    private long pack(boolean neg, int exp, long m, Format f) {
        int biased = exp + f.bias;
        switch (f) {
            case SINGLE -> {
                return (neg ? 0x8000_0000L : 0) | (long) biased << 23 | ((m >>> 40) & 0x7fffff);
            }
            case DOUBLE -> {
                return (neg ? Long.MIN_VALUE : 0) | (long) biased << 52 | ((m >>> 11) & 0xf_ffff_ffff_ffffL);
            }
            default -> {
                rMant = m;
                rSexp = (neg ? 0x8000 : 0) | biased;
                return 0;
            }
        }
    }

    /** {@code m}: the significand aligned as the format's denormal encoding (bit 63 clear). */
    private long packDenormal(boolean neg, long m, Format f) {
        switch (f) {
            case SINGLE -> {
                return (neg ? 0x8000_0000L : 0) | ((m >>> 40) & 0x7fffff);
            }
            case DOUBLE -> {
                return (neg ? Long.MIN_VALUE : 0) | ((m >>> 11) & 0xf_ffff_ffff_ffffL);
            }
            default -> {
                rMant = m;
                rSexp = neg ? 0x8000 : 0;
                return 0;
            }
        }
    }

    long packZero(boolean neg, Format f) {
        switch (f) {
            case SINGLE -> {
                return neg ? 0x8000_0000L : 0;
            }
            case DOUBLE -> {
                return neg ? Long.MIN_VALUE : 0;
            }
            default -> {
                rMant = 0;
                rSexp = neg ? 0x8000 : 0;
                return 0;
            }
        }
    }

    long packInf(boolean neg, Format f) {
        switch (f) {
            case SINGLE -> {
                return (neg ? 0x8000_0000L : 0) | 0x7f80_0000L;
            }
            case DOUBLE -> {
                return (neg ? Long.MIN_VALUE : 0) | 0x7ff0_0000_0000_0000L;
            }
            default -> {
                rMant = Long.MIN_VALUE;
                rSexp = (neg ? 0x8000 : 0) | 0x7fff;
                return 0;
            }
        }
    }

    /** The default NaN ("real indefinite"), with the invalid flag. */
    long invalid(Format f) {
        flags |= INVALID;
        switch (f) {
            case SINGLE -> {
                return 0xffc0_0000L;
            }
            case DOUBLE -> {
                return 0xfff8_0000_0000_0000L;
            }
            default -> {
                rMant = 0xc000_0000_0000_0000L;
                rSexp = 0xffff;
                return 0;
            }
        }
    }

    // =====================================================================================
    // Arithmetic on the unpacked operands a and b (neither a NaN)

    /** a + b (or a - b with {@code subtract}). */
    long add(boolean subtract, Format f, int precision) {
        boolean bNegEff = bNeg ^ subtract;
        if (aCls == INF || bCls == INF) {
            if (aCls == INF && bCls == INF && aNeg != bNegEff) {
                return invalid(f);
            }
            return packInf(aCls == INF ? aNeg : bNegEff, f);
        }
        if (aCls == ZERO && bCls == ZERO) {
            boolean neg = aNeg == bNegEff ? aNeg : rounding == DOWN;
            return packZero(neg, f);
        }
        if (bCls == ZERO) {
            return round(aNeg, aExp, aSig, 0, f, precision);
        }
        if (aCls == ZERO) {
            return round(bNegEff, bExp, bSig, 0, f, precision);
        }
        // x: the operand of larger magnitude
        boolean swap = bExp > aExp || bExp == aExp && Long.compareUnsigned(bSig, aSig) > 0;
        boolean xNeg = swap ? bNegEff : aNeg, yNeg = swap ? aNeg : bNegEff;
        int xExp = swap ? bExp : aExp, yExp = swap ? aExp : bExp;
        long xSig = swap ? bSig : aSig, ySig = swap ? aSig : bSig;
        int d = xExp - yExp;
        long yHi, yLo;
        if (d == 0) {
            yHi = ySig;
            yLo = 0;
        } else if (d < 64) {
            yHi = ySig >>> d;
            yLo = ySig << (64 - d);
        } else if (d < 127) {
            yHi = 0;
            yLo = (d == 64 ? ySig : ySig >>> (d - 64)) | (d > 64 && (ySig << (128 - d)) != 0 ? 1 : 0);
        } else {
            yHi = 0;
            yLo = 1;   // far below: only its sign and presence matter (sticky)
        }
        if (xNeg == yNeg) {
            long hi = xSig + yHi;
            if (Long.compareUnsigned(hi, xSig) < 0) {   // carry: one more bit at the top
                long lo = (yLo >>> 1) | (hi << 63) | (yLo & 1);
                hi = (hi >>> 1) | Long.MIN_VALUE;
                return round(xNeg, xExp + 1, hi, lo, f, precision);
            }
            return round(xNeg, xExp, hi, yLo, f, precision);
        }
        long lo = -yLo;
        long hi = xSig - yHi - (yLo != 0 ? 1 : 0);
        if (hi == 0 && lo == 0) {
            return packZero(rounding == DOWN, f);   // exact cancellation: +0 except when rounding down
        }
        int shift = hi != 0 ? Long.numberOfLeadingZeros(hi) : 64 + Long.numberOfLeadingZeros(lo);
        if (shift >= 64) {
            hi = lo << (shift - 64);
            lo = 0;
        } else if (shift > 0) {
            hi = (hi << shift) | (lo >>> (64 - shift));
            lo = lo << shift;
        }
        return round(xNeg, xExp - shift, hi, lo, f, precision);
    }

    /** a × b. */
    long multiply(Format f, int precision) {
        boolean neg = aNeg ^ bNeg;
        if (aCls == INF || bCls == INF) {
            if (aCls == ZERO || bCls == ZERO) {
                return invalid(f);
            }
            return packInf(neg, f);
        }
        if (aCls == ZERO || bCls == ZERO) {
            return packZero(neg, f);
        }
        long hi = Math.unsignedMultiplyHigh(aSig, bSig);
        long lo = aSig * bSig;
        int exp = aExp + bExp + 1;
        if (hi >= 0) {   // product below 2^127: one more normalising shift
            hi = (hi << 1) | (lo >>> 63);
            lo <<= 1;
            exp--;
        }
        return round(neg, exp, hi, lo, f, precision);
    }

    /** a ÷ b. */
    long divide(Format f, int precision) {
        boolean neg = aNeg ^ bNeg;
        if (aCls == INF) {
            return bCls == INF ? invalid(f) : packInf(neg, f);
        }
        if (bCls == INF) {
            return packZero(neg, f);
        }
        if (bCls == ZERO) {
            if (aCls == ZERO) {
                return invalid(f);
            }
            flags |= DIVZERO;
            return packInf(neg, f);
        }
        if (aCls == ZERO) {
            return packZero(neg, f);
        }
        int exp = aExp - bExp;
        long nHi, nLo;
        if (Long.compareUnsigned(aSig, bSig) < 0) {
            nHi = aSig;
            nLo = 0;
            exp--;
        } else {
            nHi = aSig >>> 1;
            nLo = aSig << 63;
        }
        long q = divide128(nHi, nLo, bSig);
        long q2 = divide128(remainder, 0, bSig);   // 64 more quotient bits
        long low = q2 | (remainder != 0 ? 1 : 0);
        return round(neg, exp, q, low, f, precision);
    }

    /** √a. */
    long sqrt(Format f, int precision) {
        if (aCls == ZERO) {
            return packZero(aNeg, f);
        }
        if (aNeg) {
            return invalid(f);
        }
        if (aCls == INF) {
            return packInf(false, f);
        }
        // a = sig * 2^(exp-63); make the exponent even: radicand R = sig * 2^(64 or 63) as 128 bits
        long rHi, rLo;
        int e = aExp;
        if ((e & 1) == 0) {
            rHi = aSig >>> 1;   // R = sig * 2^63, root exponent e/2
            rLo = aSig << 63;
        } else {
            rHi = aSig;         // R = sig * 2^64, root exponent (e-1)/2
            rLo = 0;
            e--;
        }
        long root = sqrt128(rHi, rLo);
        // root^2 <= R < (root+1)^2; R - root^2 > root means the next bit (one half) is set
        long sqHi = Math.unsignedMultiplyHigh(root, root), sqLo = root * root;
        long remLo = rLo - sqLo;
        long remHi = rHi - sqHi - (Long.compareUnsigned(rLo, sqLo) < 0 ? 1 : 0);
        boolean nonzero = remHi != 0 || remLo != 0;
        boolean aboveHalf = remHi != 0 || Long.compareUnsigned(remLo, root) > 0;
        long low = (aboveHalf ? Long.MIN_VALUE : 0) | (nonzero ? 1 : 0);
        if (root >= 0) {
            throw new IllegalStateException("sqrt significand not normalised");
        }
        return round(false, e >> 1, root, low, f, precision);
    }

    // =====================================================================================
    // 128-bit helpers

    /** The remainder of the last {@link #divide128}. */
    private long remainder;

    /** (hi:lo) / d for unsigned values with hi < d: the 64-bit quotient; the remainder in {@link #remainder}. */
    long divide128(long hi, long lo, long d) {
        long q = 0;
        long r = hi;
        for (int i = 0; i < 64; i++) {
            boolean top = r < 0;   // the shifted remainder needs 65 bits
            r = (r << 1) | (lo >>> 63);
            lo <<= 1;
            q <<= 1;
            if (top || Long.compareUnsigned(r, d) >= 0) {
                r -= d;
                q |= 1;
            }
        }
        remainder = r;
        return q;
    }

    /** floor(√(hi:lo)) for a 128-bit radicand with hi's top two bits not both zero (a 64-bit root with bit 63 set). */
    static long sqrt128(long hi, long lo) {
        long root = 0;
        long remHi = 0, remLo = 0;   // the running remainder (up to 66 bits)
        for (int i = 0; i < 64; i++) {
            // bring down the next two radicand bits
            remHi = (remHi << 2) | (remLo >>> 62);
            remLo = (remLo << 2) | (hi >>> 62);
            hi = (hi << 2) | (lo >>> 62);
            lo <<= 2;
            // trial = 4*root + 1 (up to 66 bits)
            long tHi = root >>> 62, tLo = (root << 2) | 1;
            root <<= 1;
            if (Long.compareUnsigned(remHi, tHi) > 0 || remHi == tHi && Long.compareUnsigned(remLo, tLo) >= 0) {
                long nLo = remLo - tLo;
                remHi = remHi - tHi - (Long.compareUnsigned(remLo, tLo) < 0 ? 1 : 0);
                remLo = nLo;
                root |= 1;
            }
        }
        return root;
    }
}
