package io.jvisor.cpu;

/** BT/BTS/BTR/BTC, BSF/BSR, BSWAP (SDM Vol. 2). */
public final class BitOps {
    private BitOps() { }

    public static final int BT = 0, BTS = 1, BTR = 2, BTC = 3;

    /** Tests bit {@code bit} (already reduced modulo the operand size) and applies the op; CF = old bit. */
    public static int bitOp(Cpu c, int op, int size, int value, int bit) {
        boolean old = ((value >>> bit) & 1) != 0;
        int f = c.getEflags() & ~Flags.CF;
        c.setArithFlags(f | (old ? Flags.CF : 0));
        return switch (op) {
            case BTS -> value | (1 << bit);
            case BTR -> value & ~(1 << bit);
            case BTC -> value ^ (1 << bit);
            default -> value;
        } & Alu.mask(size);
    }

    /** BSF: index of the lowest set bit; ZF=1 and destination unchanged when the source is zero. */
    public static int bsf(Cpu c, int size, int src, int oldDest) {
        src &= Alu.mask(size);
        int f = c.getEflags() & ~Flags.ZF;
        if (src == 0) {
            c.setArithFlags(f | Flags.ZF);
            return oldDest;
        }
        int res = Integer.numberOfTrailingZeros(src);
        c.setArithFlags(f);
        return res;
    }

    public static int bsr(Cpu c, int size, int src, int oldDest) {
        src &= Alu.mask(size);
        int f = c.getEflags() & ~Flags.ZF;
        if (src == 0) {
            c.setArithFlags(f | Flags.ZF);
            return oldDest;
        }
        int res = 31 - Integer.numberOfLeadingZeros(src);
        c.setArithFlags(f);
        return res;
    }
}
