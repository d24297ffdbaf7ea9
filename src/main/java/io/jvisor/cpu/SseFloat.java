package io.jvisor.cpu;

import static io.jvisor.cpu.SimdOp.*;
import static io.jvisor.cpu.SoftFloat.*;

/**
 * SSE, SSE2 and SSE3 floating point on XMM registers (SDM Vol. 1 ch. 10-12): IEEE single
 * and double arithmetic through {@link SoftFloat}, rounded as MXCSR.RC says, with DAZ and
 * FTZ, and the exception rules of SDM 11.5: invalid, denormal and divide-by-zero are found
 * over all elements before any result; an unmasked one raises #XM (or #UD without
 * CR4.OSXMMEXCPT) with its flags set and nothing written; otherwise the overflow,
 * underflow and precision flags join, and an unmasked one of those also raises #XM with
 * nothing written. NaN operands: a signalling NaN is invalid; the result is the first
 * operand's NaN if it is one, else the second's, made quiet (SDM table 4-7).
 */
final class SseFloat {
    private SseFloat() { }

    static final int MXCSR_DAZ = 0x40, MXCSR_FTZ = 0x8000;
    /** MXCSR bits that exist (MXCSR_MASK as FXSAVE stores it: DAZ included). */
    static final int MXCSR_MASK = 0xffff;

    static void execute(Cpu c, int op, int reg, int rm, int seg, int off, int imm) {
        switch (op) {
            case LDMXCSR -> {
                int v = c.read32(seg, off);
                if ((v & ~MXCSR_MASK) != 0) {
                    throw Fault.gp0();
                }
                c.fpu.mxcsr = v;
            }
            case STMXCSR -> c.write32(seg, off, c.fpu.mxcsr);
            case CLFLUSH -> c.translate(c.readAddr(seg, off, 1), false, c.cpl == 3);   // no caches to flush
            default -> {
                if (op >= FP_BASE && op <= FP_LAST) {
                    arithmetic(c, (op - FP_BASE) >> 2, (op - FP_BASE) & 3, reg, rm, seg, off, imm);
                } else if (op >= COMISS && op <= UCOMISD) {
                    compareFlags(c, op, reg, rm, seg, off);
                } else if (op >= CVTPI2PS) {
                    SseConversions.execute(c, op, reg, rm, seg, off);
                } else {
                    move(c, op, reg, rm, seg, off, imm);
                }
            }
        }
    }

    // =====================================================================================
    // MXCSR and exceptions

    /** The vCPU's soft-float unit, configured from MXCSR, flags cleared. */
    static SoftFloat unit(Cpu c) {
        SoftFloat s = c.softFloat;
        int m = c.fpu.mxcsr;
        s.flags = 0;
        s.rounding = (m >>> 13) & 3;
        s.flushToZero = (m & MXCSR_FTZ) != 0;
        s.underflowMasked = (m & (UNDERFLOW << 7)) != 0;
        s.overflowMasked = (m & (OVERFLOW << 7)) != 0;
        s.trapAdjust = 0;
        return s;
    }

    static boolean daz(Cpu c) {
        return (c.fpu.mxcsr & MXCSR_DAZ) != 0;
    }

    /** Records the flags of an operation; throws #XM/#UD for an unmasked one (results must not be written yet). */
    static void finish(Cpu c, SoftFloat s) {
        int f = s.flags & 0x3f;
        if (f == 0) {
            return;
        }
        int masks = (c.fpu.mxcsr >>> 7) & 0x3f;
        int pre = f & (INVALID | DENORMAL | DIVZERO);
        if ((pre & ~masks) != 0) {
            c.fpu.mxcsr |= pre;   // SDM 11.5.2.1: pre-computation exceptions stop the operation
            throw simdException(c);
        }
        c.fpu.mxcsr |= f;
        if ((f & ~masks) != 0) {
            throw simdException(c);
        }
    }

    static Fault simdException(Cpu c) {
        return (c.cr4 & Cpu.CR4_OSXMMEXCPT) != 0 ? Fault.of(Fault.XM) : Fault.ud();
    }

    // =====================================================================================
    // Elements

    static Format format(boolean dbl) {
        return dbl ? Format.DOUBLE : Format.SINGLE;
    }

    static boolean isNaN(boolean dbl, long v) {
        return dbl ? (v & 0x7fff_ffff_ffff_ffffL) > 0x7ff0_0000_0000_0000L : (v & 0x7fff_ffffL) > 0x7f80_0000L;
    }

    static boolean isSignalling(boolean dbl, long v) {
        return isNaN(dbl, v) && (v & (dbl ? 1L << 51 : 1L << 22)) == 0;
    }

    static long quiet(boolean dbl, long v) {
        return v | (dbl ? 1L << 51 : 1L << 22);
    }

    /** Unpacks an element into operand a or b, a denormal as zero under DAZ; returns the class. */
    static int unpack(SoftFloat s, boolean dbl, long v, boolean second, boolean daz) {
        int cls = dbl ? s.unpackDouble(v, second) : s.unpackSingle((int) v, second);
        if (daz && isDenormal(dbl, v)) {
            s.zeroOperand(second);
            return ZERO;
        }
        return cls;
    }

    static boolean isDenormal(boolean dbl, long v) {
        return dbl ? (v & 0x7ff0_0000_0000_0000L) == 0 && (v & 0xf_ffff_ffff_ffffL) != 0
                : (v & 0x7f80_0000L) == 0 && (v & 0x7f_ffffL) != 0;
    }

    /**
     * Adds the denormal flag for one element's operation that began with flags {@code outer}
     * and set {@code s.flags} on its own (SDM 11.5.2.2 as processors do it): only when an
     * operand is a denormal (not read as zero), none is a NaN, and the operation raised
     * neither invalid nor divide-by-zero. Returns the flags of all elements so far.
     */
    static int withDenormal(SoftFloat s, int outer, boolean dbl, boolean daz, long a, long b, boolean twoOperands) {
        int f = s.flags;
        boolean nan = isNaN(dbl, b) || twoOperands && isNaN(dbl, a);
        boolean denormal = isDenormal(dbl, b) || twoOperands && isDenormal(dbl, a);
        if (!daz && denormal && !nan && (f & (INVALID | DIVZERO)) == 0) {
            f |= DENORMAL;
        }
        return outer | f;
    }

    /** The value of an element as a double, after DAZ (exact for both formats). */
    static double value(boolean dbl, long v, boolean daz) {
        double d = dbl ? Double.longBitsToDouble(v) : Float.intBitsToFloat((int) v);
        if (daz && d != 0 && Math.abs(d) < (dbl ? Double.MIN_NORMAL : Float.MIN_NORMAL)) {
            return Math.copySign(0.0, d);
        }
        return d;
    }

    /** One element of a two-operand arithmetic operation (a: destination, b: source). */
    static long binary(SoftFloat s, int operation, boolean dbl, long a, long b, boolean daz, int predicate) {
        int outer = s.flags;
        s.flags = 0;
        long r = binaryElement(s, operation, dbl, a, b, daz, predicate);
        s.flags = withDenormal(s, outer, dbl, daz, a, b, true);
        return r;
    }

    private static long binaryElement(SoftFloat s, int operation, boolean dbl, long a, long b, boolean daz, int predicate) {
        int ca = unpack(s, dbl, a, false, daz);
        int cb = unpack(s, dbl, b, true, daz);
        Format f = format(dbl);
        int p = f.precision;
        boolean nan = ca == NAN || cb == NAN;
        switch (operation) {
            case F_MIN, F_MAX -> {
                if (nan) {
                    s.flags |= INVALID;   // MINPS/MAXPS: a QNaN is invalid too; the source is the result
                    return b;
                }
                double va = value(dbl, a, daz), vb = value(dbl, b, daz);
                boolean takeA = operation == F_MIN ? va < vb : va > vb;
                long r = takeA ? a : b;
                return daz && (takeA ? ca : cb) == ZERO ? zeroBits(dbl, r) : r;
            }
            case F_CMP -> {
                int pr = predicate & 7;
                boolean signalsQuiet = pr == 1 || pr == 2 || pr == 5 || pr == 6;   // LT, LE, NLT, NLE
                if (nan && (signalsQuiet || isSignalling(dbl, a) || isSignalling(dbl, b))) {
                    s.flags |= INVALID;
                }
                double va = value(dbl, a, daz), vb = value(dbl, b, daz);
                boolean t = switch (pr) {
                    case 0 -> !nan && va == vb;
                    case 1 -> !nan && va < vb;
                    case 2 -> !nan && va <= vb;
                    case 3 -> nan;
                    case 4 -> nan || va != vb;
                    case 5 -> nan || !(va < vb);
                    case 6 -> nan || !(va <= vb);
                    default -> !nan;
                };
                return t ? (dbl ? -1L : 0xffff_ffffL) : 0;
            }
            default -> { }
        }
        if (nan) {
            if (isSignalling(dbl, a) || isSignalling(dbl, b)) {
                s.flags |= INVALID;
            }
            return ca == NAN ? quiet(dbl, a) : quiet(dbl, b);
        }
        long r = switch (operation) {
            case F_ADD -> s.add(false, f, p);
            case F_SUB -> s.add(true, f, p);
            case F_MUL -> s.multiply(f, p);
            default -> s.divide(f, p);
        };
        return dbl ? r : r & 0xffff_ffffL;
    }

    private static long zeroBits(boolean dbl, long v) {
        return dbl ? v & Long.MIN_VALUE : v & 0x8000_0000L;
    }

    /** One element of a one-operand operation on the source b: square root, reciprocal approximations. */
    static long unary(SoftFloat s, int operation, boolean dbl, long b, boolean daz) {
        if (operation == F_RCP || operation == F_RSQRT) {
            return approximation(operation, (int) b) & 0xffff_ffffL;
        }
        int outer = s.flags;
        s.flags = 0;
        int cls = unpack(s, dbl, b, false, daz);
        long r;
        if (cls == NAN) {
            if (isSignalling(dbl, b)) {
                s.flags |= INVALID;
            }
            r = quiet(dbl, b);
        } else {
            r = s.sqrt(format(dbl), format(dbl).precision);
        }
        s.flags = withDenormal(s, outer, dbl, daz, 0, b, false);
        return dbl ? r : r & 0xffff_ffffL;
    }

    /**
     * RCPSS/RCPPS and RSQRTSS/RSQRTPS: approximations (the SDM allows a relative error up to
     * 1.5 * 2^-12); here the correctly rounded single value. They raise no exception:
     * denormal inputs count as zero, tiny results are zero.
     */
    static int approximation(int operation, int b) {
        float x = Float.intBitsToFloat(b);
        if (Float.isNaN(x)) {
            return b | 0x0040_0000;
        }
        if (Math.abs(x) < Float.MIN_NORMAL) {
            x = Math.copySign(0f, x);
        }
        double r;
        if (operation == F_RCP) {
            r = 1.0 / x;
        } else {
            r = x < 0 ? Double.NaN : 1.0 / Math.sqrt(x);
            if (x == 0) {
                r = Math.copySign(Double.POSITIVE_INFINITY, x);
            }
        }
        if (Double.isNaN(r)) {
            return 0xffc0_0000;
        }
        float f = (float) r;
        if (f != 0 && Math.abs(f) < Float.MIN_NORMAL) {
            f = Math.copySign(0f, f);
        }
        return Float.floatToRawIntBits(f);
    }

    // =====================================================================================
    // Packed and scalar arithmetic

    private static void arithmetic(Cpu c, int operation, int shape, int reg, int rm, int seg, int off, int imm) {
        boolean dbl = shape == PD || shape == SD;
        boolean scalar = shape == SS || shape == SD;
        long slo, shi = 0;
        if (rm >= 0) {
            slo = c.xmm[2 * rm];
            shi = c.xmm[2 * rm + 1];
        } else if (scalar) {
            slo = dbl ? c.read64(seg, off) : c.read32(seg, off) & 0xffff_ffffL;
        } else {
            long[] m = c.simdScratch;
            Simd.read128(c, seg, off, true, m);
            slo = m[0];
            shi = m[1];
        }
        long dlo = c.xmm[2 * reg], dhi = c.xmm[2 * reg + 1];
        int n = scalar ? 1 : dbl ? 2 : 4;
        long[] r = c.sseLanes;
        for (int k = 0; k < 4; k++) {
            r[k] = lane(dbl, dlo, dhi, k);   // scalar forms keep the destination's upper elements
        }
        SoftFloat s = unit(c);
        boolean daz = daz(c);
        switch (operation) {
            case F_SQRT, F_RCP, F_RSQRT -> {
                for (int k = 0; k < n; k++) {
                    r[k] = unary(s, operation, dbl, lane(dbl, slo, shi, k), daz);
                }
            }
            case F_ADDSUB -> {
                for (int k = 0; k < n; k++) {
                    r[k] = binary(s, (k & 1) == 0 ? F_SUB : F_ADD, dbl, lane(dbl, dlo, dhi, k), lane(dbl, slo, shi, k), daz, 0);
                }
            }
            case F_HADD, F_HSUB -> {
                int op = operation == F_HADD ? F_ADD : F_SUB;
                int half = n / 2;
                for (int k = 0; k < half; k++) {
                    r[k] = binary(s, op, dbl, lane(dbl, dlo, dhi, 2 * k), lane(dbl, dlo, dhi, 2 * k + 1), daz, 0);
                    r[half + k] = binary(s, op, dbl, lane(dbl, slo, shi, 2 * k), lane(dbl, slo, shi, 2 * k + 1), daz, 0);
                }
            }
            default -> {
                for (int k = 0; k < n; k++) {
                    r[k] = binary(s, operation, dbl, lane(dbl, dlo, dhi, k), lane(dbl, slo, shi, k), daz, imm);
                }
            }
        }
        finish(c, s);
        Simd.setXmm(c, reg, packLo(dbl, r), packHi(dbl, r));
    }

    /** Element k of a 128-bit value: a single (zero-extended, k 0-3) or a double (k 0-1; 2-3 read as 0). */
    static long lane(boolean dbl, long lo, long hi, int k) {
        if (dbl) {
            return k == 0 ? lo : k == 1 ? hi : 0;
        }
        return ((k < 2 ? lo : hi) >>> (32 * (k & 1))) & 0xffff_ffffL;
    }

    /** The low and high 64 bits of four singles or two doubles. */
    static long packLo(boolean dbl, long[] e) {
        return dbl ? e[0] : (e[0] & 0xffff_ffffL) | e[1] << 32;
    }

    static long packHi(boolean dbl, long[] e) {
        return dbl ? e[1] : (e[2] & 0xffff_ffffL) | e[3] << 32;
    }

    // =====================================================================================
    // COMISS / UCOMISS / COMISD / UCOMISD: ZF, PF, CF; OF, SF, AF cleared

    private static void compareFlags(Cpu c, int op, int reg, int rm, int seg, int off) {
        boolean dbl = op == COMISD || op == UCOMISD;
        boolean signalsQuiet = op == COMISS || op == COMISD;
        long a = dbl ? c.xmm[2 * reg] : c.xmm[2 * reg] & 0xffff_ffffL;
        long b;
        if (rm >= 0) {
            b = dbl ? c.xmm[2 * rm] : c.xmm[2 * rm] & 0xffff_ffffL;
        } else {
            b = dbl ? c.read64(seg, off) : c.read32(seg, off) & 0xffff_ffffL;
        }
        SoftFloat s = unit(c);
        boolean daz = daz(c);
        boolean nan = isNaN(dbl, a) || isNaN(dbl, b);
        if (nan && (signalsQuiet || isSignalling(dbl, a) || isSignalling(dbl, b))) {
            s.flags |= INVALID;
        }
        s.flags = withDenormal(s, 0, dbl, daz, a, b, true);
        int bits;
        if (nan) {
            bits = Flags.ZF | Flags.PF | Flags.CF;
        } else {
            double va = value(dbl, a, daz), vb = value(dbl, b, daz);
            bits = va < vb ? Flags.CF : va == vb ? Flags.ZF : 0;
        }
        finish(c, s);
        int mask = Flags.ZF | Flags.PF | Flags.CF | Flags.OF | Flags.SF | Flags.AF;
        c.setEflags((c.getEflags() & ~mask) | bits);
    }

    // =====================================================================================
    // Moves and shuffles

    private static void move(Cpu c, int op, int reg, int rm, int seg, int off, int imm) {
        long[] s = new long[2];
        switch (op) {
            case MOVUPS_LOAD, MOVAPS_LOAD, LDDQU -> {
                if (rm >= 0) {
                    s[0] = c.xmm[2 * rm];
                    s[1] = c.xmm[2 * rm + 1];
                } else {
                    Simd.read128(c, seg, off, op == MOVAPS_LOAD, s);
                }
                Simd.setXmm(c, reg, s[0], s[1]);
            }
            case MOVUPS_STORE, MOVAPS_STORE -> {
                long lo = c.xmm[2 * reg], hi = c.xmm[2 * reg + 1];
                if (rm >= 0) {
                    Simd.setXmm(c, rm, lo, hi);
                } else {
                    Simd.write128(c, seg, off, op == MOVAPS_STORE, lo, hi);
                }
            }
            case MOVSS_LOAD -> {
                if (rm >= 0) {   // register form: the low element only
                    c.xmm[2 * reg] = (c.xmm[2 * reg] & 0xffff_ffff_0000_0000L) | (c.xmm[2 * rm] & 0xffff_ffffL);
                } else {
                    Simd.setXmm(c, reg, c.read32(seg, off) & 0xffff_ffffL, 0);   // from memory: the rest zeroed
                }
            }
            case MOVSS_STORE -> {
                if (rm >= 0) {
                    c.xmm[2 * rm] = (c.xmm[2 * rm] & 0xffff_ffff_0000_0000L) | (c.xmm[2 * reg] & 0xffff_ffffL);
                } else {
                    c.write32(seg, off, (int) c.xmm[2 * reg]);
                }
            }
            case MOVSD_LOAD -> {
                if (rm >= 0) {
                    c.xmm[2 * reg] = c.xmm[2 * rm];
                } else {
                    Simd.setXmm(c, reg, c.read64(seg, off), 0);
                }
            }
            case MOVSD_STORE -> {
                if (rm >= 0) {
                    c.xmm[2 * rm] = c.xmm[2 * reg];
                } else {
                    c.write64(seg, off, c.xmm[2 * reg]);
                }
            }
            case MOVLPS_LOAD -> c.xmm[2 * reg] = rm >= 0 ? c.xmm[2 * rm + 1] : c.read64(seg, off);   // reg: MOVHLPS
            case MOVLPD_LOAD -> c.xmm[2 * reg] = c.read64(seg, off);
            case MOVLPS_STORE -> c.write64(seg, off, c.xmm[2 * reg]);
            case MOVHPS_LOAD -> c.xmm[2 * reg + 1] = rm >= 0 ? c.xmm[2 * rm] : c.read64(seg, off);   // reg: MOVLHPS
            case MOVHPD_LOAD -> c.xmm[2 * reg + 1] = c.read64(seg, off);
            case MOVHPS_STORE -> c.write64(seg, off, c.xmm[2 * reg + 1]);
            case MOVSLDUP, MOVSHDUP -> {
                source(c, rm, seg, off, s);
                int shift = op == MOVSLDUP ? 0 : 32;
                long e0 = (s[0] >>> shift) & 0xffff_ffffL, e2 = (s[1] >>> shift) & 0xffff_ffffL;
                Simd.setXmm(c, reg, e0 | e0 << 32, e2 | e2 << 32);
            }
            case MOVDDUP -> {
                long v = rm >= 0 ? c.xmm[2 * rm] : c.read64(seg, off);
                Simd.setXmm(c, reg, v, v);
            }
            case MOVMSKPS -> {
                long lo = c.xmm[2 * rm], hi = c.xmm[2 * rm + 1];
                c.r[reg] = (int) (lo >>> 31 & 1 | lo >>> 62 & 2 | (hi >>> 31 & 1) << 2 | (hi >>> 62 & 2) << 2);
            }
            case MOVMSKPD -> c.r[reg] = (int) (c.xmm[2 * rm] >>> 63 | (c.xmm[2 * rm + 1] >>> 63) << 1);
            case SHUFPS -> {
                source(c, rm, seg, off, s);
                long dlo = c.xmm[2 * reg], dhi = c.xmm[2 * reg + 1];
                long lo = lane(false, dlo, dhi, imm & 3) | lane(false, dlo, dhi, (imm >>> 2) & 3) << 32;
                long hi = lane(false, s[0], s[1], (imm >>> 4) & 3) | lane(false, s[0], s[1], (imm >>> 6) & 3) << 32;
                Simd.setXmm(c, reg, lo, hi);
            }
            case SHUFPD -> {
                source(c, rm, seg, off, s);
                long lo = (imm & 1) == 0 ? c.xmm[2 * reg] : c.xmm[2 * reg + 1];
                long hi = (imm & 2) == 0 ? s[0] : s[1];
                Simd.setXmm(c, reg, lo, hi);
            }
            default -> throw Fault.ud();
        }
    }

    /** The 128-bit source of a packed operation: XMM register rm or aligned memory. */
    static void source(Cpu c, int rm, int seg, int off, long[] out) {
        if (rm >= 0) {
            out[0] = c.xmm[2 * rm];
            out[1] = c.xmm[2 * rm + 1];
        } else {
            Simd.read128(c, seg, off, true, out);
        }
    }
}
