package io.jvisor.cpu;

import static io.jvisor.cpu.SimdOp.*;

/**
 * The SSSE3 operations that move elements across the register (SDM Vol. 2: PSHUFB,
 * PHADDW/D/SW, PHSUBW/D/SW, PALIGNR), on MMX registers or, with the 66 prefix, XMM
 * registers. The element-wise ones (PSIGN, PABS, PMULHRSW, PMADDUBSW) are in
 * {@link PackedInt}.
 */
final class Ssse3 {
    private Ssse3() { }

    static void execute(Cpu c, int op, boolean x, int reg, int rm, int seg, int off, int imm) {
        if (x) {
            long[] s = Simd.source128(c, rm, seg, off);
            long[] r = compute(op, new long[] {c.xmm[2 * reg], c.xmm[2 * reg + 1]}, s, imm);
            Simd.setXmm(c, reg, r[0], r[1]);
        } else {
            long s = rm >= 0 ? Simd.mm(c, rm) : c.read64(seg, off);
            long[] r = compute(op, new long[] {Simd.mm(c, reg)}, new long[] {s}, imm);
            Simd.setMm(c, reg, r[0]);
        }
    }

    /** d and s: 1 (MMX) or 2 (XMM) quadwords, element 0 lowest. */
    static long[] compute(int op, long[] d, long[] s, int imm) {
        int bytes = 8 * d.length;
        switch (op) {
            case PSHUFB -> {
                long[] r = new long[d.length];
                for (int k = 0; k < bytes; k++) {
                    int sel = byteAt(s, k);
                    int v = (sel & 0x80) != 0 ? 0 : byteAt(d, sel & (bytes - 1));
                    r[k >>> 3] |= (long) v << (8 * (k & 7));
                }
                return r;
            }
            case PALIGNR -> {
                // (d:s) shifted right by imm bytes; the low half of the result
                long[] r = new long[d.length];
                for (int k = 0; k < bytes; k++) {
                    int i = k + imm;
                    int v = i < bytes ? byteAt(s, i) : i < 2 * bytes ? byteAt(d, i - bytes) : 0;
                    r[k >>> 3] |= (long) v << (8 * (k & 7));
                }
                return r;
            }
            default -> {
                // horizontal: pairs of d's elements, then pairs of s's
                int width = op == PHADDD || op == PHSUBD ? 32 : 16;
                int n = bytes * 8 / width;   // elements per operand
                long[] r = new long[d.length];
                for (int k = 0; k < n; k++) {
                    long[] src = k < n / 2 ? d : s;
                    int j = 2 * (k % (n / 2));
                    int a = element(src, j, width), b = element(src, j + 1, width);
                    int v = switch (op) {
                        case PHADDW, PHADDD -> a + b;
                        case PHSUBW, PHSUBD -> a - b;
                        case PHADDSW -> PackedInt.signedWord(a + b);
                        default -> PackedInt.signedWord(a - b);   // PHSUBSW
                    };
                    int bit = k * width;
                    r[bit >>> 6] |= (v & (width == 32 ? 0xffff_ffffL : 0xffffL)) << (bit & 63);
                }
                return r;
            }
        }
    }

    private static int byteAt(long[] v, int k) {
        return (int) (v[k >>> 3] >>> (8 * (k & 7))) & 0xff;
    }

    /** Signed element j of the given width. */
    private static int element(long[] v, int j, int width) {
        int bit = j * width;
        long q = v[bit >>> 6] >>> (bit & 63);
        return width == 32 ? (int) q : (short) q;
    }
}
