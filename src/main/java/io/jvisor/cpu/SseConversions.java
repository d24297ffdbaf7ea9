package io.jvisor.cpu;

import static io.jvisor.cpu.SimdOp.*;
import static io.jvisor.cpu.SoftFloat.*;

/**
 * The SSE/SSE2 conversions (SDM Vol. 1 11.4.4 and each instruction's page): between
 * single and double precision, from 32-bit integers (XMM, MMX or general registers) to
 * either, and back, rounded as MXCSR.RC says or truncated (the CVTT forms). A NaN, an
 * infinity or a value outside the integer range converts to the "integer indefinite"
 * 0x80000000 with the invalid flag. Those touching an MMX register put the x87 unit in MMX
 * state and, like MMX instructions, first report a pending x87 exception (#MF).
 */
final class SseConversions {
    private SseConversions() { }

    private static final long INDEFINITE = 0x8000_0000L;

    static void execute(Cpu c, int op, int reg, int rm, int seg, int off) {
        SoftFloat s = SseFloat.unit(c);
        boolean daz = SseFloat.daz(c);
        switch (op) {
            case CVTPI2PS, CVTPI2PD -> {
                long v;
                if (rm >= 0) {
                    Simd.checkX87Pending(c);
                    v = Simd.mm(c, rm);
                } else {
                    v = c.read64(seg, off);
                }
                boolean dbl = op == CVTPI2PD;
                long r0 = fromInt(s, dbl, (int) v), r1 = fromInt(s, dbl, (int) (v >>> 32));
                SseFloat.finish(c, s);
                if (rm >= 0) {
                    Simd.enterMmxState(c);
                }
                if (dbl) {
                    Simd.setXmm(c, reg, r0, r1);
                } else {
                    c.xmm[2 * reg] = r0 | r1 << 32;   // the upper two singles are kept
                }
            }
            case CVTSI2SS, CVTSI2SD -> {
                int v = rm >= 0 ? c.r[rm] : c.read32(seg, off);
                boolean dbl = op == CVTSI2SD;
                long r = fromInt(s, dbl, v);
                SseFloat.finish(c, s);
                c.xmm[2 * reg] = dbl ? r : (c.xmm[2 * reg] & 0xffff_ffff_0000_0000L) | r;
            }
            case CVTTPS2PI, CVTPS2PI, CVTTPD2PI, CVTPD2PI -> {
                Simd.checkX87Pending(c);
                boolean dbl = op == CVTTPD2PI || op == CVTPD2PI;
                boolean truncate = op == CVTTPS2PI || op == CVTTPD2PI;
                long[] e = dbl ? source128(c, rm, seg, off) : source64(c, rm, seg, off);
                long i0, i1;
                if (dbl) {
                    i0 = toInt(s, true, e[0], truncate, daz);
                    i1 = toInt(s, true, e[1], truncate, daz);
                } else {
                    i0 = toInt(s, false, e[0] & 0xffff_ffffL, truncate, daz);
                    i1 = toInt(s, false, e[0] >>> 32, truncate, daz);
                }
                SseFloat.finish(c, s);
                Simd.setMm(c, reg, i0 & 0xffff_ffffL | i1 << 32);
            }
            case CVTTSS2SI, CVTSS2SI, CVTTSD2SI, CVTSD2SI -> {
                boolean dbl = op == CVTTSD2SI || op == CVTSD2SI;
                long v;
                if (rm >= 0) {
                    v = dbl ? c.xmm[2 * rm] : c.xmm[2 * rm] & 0xffff_ffffL;
                } else {
                    v = dbl ? c.read64(seg, off) : c.read32(seg, off) & 0xffff_ffffL;
                }
                long r = toInt(s, dbl, v, op == CVTTSS2SI || op == CVTTSD2SI, daz);
                SseFloat.finish(c, s);
                c.r[reg] = (int) r;
            }
            case CVTPS2PD -> {
                long v = rm >= 0 ? c.xmm[2 * rm] : c.read64(seg, off);
                long r0 = widen(s, v & 0xffff_ffffL, daz), r1 = widen(s, v >>> 32, daz);
                SseFloat.finish(c, s);
                Simd.setXmm(c, reg, r0, r1);
            }
            case CVTSS2SD -> {
                long v = rm >= 0 ? c.xmm[2 * rm] & 0xffff_ffffL : c.read32(seg, off) & 0xffff_ffffL;
                long r = widen(s, v, daz);
                SseFloat.finish(c, s);
                c.xmm[2 * reg] = r;
            }
            case CVTPD2PS -> {
                long[] e = source128(c, rm, seg, off);
                long r0 = narrow(s, e[0], daz), r1 = narrow(s, e[1], daz);
                SseFloat.finish(c, s);
                Simd.setXmm(c, reg, r0 | r1 << 32, 0);
            }
            case CVTSD2SS -> {
                long v = rm >= 0 ? c.xmm[2 * rm] : c.read64(seg, off);
                long r = narrow(s, v, daz);
                SseFloat.finish(c, s);
                c.xmm[2 * reg] = (c.xmm[2 * reg] & 0xffff_ffff_0000_0000L) | r;
            }
            case CVTDQ2PS -> {
                long[] e = source128(c, rm, seg, off);
                long[] r = c.sseLanes;
                for (int k = 0; k < 4; k++) {
                    r[k] = fromInt(s, false, (int) (e[k >>> 1] >>> (32 * (k & 1))));
                }
                SseFloat.finish(c, s);
                Simd.setXmm(c, reg, SseFloat.packLo(false, r), SseFloat.packHi(false, r));
            }
            case CVTPS2DQ, CVTTPS2DQ -> {
                long[] e = source128(c, rm, seg, off);
                long[] r = c.sseLanes;
                for (int k = 0; k < 4; k++) {
                    r[k] = toInt(s, false, (e[k >>> 1] >>> (32 * (k & 1))) & 0xffff_ffffL, op == CVTTPS2DQ, daz);
                }
                SseFloat.finish(c, s);
                Simd.setXmm(c, reg, SseFloat.packLo(false, r), SseFloat.packHi(false, r));
            }
            case CVTDQ2PD -> {
                long v = rm >= 0 ? c.xmm[2 * rm] : c.read64(seg, off);
                Simd.setXmm(c, reg, fromInt(s, true, (int) v), fromInt(s, true, (int) (v >>> 32)));
            }
            case CVTPD2DQ, CVTTPD2DQ -> {
                long[] e = source128(c, rm, seg, off);
                long i0 = toInt(s, true, e[0], op == CVTTPD2DQ, daz), i1 = toInt(s, true, e[1], op == CVTTPD2DQ, daz);
                SseFloat.finish(c, s);
                Simd.setXmm(c, reg, i0 & 0xffff_ffffL | i1 << 32, 0);
            }
            default -> throw Fault.ud();
        }
    }

    private static long[] source128(Cpu c, int rm, int seg, int off) {
        long[] e = c.simdScratch;
        SseFloat.source(c, rm, seg, off, e);
        return e;
    }

    /** The 64-bit source of CVT(T)PS2PI: the low half of an XMM register or m64. */
    private static long[] source64(Cpu c, int rm, int seg, int off) {
        return new long[] {rm >= 0 ? c.xmm[2 * rm] : c.read64(seg, off)};
    }

    /** A 32-bit integer as single or double (double: always exact). */
    static long fromInt(SoftFloat s, boolean dbl, int v) {
        s.loadInteger(v);
        long r = s.round(s.aNeg, s.aExp, s.aSig, 0, SseFloat.format(dbl), SseFloat.format(dbl).precision);
        return dbl ? r : r & 0xffff_ffffL;
    }

    /** A single or double element to a 32-bit integer (integer indefinite when invalid; never the denormal flag). */
    static long toInt(SoftFloat s, boolean dbl, long v, boolean truncate, boolean daz) {
        SseFloat.unpack(s, dbl, v, false, daz);
        return s.toInteger(truncate, Integer.MIN_VALUE, Integer.MAX_VALUE, INDEFINITE) & 0xffff_ffffL;
    }

    /** Single to double: exact; a NaN keeps its sign and payload (made quiet). */
    static long widen(SoftFloat s, long v, boolean daz) {
        int outer = s.flags;
        s.flags = 0;
        int cls = SseFloat.unpack(s, false, v, false, daz);
        long r;
        if (cls == NAN) {
            if (SseFloat.isSignalling(false, v)) {
                s.flags |= INVALID;
            }
            r = (v & 0x8000_0000L) << 32 | 0x7ff8_0000_0000_0000L | (v & 0x3f_ffffL) << 29;
        } else {
            r = convert(s, cls, Format.DOUBLE);
        }
        s.flags = SseFloat.withDenormal(s, outer, false, daz, 0, v, false);
        return r;
    }

    /** Double to single, rounded; a NaN keeps its sign and the top of its payload. */
    static long narrow(SoftFloat s, long v, boolean daz) {
        int outer = s.flags;
        s.flags = 0;
        int cls = SseFloat.unpack(s, true, v, false, daz);
        long r;
        if (cls == NAN) {
            if (SseFloat.isSignalling(true, v)) {
                s.flags |= INVALID;
            }
            r = (v >>> 32 & 0x8000_0000L) | 0x7fc0_0000L | (v >>> 29 & 0x3f_ffffL);
        } else {
            r = convert(s, cls, Format.SINGLE) & 0xffff_ffffL;
        }
        s.flags = SseFloat.withDenormal(s, outer, true, daz, 0, v, false);
        return r;
    }

    /** Operand a (not a NaN) in format f: a zero (also a denormal read as zero), an infinity, or rounded. */
    private static long convert(SoftFloat s, int cls, Format f) {
        return switch (cls) {
            case ZERO -> s.packZero(s.aNeg, f);
            case INF -> s.packInf(s.aNeg, f);
            default -> s.round(s.aNeg, s.aExp, s.aSig, 0, f, f.precision);
        };
    }
}
