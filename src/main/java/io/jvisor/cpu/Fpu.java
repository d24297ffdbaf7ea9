package io.jvisor.cpu;

/**
 * The x87 floating-point unit state (SDM vol. 1 ch. 8): eight 80-bit data registers, the
 * control, status and tag words, and the last-instruction pointers. The instruction
 * semantics live in {@link X87}.
 *
 * <p>Data registers are held as exact 80-bit double-extended images (a 64-bit significand
 * with explicit integer bit plus a 16-bit sign/exponent word), indexed by physical register
 * number; ST(i) is physical register (TOP + i) mod 8. Moves, loads and stores of any format
 * are therefore bit-exact; only arithmetic goes through {@code double} (see {@link X87}).
 *
 * <p>The tag word keeps only the empty/non-empty bit per register; the full two-bit tags
 * (valid, zero, special, empty) are derived from the register contents whenever they are
 * stored (fnstenv, fnsave). That is also what fldenv/frstor effectively do here: loaded
 * non-empty tags are recomputed from the contents.
 *
 * <p>Only the vCPU's own thread touches this object.
 */
public final class Fpu {
    // ---- status word bits (SDM 8.1.3)
    static final int IE = 0x0001, DE = 0x0002, ZE = 0x0004, OE = 0x0008, UE = 0x0010, PE = 0x0020;
    static final int SF = 0x0040, ES = 0x0080, C0 = 0x0100, C1 = 0x0200, C2 = 0x0400, C3 = 0x4000, B = 0x8000;
    /** The six exception flags (also the six mask bits of the control word). */
    static final int EXC = 0x3f;
    static final int CC = C0 | C1 | C2 | C3;
    // ---- control word (SDM 8.1.5)
    static final int RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3;
    /** Writable control word bits: masks, PC, RC and the (ignored) infinity control X; bit 6 reads as 1. */
    static final int CW_WRITABLE = 0x1f3f, CW_ONE = 0x0040;
    static final int CW_INIT = 0x037f;
    static final int MXCSR_INIT = 0x1f80;
    /** MXCSR bits fxrstor and LDMXCSR accept (MXCSR_MASK as stored by fxsave: DAZ included). */
    static final int MXCSR_MASK = SseFloat.MXCSR_MASK;

    /** Significand (with explicit integer bit) of each physical register. */
    final long[] mant = new long[8];
    /** Sign (bit 15) and biased exponent (bits 14..0) of each physical register. */
    final int[] sexp = new int[8];
    /** Bit i set: physical register i is empty (tag 11). */
    int emptyMask;
    int top;
    /** Control word. */
    int cw;
    /** Status word without the TOP field (bits 13..11 kept zero). */
    int sw;
    /** Last non-control instruction: offset and CS selector, operand offset and selector, opcode (11 bits). */
    int fip, fcs, fdp, fds, fop;
    /** MXCSR: the SSE control and status register (SseFloat reads and writes it). */
    int mxcsr;
    /** Software arithmetic for the x87's exact extended-precision results. */
    final SoftFloat soft = new SoftFloat();
    /** The pending error was already signalled through {@link #ferr} (CR0.NE=0). */
    boolean ferrSignaled;

    /**
     * FERR# output, used when CR0.NE=0 (PC/AT style error reporting): called when a waiting x87
     * instruction finds a pending unmasked exception, once per exception episode (until the
     * exception flags are cleared). The platform routes it to IRQ13. Null: ignored.
     */
    public Runnable ferr;

    // ---- scratch outputs of the conversion helpers in X87 (vCPU thread only)
    long tM;
    int tSe;
    int tFlags;

    public Fpu() {
        reset();
    }

    /** Processor reset: the FNINIT state, registers cleared to +0.0, MXCSR at its default. */
    public void reset() {
        java.util.Arrays.fill(mant, 0);
        java.util.Arrays.fill(sexp, 0);
        mxcsr = MXCSR_INIT;
        init();
    }

    /** FNINIT (SDM FINIT): control 037F, status 0, all tags empty, pointers and opcode cleared. */
    void init() {
        cw = CW_INIT;
        sw = 0;
        top = 0;
        emptyMask = 0xff;
        fip = fcs = fdp = fds = fop = 0;
        ferrSignaled = false;
    }

    // =====================================================================================
    // Words as software sees them

    /** The status word including TOP. */
    public int statusWord() {
        return (sw & ~0x3800) | (top << 11);
    }

    public int controlWord() {
        return cw;
    }

    /** The full tag word: two bits per physical register, computed from the contents. */
    public int tagWord() {
        int tw = 0;
        for (int p = 0; p < 8; p++) {
            tw |= tag(p) << (2 * p);
        }
        return tw;
    }

    /** The fxsave abridged tag byte: bit i set when physical register i is not empty. */
    public int abridgedTagWord() {
        return ~emptyMask & 0xff;
    }

    /** Tag of physical register p: 0 valid, 1 zero, 2 special (NaN, infinity, denormal, unsupported), 3 empty. */
    int tag(int p) {
        if ((emptyMask >> p & 1) != 0) {
            return 3;
        }
        int e = sexp[p] & 0x7fff;
        long m = mant[p];
        if (e == 0x7fff) {
            return 2;
        }
        if (e == 0) {
            return m == 0 ? 1 : 2;
        }
        return m < 0 ? 0 : 2;   // integer bit clear: unnormal
    }

    void setStatusWord(int v) {
        top = (v >> 11) & 7;
        sw = v & ~0x3800;
        updateSummary();
    }

    void setControlWord(int v) {
        cw = (v & CW_WRITABLE) | CW_ONE;
        updateSummary();
    }

    /** Loads the full tag word: only "empty" survives, other tags are recomputed from the contents. */
    void setTagWord(int tw) {
        int e = 0;
        for (int p = 0; p < 8; p++) {
            if (((tw >> (2 * p)) & 3) == 3) {
                e |= 1 << p;
            }
        }
        emptyMask = e;
    }

    /** Recomputes ES and B from the exception flags and masks (ES = an unmasked exception is pending). */
    void updateSummary() {
        if ((sw & ~cw & EXC) != 0) {
            sw |= ES | B;
        } else {
            sw &= ~(ES | B);
            ferrSignaled = false;
        }
    }

    /** Records exception flags; unmasked ones make an exception pending (ES, B). */
    void raise(int flags) {
        sw |= flags;
        if ((flags & ~cw & EXC) != 0) {
            sw |= ES | B;
        }
    }

    boolean masked(int flag) {
        return (cw & flag) != 0;
    }

    int rc() {
        return (cw >> 10) & 3;
    }

    // =====================================================================================
    // Register stack

    int phys(int i) {
        return (top + i) & 7;
    }

    boolean isEmpty(int i) {
        return (emptyMask >> ((top + i) & 7) & 1) != 0;
    }

    void set(int p, int se, long m) {
        sexp[p] = se & 0xffff;
        mant[p] = m;
        emptyMask &= ~(1 << p);
    }

    void pop() {
        emptyMask |= 1 << top;
        top = (top + 1) & 7;
    }

    /** ST(i) converted to double (round to nearest), for debuggers and tests; NaN if empty. */
    public double st(int i) {
        if (isEmpty(i)) {
            return Double.NaN;
        }
        int p = phys(i);
        return X87.toDouble(sexp[p], mant[p]);
    }

    /** The raw 80-bit image of ST(i): significand. */
    public long stMantissa(int i) {
        return mant[phys(i)];
    }

    /** The raw 80-bit image of ST(i): sign and exponent. */
    public int stSignExp(int i) {
        return sexp[phys(i)];
    }

    public int top() {
        return top;
    }

    public int instructionPointer() {
        return fip;
    }

    public int instructionSelector() {
        return fcs;
    }

    public int dataPointer() {
        return fdp;
    }

    public int dataSelector() {
        return fds;
    }

    public int lastOpcode() {
        return fop;
    }

    /** MXCSR, the SSE control and status register. */
    public int mxcsr() {
        return mxcsr;
    }

    /** Sets MXCSR (no checks: LDMXCSR and FXRSTOR check reserved bits). */
    public void setMxcsr(int v) {
        mxcsr = v;
    }
}
