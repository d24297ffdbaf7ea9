package io.jvisor.cpu;

/** EFLAGS bit masks (SDM 3.4.3). */
public final class Flags {
    private Flags() { }

    public static final int CF = 1, BIT1 = 2, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, TF = 0x100, IF = 0x200,
            DF = 0x400, OF = 0x800, IOPL = 0x3000, NT = 0x4000, RF = 0x10000, VM = 0x20000, AC = 0x40000,
            VIF = 0x80000, VIP = 0x100000, ID = 0x200000;
    /** The six arithmetic status flags. */
    public static final int ARITH = CF | PF | AF | ZF | SF | OF;
    /** Bits an i686 implements (everything else reads as zero, bit 1 reads as one). */
    public static final int IMPLEMENTED = ARITH | TF | IF | DF | IOPL | NT | RF | VM | AC | VIF | VIP | ID;

    private static final byte[] PARITY = new byte[256];

    static {
        for (int i = 0; i < 256; i++) {
            PARITY[i] = (byte) ((Integer.bitCount(i) & 1) == 0 ? PF : 0);
        }
    }

    /** PF for a result: set when the low byte has an even number of ones. */
    public static int parity(int v) {
        return PARITY[v & 0xff];
    }
}
