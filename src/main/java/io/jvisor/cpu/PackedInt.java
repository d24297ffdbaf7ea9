package io.jvisor.cpu;

import static io.jvisor.cpu.SimdOp.*;

/**
 * Packed integer arithmetic on a 64-bit group of elements (SDM Vol. 1 ch. 9 and 11; each
 * instruction's page in Vol. 2): bytes, words, doublewords or the quadword of a long,
 * element 0 in the low bits. An MMX instruction applies it to one 64-bit register, its
 * SSE2 form to both halves of an XMM register; the operations that move elements across
 * the whole register (unpack, pack, byte shifts) are in {@link Simd}.
 */
final class PackedInt {
    private PackedInt() { }

    private static final long B_HIGH = 0x8080_8080_8080_8080L, W_HIGH = 0x8000_8000_8000_8000L,
            D_HIGH = 0x8000_0000_8000_0000L;

    /** The element-wise binary operations, {@code a op b} with {@code a} the destination. */
    static long apply(int op, long a, long b) {
        return switch (op) {
            case PADDB -> add(a, b, B_HIGH);
            case PADDW -> add(a, b, W_HIGH);
            case PADDD -> add(a, b, D_HIGH);
            case PADDQ -> a + b;
            case PSUBB -> sub(a, b, B_HIGH);
            case PSUBW -> sub(a, b, W_HIGH);
            case PSUBD -> sub(a, b, D_HIGH);
            case PSUBQ -> a - b;
            case PAND -> a & b;
            case PANDN -> ~a & b;
            case POR -> a | b;
            case PXOR -> a ^ b;
            case PMULUDQ -> (a & 0xffff_ffffL) * (b & 0xffff_ffffL);
            case PSADBW -> sadbw(a, b);
            case PMADDWD -> maddwd(a, b);
            case PADDSB, PSUBSB, PADDUSB, PSUBUSB, PCMPEQB, PCMPGTB, PAVGB, PMINUB, PMAXUB -> bytes(op, a, b);
            case PADDSW, PSUBSW, PADDUSW, PSUBUSW, PCMPEQW, PCMPGTW, PMULLW, PMULHW, PMULHUW, PAVGW, PMINSW, PMAXSW ->
                    words(op, a, b);
            case PCMPEQD, PCMPGTD -> dwords(op, a, b);
            case PSIGNB, PABSB -> signBytes(op, a, b);
            case PSIGNW, PABSW, PMULHRSW, PMADDUBSW -> signWords(op, a, b);
            case PSIGND, PABSD -> signDwords(op, a, b);
            default -> throw new IllegalArgumentException("not an element-wise SIMD op: " + op);
        };
    }

    /** Addition in each element: the low bits add without crossing, the top bits by XOR. */
    private static long add(long a, long b, long high) {
        return ((a & ~high) + (b & ~high)) ^ ((a ^ b) & high);
    }

    private static long sub(long a, long b, long high) {
        return ((a | high) - (b & ~high)) ^ ((a ^ ~b) & high);
    }

    private static long bytes(int op, long a, long b) {
        long r = 0;
        for (int s = 0; s < 64; s += 8) {
            int x = (int) (a >>> s) & 0xff, y = (int) (b >>> s) & 0xff;
            int v = switch (op) {
                case PADDSB -> signedByte((byte) x + (byte) y);
                case PSUBSB -> signedByte((byte) x - (byte) y);
                case PADDUSB -> Math.min(x + y, 0xff);
                case PSUBUSB -> Math.max(x - y, 0);
                case PCMPEQB -> x == y ? 0xff : 0;
                case PCMPGTB -> (byte) x > (byte) y ? 0xff : 0;
                case PAVGB -> (x + y + 1) >>> 1;
                case PMINUB -> Math.min(x, y);
                default -> Math.max(x, y);   // PMAXUB
            };
            r |= (long) (v & 0xff) << s;
        }
        return r;
    }

    private static long words(int op, long a, long b) {
        long r = 0;
        for (int s = 0; s < 64; s += 16) {
            int x = (int) (a >>> s) & 0xffff, y = (int) (b >>> s) & 0xffff;
            int v = switch (op) {
                case PADDSW -> signedWord((short) x + (short) y);
                case PSUBSW -> signedWord((short) x - (short) y);
                case PADDUSW -> Math.min(x + y, 0xffff);
                case PSUBUSW -> Math.max(x - y, 0);
                case PCMPEQW -> x == y ? 0xffff : 0;
                case PCMPGTW -> (short) x > (short) y ? 0xffff : 0;
                case PMULLW -> (short) x * (short) y;
                case PMULHW -> ((short) x * (short) y) >> 16;
                case PMULHUW -> (x * y) >>> 16;
                case PAVGW -> (x + y + 1) >>> 1;
                case PMINSW -> Math.min((short) x, (short) y);
                default -> Math.max((short) x, (short) y);   // PMAXSW
            };
            r |= (long) (v & 0xffff) << s;
        }
        return r;
    }

    private static long dwords(int op, long a, long b) {
        long r = 0;
        for (int s = 0; s < 64; s += 32) {
            int x = (int) (a >>> s), y = (int) (b >>> s);
            boolean t = op == PCMPEQD ? x == y : x > y;
            r |= (t ? 0xffff_ffffL : 0) << s;
        }
        return r;
    }

    /** PSIGNB (a negated, kept or zeroed as b's element is negative, positive or zero), PABSB (|b|). */
    private static long signBytes(int op, long a, long b) {
        long r = 0;
        for (int s = 0; s < 64; s += 8) {
            int x = (byte) (a >>> s), y = (byte) (b >>> s);
            int v = op == PABSB ? Math.abs(y) : y < 0 ? -x : y == 0 ? 0 : x;
            r |= (long) (v & 0xff) << s;
        }
        return r;
    }

    /** PSIGNW, PABSW, PMULHRSW (rounded high half of the doubled product), PMADDUBSW (unsigned a × signed b, pairs summed, saturated). */
    private static long signWords(int op, long a, long b) {
        long r = 0;
        for (int s = 0; s < 64; s += 16) {
            int x = (short) (a >>> s), y = (short) (b >>> s);
            int v = switch (op) {
                case PABSW -> Math.abs(y);
                case PSIGNW -> y < 0 ? -x : y == 0 ? 0 : x;
                case PMULHRSW -> ((x * y >> 14) + 1) >> 1;
                default -> signedWord(((int) (a >>> s) & 0xff) * (byte) (b >>> s)
                        + ((int) (a >>> (s + 8)) & 0xff) * (byte) (b >>> (s + 8)));
            };
            r |= (long) (v & 0xffff) << s;
        }
        return r;
    }

    private static long signDwords(int op, long a, long b) {
        long r = 0;
        for (int s = 0; s < 64; s += 32) {
            int x = (int) (a >>> s), y = (int) (b >>> s);
            int v = op == PABSD ? Math.abs(y) : y < 0 ? -x : y == 0 ? 0 : x;
            r |= (v & 0xffff_ffffL) << s;
        }
        return r;
    }

    /** PSADBW: the sum of the eight absolute byte differences, in the low word (the rest zero). */
    private static long sadbw(long a, long b) {
        int sum = 0;
        for (int s = 0; s < 64; s += 8) {
            sum += Math.abs(((int) (a >>> s) & 0xff) - ((int) (b >>> s) & 0xff));
        }
        return sum;
    }

    /** PMADDWD: signed word products, adjacent pairs summed into doublewords (0x8000*0x8000*2 wraps). */
    private static long maddwd(long a, long b) {
        long r = 0;
        for (int s = 0; s < 64; s += 32) {
            int lo = (short) (a >>> s) * (short) (b >>> s);
            int hi = (short) (a >>> (s + 16)) * (short) (b >>> (s + 16));
            r |= ((lo + hi) & 0xffff_ffffL) << s;
        }
        return r;
    }

    static int signedByte(int v) {
        return Math.max(-128, Math.min(127, v));
    }

    static int signedWord(int v) {
        return Math.max(-32768, Math.min(32767, v));
    }

    // ---- shifts of each element by a count (counts beyond the element width: zero, or all sign bits)

    static long shiftLeft(long a, int width, long count) {
        if (Long.compareUnsigned(count, width) >= 0) {
            return 0;
        }
        int n = (int) count;
        if (width == 64) {
            return a << n;
        }
        return (a << n) & ~lowBits(width, n);   // drop what crossed into the next element
    }

    static long shiftRightLogical(long a, int width, long count) {
        if (Long.compareUnsigned(count, width) >= 0) {
            return 0;
        }
        int n = (int) count;
        if (width == 64) {
            return a >>> n;
        }
        return (a >>> n) & ~(lowBits(width, n) << (width - n));   // drop what crossed into the element below
    }

    static long shiftRightArithmetic(long a, int width, long count) {
        int n = Long.compareUnsigned(count, width - 1) > 0 ? width - 1 : (int) count;
        long r = 0;
        for (int s = 0; s < 64; s += width) {
            long e = width == 16 ? (short) (a >>> s) : (int) (a >>> s);
            r |= ((e >> n) & ((1L << width) - 1)) << s;
        }
        return r;
    }

    /** In every element of {@code width} bits, its low {@code n} bits set. */
    private static long lowBits(int width, int n) {
        long one = (1L << n) - 1;
        long r = 0;
        for (int s = 0; s < 64; s += width) {
            r |= one << s;
        }
        return r;
    }
}
