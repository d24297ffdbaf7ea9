package io.jvisor.cpu;

/** BT/BTS/BTR/BTC, BSF/BSR, BSWAP (SDM Vol. 2). */
public final class BitOps {
    private BitOps() { }

    public static final int BT = 0, BTS = 1, BTR = 2, BTC = 3;

    /** Tests bit {@code bit} (taken modulo the operand size in bits) and applies the op; CF = old bit. */
    public static int bitOp(Cpu c, int op, int size, int value, int bit) {
        bit &= size * 8 - 1;
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

    /**
     * BT/BTS/BTR/BTC m, reg: the offset of the word or dword holding the bit. The register bit
     * offset is signed and may address memory beyond the operand at {@code ea} (SDM BT).
     */
    public static int memOperandOffset(int size, int bitOffset, int ea, boolean a32) {
        int off = ea + (Alu.signExtend(bitOffset, size) >> (size == 4 ? 5 : 4)) * size;
        return a32 ? off : off & 0xffff;
    }

    /** BSWAP: reverses the bytes of a 32-bit value; BSWAP r16 is undefined and P6 clears the word. */
    public static int bswap(int value, boolean o32) {
        return o32 ? Integer.reverseBytes(value) : 0;
    }
}
