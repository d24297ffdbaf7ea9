package io.jvisor.cpu;

/**
 * Shifts and rotates (SDM Vol. 2, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD). The count
 * is masked to 5 bits; a masked count of zero changes neither the operand nor the flags.
 * OF is defined only for one-bit counts; for larger counts it is computed the same way
 * (what the P6 family does), and test vectors mask it as undefined.
 */
public final class Shifts {
    private Shifts() { }

    public static final int ROL = 0, ROR = 1, RCL = 2, RCR = 3, SHL = 4, SHR = 5, SAL = 6, SAR = 7;

    /** The shift or rotate {@code kind} (ModRM.reg of the group-2 opcodes) of a {@code size}-byte operand. */
    public static int op(Cpu c, int kind, int size, int a, int count) {
        return switch (kind) {
            case ROL -> rol(c, size, a, count);
            case ROR -> ror(c, size, a, count);
            case RCL -> rcl(c, size, a, count);
            case RCR -> rcr(c, size, a, count);
            case SHL, SAL -> shl(c, size, a, count);
            case SHR -> shr(c, size, a, count);
            default -> sar(c, size, a, count);
        };
    }

    public static int rol(Cpu c, int size, int a, int count) {
        count &= 0x1f;
        if (count == 0) {
            return a;
        }
        int res = rolValue(size, a & Alu.mask(size), count);
        rotateFlags(c, ROL, size, res);
        return res;
    }

    public static int ror(Cpu c, int size, int a, int count) {
        count &= 0x1f;
        if (count == 0) {
            return a;
        }
        int res = rorValue(size, a & Alu.mask(size), count);
        rotateFlags(c, ROR, size, res);
        return res;
    }

    /** ROL's result for a masked count of 1 to 31 ({@code a} zero-extended), without its flags. */
    public static int rolValue(int size, int a, int count) {
        int bits = size * 8;
        int n = count % bits;
        return n == 0 ? a : ((a << n) | (a >>> (bits - n))) & Alu.mask(size);
    }

    /** ROR's result for a masked count of 1 to 31, without its flags. */
    public static int rorValue(int size, int a, int count) {
        int bits = size * 8;
        int n = count % bits;
        return n == 0 ? a : ((a >>> n) | (a << (bits - n))) & Alu.mask(size);
    }

    /**
     * The flags of ROL or ROR (masked count not zero) from the result: CF is the bit that
     * went around; OF is CF xor the new top bit (ROL), or the xor of the two top bits (ROR).
     * The other flags are kept.
     */
    public static void rotateFlags(Cpu c, int kind, int size, int res) {
        int sb = Alu.signBit(size);
        boolean cf, of;
        if (kind == ROL) {
            cf = (res & 1) != 0;
            of = ((res & sb) != 0) != cf;
        } else {
            cf = (res & sb) != 0;
            of = cf != ((res & (sb >>> 1)) != 0);
        }
        setCfOf(c, cf, of);
    }

    public static int rcl(Cpu c, int size, int a, int count) {
        return rotateThroughCarry(c, size, a, count, true);
    }

    public static int rcr(Cpu c, int size, int a, int count) {
        return rotateThroughCarry(c, size, a, count, false);
    }

    /** RCL / RCR: a rotate of the size+1-bit value CF:operand; OF as for ROL / ROR. */
    private static int rotateThroughCarry(Cpu c, int size, int a, int count, boolean left) {
        count &= 0x1f;
        if (count == 0) {
            return a;
        }
        int bits = size * 8;
        int m = Alu.mask(size);
        a &= m;
        int n = count % (bits + 1);
        if (n == 0) {
            return a;
        }
        long v = (a & 0xffffffffL) | ((c.cf() ? 1L : 0L) << bits);   // bits+1 wide
        long wide = (left ? (v << n) | (v >>> (bits + 1 - n)) : (v >>> n) | (v << (bits + 1 - n)))
                & ((1L << (bits + 1)) - 1);
        int res = (int) wide & m;
        int sb = Alu.signBit(size);
        boolean cf = ((wide >>> bits) & 1) != 0;
        boolean of = left ? ((res & sb) != 0) != cf : ((res & sb) != 0) != ((res & (sb >>> 1)) != 0);
        setCfOf(c, cf, of);
        return res;
    }

    public static int shl(Cpu c, int size, int a, int count) {
        count &= 0x1f;
        if (count == 0) {
            return a;
        }
        int m = Alu.mask(size);
        long wide = ((a & m) & 0xffffffffL) << count;
        int res = (int) wide & m;
        boolean cf = count <= size * 8 && ((wide >>> (size * 8)) & 1) != 0;
        boolean of = ((res & Alu.signBit(size)) != 0) != cf;
        Alu.resultCfOf(c, size, res, cf, of);
        return res;
    }

    public static int shr(Cpu c, int size, int a, int count) {
        count &= 0x1f;
        if (count == 0) {
            return a;
        }
        int bits = size * 8;
        a &= Alu.mask(size);
        int res = count >= bits ? 0 : a >>> count;
        boolean cf = count <= bits && ((a >>> (count - 1)) & 1) != 0;
        boolean of = (a & Alu.signBit(size)) != 0;
        Alu.resultCfOf(c, size, res, cf, of);
        return res;
    }

    public static int sar(Cpu c, int size, int a, int count) {
        count &= 0x1f;
        if (count == 0) {
            return a;
        }
        int s = Alu.signExtend(a, size);
        int res = (s >> Math.min(count, 31)) & Alu.mask(size);
        boolean cf = ((s >> Math.min(count - 1, 31)) & 1) != 0;
        Alu.resultCfOf(c, size, res, cf, false);
        return res;
    }

    private static void setCfOf(Cpu c, boolean cf, boolean of) {
        int f = c.getEflags() & ~(Flags.CF | Flags.OF);
        c.setArithFlags(f | (cf ? Flags.CF : 0) | (of ? Flags.OF : 0));
    }

    /** SHLD: shifts {@code a} left, filling from the top of {@code b}. Counts above the size are undefined. */
    public static int shld(Cpu c, int size, int a, int b, int count) {
        count &= 0x1f;
        if (count == 0) {
            return a;
        }
        int bits = size * 8;
        int m = Alu.mask(size);
        long res;
        boolean cf;
        if (size == 2) {
            // 16-bit with count > 16 behaves as a 32-bit shift of b:a:b on P6
            long v = ((a & 0xffffL) << 32) | ((b & 0xffffL) << 16) | (a & 0xffffL);
            long sh = v << count;
            res = (sh >>> 32) & 0xffff;
            cf = ((sh >>> 48) & 1) != 0;
        } else {
            long v = ((a & (long) m & 0xffffffffL) << bits) | (b & (long) m & 0xffffffffL);
            long sh = v << count;
            res = (sh >>> bits) & (m & 0xffffffffL);
            cf = ((v >>> (2 * bits - count)) & 1) != 0;
        }
        int r = (int) res;
        int sb = Alu.signBit(size);
        boolean of = ((r ^ a) & sb) != 0;
        Alu.resultCfOf(c, size, r, cf, of);
        return r;
    }

    public static int shrd(Cpu c, int size, int a, int b, int count) {
        count &= 0x1f;
        if (count == 0) {
            return a;
        }
        int m = Alu.mask(size);
        long res;
        boolean cf;
        if (size == 2) {
            long v = ((a & 0xffffL)) | ((b & 0xffffL) << 16) | ((a & 0xffffL) << 32);
            res = (v >>> count) & 0xffff;
            cf = ((v >>> (count - 1)) & 1) != 0;
        } else {
            long v = (a & 0xffffffffL) | ((b & 0xffffffffL) << 32);
            res = (v >>> count) & 0xffffffffL;
            cf = ((v >>> (count - 1)) & 1) != 0;
        }
        int r = (int) res & m;
        int sb = Alu.signBit(size);
        boolean of = ((r ^ a) & sb) != 0;
        Alu.resultCfOf(c, size, r, cf, of);
        return r;
    }
}
