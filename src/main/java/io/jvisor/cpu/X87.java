package io.jvisor.cpu;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

import static io.jvisor.cpu.Fpu.B;
import static io.jvisor.cpu.Fpu.C0;
import static io.jvisor.cpu.Fpu.C1;
import static io.jvisor.cpu.Fpu.C2;
import static io.jvisor.cpu.Fpu.C3;
import static io.jvisor.cpu.Fpu.DE;
import static io.jvisor.cpu.Fpu.ES;
import static io.jvisor.cpu.Fpu.EXC;
import static io.jvisor.cpu.Fpu.IE;
import static io.jvisor.cpu.Fpu.OE;
import static io.jvisor.cpu.Fpu.PE;
import static io.jvisor.cpu.Fpu.RC_DOWN;
import static io.jvisor.cpu.Fpu.RC_NEAREST;
import static io.jvisor.cpu.Fpu.RC_UP;
import static io.jvisor.cpu.Fpu.RC_ZERO;
import static io.jvisor.cpu.Fpu.SF;
import static io.jvisor.cpu.Fpu.UE;
import static io.jvisor.cpu.Fpu.ZE;

/**
 * x87 instruction semantics (SDM vol. 1 ch. 8, vol. 2 FADD..FYL2XP1), with SSE3's FISTTP,
 * FCMOVcc/FCOMI present, FXSAVE/FXRSTOR with the 512-byte legacy image.
 *
 * <p><b>Precision.</b> Registers hold exact 80-bit images (see {@link Fpu}), so every load,
 * store and move (fld/fst m80, fld/fxch/fst ST(i), fild/fistp m64, fbld/fbstp, fchs, fabs,
 * fsave/frstor, fxsave/fxrstor) is bit-exact, as are comparisons, frndint, fscale, fxtract
 * and fprem/fprem1, which work on the 80-bit image. Other arithmetic (fadd..fdivr, fsqrt,
 * transcendentals) converts the operands to {@code double} (round to nearest), computes in
 * double and stores the double result: precision beyond 53 bits and exponent range beyond
 * double's are lost there (a finite extended value outside double range acts as an infinity
 * or zero). Precision control is ignored. Rounding control is honoured exactly by
 * fist/fistp/fbstp/frndint, by fst/fstp to m32/m64, and (at double precision) by the basic
 * arithmetic: add, subtract, multiply, divide and square root use an exact error term to
 * round in the directed modes and to set PE and C1 (rounded up). Transcendentals set PE
 * whenever the result is not known exact. Underflow is flagged on m32/m64 stores and when a
 * double result is subnormal and inexact; overflow when a double result overflows.
 *
 * <p><b>Exceptions.</b> IE (with SF for stack faults), DE (m32/m64 denormal operands and
 * extended denormals), ZE, OE, UE, PE. Masked: the IEEE/x87 default response. Unmasked IE,
 * ZE and DE leave the destination and the stack untouched; unmasked OE/UE/PE on register
 * destinations still deliver the (unscaled) result; unmasked OE/UE on a memory store skip the
 * store. An unmasked exception sets ES and B and is reported by the next waiting x87
 * instruction or WAIT: #MF when CR0.NE=1, otherwise the {@link Fpu#ferr} hook (FERR#) is
 * called and execution continues.
 *
 * <p><b>Undocumented encodings.</b> Like real 387-and-later parts, the reserved aliases
 * D9 D8+i (FSTP), DC D0+i / DC D8+i / DE D0+i (FCOM/FCOMP), DD C8+i / DF C8+i (FXCH),
 * DF D0+i / DF D8+i (FSTP) and DF C0+i (FFREEP) execute, and DB E0/E1/E4 (FENI, FDISI,
 * FSETPM) are no-ops; every other reserved ESC encoding raises #UD.
 */
public final class X87 {
    /** Whether fxsave/fxrstor work (CPUID advertises FXSR only then). */
    public static final boolean FXSR_IMPLEMENTED = true;

    private X87() { }

    static final long INT_BIT = 1L << 63;
    static final long QUIET = 1L << 62;
    /** The QNaN floating-point indefinite: FFFF C000000000000000. */
    static final int INDEF_SE = 0xffff;
    static final long INDEF_M = 0xC000_0000_0000_0000L;
    static final int BIAS = 16383;

    // ---- operand classes of an 80-bit image
    static final int K_ZERO = 0, K_NORMAL = 1, K_DENORMAL = 2, K_INF = 3, K_QNAN = 4, K_SNAN = 5, K_UNSUPPORTED = 6;

    // ---- comparison results as C3/C2/C0
    static final int CMP_GT = 0, CMP_LT = C0, CMP_EQ = C3, CMP_UN = C3 | C2 | C0;

    // ---- memory operand formats of the arithmetic group
    private static final int FMT_M32 = 0, FMT_I32 = 1, FMT_M64 = 2, FMT_I16 = 3;

    // ---- arithmetic operations, numbered as the ModRM reg field of the arithmetic group
    private static final int OP_ADD = 0, OP_MUL = 1, OP_SUB = 4, OP_SUBR = 5, OP_DIV = 6, OP_DIVR = 7;

    private static final double LN2 = 0.6931471805599453;
    private static final double SQRT2 = 1.4142135623730951;

    /** Ends an instruction after an unmasked IE/ZE/DE (or a suppressed store): destination untouched. */
    private static final class Abort extends RuntimeException {
        Abort() {
            super(null, null, false, false);
        }
    }

    private static final Abort ABORT = new Abort();

    // =====================================================================================
    // Entry points

    /**
     * Executes one ESC instruction, opcode 0xD8..0xDF, with its ModRM byte; when (modrm>>6)!=3
     * the memory operand is at offset {@code off} in segment register {@code seg}. {@code o32}
     * selects the 32-bit (28-byte) environment layout of fnstenv/fldenv/fnsave/frstor.
     */
    public static void execute(Cpu cpu, int opcode, int modrm, int seg, int off, boolean o32) {
        if ((cpu.cr0 & (Cpu.CR0_EM | Cpu.CR0_TS)) != 0) {
            throw Fault.of(Fault.NM);
        }
        Fpu f = cpu.fpu;
        try {
            if ((modrm & 0xc0) != 0xc0) {
                memoryForm(cpu, f, opcode & 7, modrm & 0xff, seg, off, o32);
            } else {
                registerForm(cpu, f, opcode & 7, modrm & 0xff);
            }
        } catch (Abort a) {
            // unmasked exception: state already recorded, nothing else changes
        }
    }

    /** WAIT/FWAIT (opcode 0x9B): raises a pending unmasked x87 exception. */
    public static void fwait(Cpu cpu) {
        if ((cpu.cr0 & (Cpu.CR0_MP | Cpu.CR0_TS)) == (Cpu.CR0_MP | Cpu.CR0_TS)) {
            throw Fault.of(Fault.NM);
        }
        checkPending(cpu, cpu.fpu);
    }

    /** Reports a pending unmasked exception: #MF with CR0.NE=1, else FERR# (once per episode). */
    static void checkPending(Cpu cpu, Fpu f) {
        if ((f.sw & ES) == 0) {
            return;
        }
        if ((cpu.cr0 & Cpu.CR0_NE) != 0) {
            throw Fault.of(Fault.MF);
        }
        if (!f.ferrSignaled) {
            f.ferrSignaled = true;
            Runnable hook = f.ferr;
            if (hook != null) {
                hook.run();
            }
        }
    }

    /** Start of a non-control instruction: pending exceptions, then FIP/FCS/FOP, C1 cleared. */
    private static void begin(Cpu cpu, Fpu f, int op, int modrm) {
        checkPending(cpu, f);
        f.fip = cpu.eip;
        f.fcs = cpu.segSel[Cpu.CS] & 0xffff;
        f.fop = (op << 8) | modrm;
        f.sw &= ~C1;
    }

    /** begin() for an instruction with a memory operand: also records FDP/FDS. */
    private static void beginMem(Cpu cpu, Fpu f, int op, int modrm, int seg, int off) {
        begin(cpu, f, op, modrm);
        f.fdp = off;
        f.fds = cpu.segSel[seg] & 0xffff;
    }

    // =====================================================================================
    // Memory forms

    private static void memoryForm(Cpu cpu, Fpu f, int op, int modrm, int seg, int off, boolean o32) {
        int reg = (modrm >> 3) & 7;
        switch (op) {
            case 0 -> arithMem(cpu, f, op, modrm, reg, FMT_M32, seg, off);
            case 2 -> arithMem(cpu, f, op, modrm, reg, FMT_I32, seg, off);
            case 4 -> arithMem(cpu, f, op, modrm, reg, FMT_M64, seg, off);
            case 6 -> arithMem(cpu, f, op, modrm, reg, FMT_I16, seg, off);
            case 1 -> {
                switch (reg) {
                    case 0 -> {             // fld m32fp
                        beginMem(cpu, f, op, modrm, seg, off);
                        fldFloat(f, loadOperand(cpu, f, FMT_M32, seg, off));
                    }
                    case 2, 3 -> {          // fst/fstp m32fp
                        beginMem(cpu, f, op, modrm, seg, off);
                        storeFloat(cpu, f, seg, off, 24, reg == 3);
                    }
                    case 4 -> {             // fldenv
                        checkPending(cpu, f);
                        loadEnv(cpu, f, seg, off, o32, false);
                    }
                    case 5 -> {             // fldcw
                        checkPending(cpu, f);
                        f.setControlWord(cpu.read16(seg, off));
                    }
                    case 6 -> {             // fnstenv: store, then mask all exceptions
                        int size = o32 ? 28 : 14;
                        cpu.checkWritable(cpu.writeAddr(seg, off, size), size);
                        storeEnv(cpu, f, seg, off, o32);
                        f.cw |= EXC;
                        f.updateSummary();
                    }
                    case 7 -> cpu.write16(seg, off, f.cw);   // fnstcw
                    default -> throw Fault.ud();
                }
            }
            case 3 -> {
                switch (reg) {
                    case 0 -> {             // fild m32int
                        beginMem(cpu, f, op, modrm, seg, off);
                        fromLong(f, cpu.read32(seg, off));
                        push(f, f.tSe, f.tM);
                    }
                    case 2, 3 -> {          // fist/fistp m32int
                        beginMem(cpu, f, op, modrm, seg, off);
                        storeInt(cpu, f, seg, off, 4, reg == 3);
                    }
                    case 5 -> {             // fld m80fp
                        beginMem(cpu, f, op, modrm, seg, off);
                        cpu.readAddr(seg, off, 10);
                        long m = cpu.read64(seg, off);
                        int se = cpu.read16(seg, off + 8);
                        push(f, se, m);
                    }
                    case 7 -> {             // fstp m80fp
                        beginMem(cpu, f, op, modrm, seg, off);
                        fetch(f, 0);
                        write80(cpu, seg, off, f.tSe, f.tM);
                        f.pop();
                    }
                    case 1 -> {             // fisttp m32int (SSE3)
                        beginMem(cpu, f, op, modrm, seg, off);
                        storeInt(cpu, f, seg, off, 4, true, Fpu.RC_ZERO);
                    }
                    default -> throw Fault.ud();   // /4, /6 reserved
                }
            }
            case 5 -> {
                switch (reg) {
                    case 0 -> {             // fld m64fp
                        beginMem(cpu, f, op, modrm, seg, off);
                        fldFloat(f, loadOperand(cpu, f, FMT_M64, seg, off));
                    }
                    case 2, 3 -> {          // fst/fstp m64fp
                        beginMem(cpu, f, op, modrm, seg, off);
                        storeFloat(cpu, f, seg, off, 53, reg == 3);
                    }
                    case 4 -> {             // frstor
                        checkPending(cpu, f);
                        loadEnv(cpu, f, seg, off, o32, true);
                    }
                    case 6 -> {             // fnsave: store everything, then fninit
                        int env = o32 ? 28 : 14;
                        cpu.checkWritable(cpu.writeAddr(seg, off, env + 80), env + 80);
                        storeEnv(cpu, f, seg, off, o32);
                        for (int i = 0; i < 8; i++) {
                            int p = f.phys(i);
                            cpu.write64(seg, off + env + 10 * i, f.mant[p]);
                            cpu.write16(seg, off + env + 10 * i + 8, f.sexp[p]);
                        }
                        f.init();
                    }
                    case 7 -> cpu.write16(seg, off, f.statusWord());   // fnstsw m16
                    case 1 -> {             // fisttp m64int (SSE3)
                        beginMem(cpu, f, op, modrm, seg, off);
                        storeInt(cpu, f, seg, off, 8, true, Fpu.RC_ZERO);
                    }
                    default -> throw Fault.ud();   // /5 reserved
                }
            }
            default -> {
                switch (reg) {
                    case 0 -> {             // fild m16int
                        beginMem(cpu, f, op, modrm, seg, off);
                        fromLong(f, (short) cpu.read16(seg, off));
                        push(f, f.tSe, f.tM);
                    }
                    case 2, 3 -> {          // fist/fistp m16int
                        beginMem(cpu, f, op, modrm, seg, off);
                        storeInt(cpu, f, seg, off, 2, reg == 3);
                    }
                    case 4 -> {             // fbld
                        beginMem(cpu, f, op, modrm, seg, off);
                        cpu.readAddr(seg, off, 10);
                        long lo = cpu.read64(seg, off);
                        int hi = cpu.read16(seg, off + 8);
                        fbld(f, lo, hi);
                    }
                    case 5 -> {             // fild m64int
                        beginMem(cpu, f, op, modrm, seg, off);
                        fromLong(f, cpu.read64(seg, off));
                        push(f, f.tSe, f.tM);
                    }
                    case 6 -> {             // fbstp
                        beginMem(cpu, f, op, modrm, seg, off);
                        fbstp(cpu, f, seg, off);
                    }
                    case 7 -> {             // fistp m64int
                        beginMem(cpu, f, op, modrm, seg, off);
                        storeInt(cpu, f, seg, off, 8, true);
                    }
                    case 1 -> {             // fisttp m16int (SSE3)
                        beginMem(cpu, f, op, modrm, seg, off);
                        storeInt(cpu, f, seg, off, 2, true, Fpu.RC_ZERO);
                    }
                    default -> throw Fault.ud();
                }
            }
        }
    }

    /** D8/DA/DC/DE with a memory operand: fadd fmul fcom fcomp fsub fsubr fdiv fdivr (and fi- forms). */
    private static void arithMem(Cpu cpu, Fpu f, int op, int modrm, int reg, int fmt, int seg, int off) {
        beginMem(cpu, f, op, modrm, seg, off);
        boolean denormal = (loadOperand(cpu, f, fmt, seg, off) & DE) != 0;
        int bSe = f.tSe;
        long bM = f.tM;
        if (reg == 2 || reg == 3) {
            if (!unorderedIfEmpty(f, 0, 0)) {
                compareAndSignal(f, f.sexp[f.phys(0)], f.mant[f.phys(0)], bSe, bM, false, denormal);
            }
            if (reg == 3) {
                f.pop();
            }
            return;
        }
        int dest = f.phys(0);
        if (f.isEmpty(0)) {
            stackUnderflow(f);                              // the indefinite, whatever the memory operand is
            f.set(dest, INDEF_SE, INDEF_M);
            return;
        }
        arith(f, reg, f.sexp[dest], f.mant[dest], bSe, bM, dest, denormal);
    }

    /**
     * Reads a memory operand of the arithmetic group exactly into f.tSe/f.tM (a signalling
     * NaN stays signalling); returns DE for a single or double denormal, IE for an SNaN (the
     * caller decides what to signal: SDM 8.5 orders the checks).
     */
    private static int loadOperand(Cpu cpu, Fpu f, int fmt, int seg, int off) {
        return switch (fmt) {
            case FMT_M32 -> fromSingle(f, cpu.read32(seg, off));
            case FMT_M64 -> fromDoubleBits(f, cpu.read64(seg, off));
            case FMT_I32 -> {
                fromLong(f, cpu.read32(seg, off));
                yield 0;
            }
            default -> {
                fromLong(f, (short) cpu.read16(seg, off));
                yield 0;
            }
        };
    }

    /**
     * FLD m32fp/m64fp of the value in f.tSe/f.tM with its load {@code flags}: a full stack is
     * an overflow (the indefinite pushed); else an SNaN is invalid (pushed quiet) and a
     * denormal signals DE; unmasked, neither is pushed (SDM 8.5.2: TOP and the stack stay).
     */
    private static void fldFloat(Fpu f, int flags) {
        if ((f.emptyMask >> ((f.top - 1) & 7) & 1) == 0) {
            push(f, INDEF_SE, INDEF_M);
            return;
        }
        if (flags != 0) {
            signal(f, flags);
        }
        push(f, f.tSe, (flags & IE) != 0 ? f.tM | QUIET : f.tM);
    }

    /** fst/fstp m32fp (p = 24) or m64fp (p = 53). */
    private static void storeFloat(Cpu cpu, Fpu f, int seg, int off, int p, boolean pop) {
        fetch(f, 0);
        long bits = toFloatBits(f, f.tSe, f.tM, p);
        int flags = f.tFlags;
        if ((flags & IE) != 0) {
            signal(f, IE);
            flags &= ~IE;
        }
        if ((flags & (OE | UE) & ~f.cw) != 0) {     // unmasked overflow/underflow: no store, no PE or C1
            f.sw &= ~C1;
            f.raise(flags & (OE | UE));
            throw ABORT;
        }
        if (p == 24) {
            cpu.write32(seg, off, (int) bits);
        } else {
            cpu.write64(seg, off, bits);
        }
        f.raise(flags);
        if (pop) {
            f.pop();
        }
    }

    /** fist/fistp m16/m32/m64 int, rounding per RC; out of range or NaN: IE and the integer indefinite. */
    private static void storeInt(Cpu cpu, Fpu f, int seg, int off, int size, boolean pop) {
        storeInt(cpu, f, seg, off, size, pop, f.rc());
    }

    /** FIST/FISTP, and FISTTP (SSE3) with {@code rc} = toward zero. */
    private static void storeInt(Cpu cpu, Fpu f, int seg, int off, int size, boolean pop, int rc) {
        fetch(f, 0);
        long min = size == 2 ? Short.MIN_VALUE : size == 4 ? Integer.MIN_VALUE : Long.MIN_VALUE;
        long max = size == 2 ? Short.MAX_VALUE : size == 4 ? Integer.MAX_VALUE : Long.MAX_VALUE;
        long v = toInteger(f, f.tSe, f.tM, min, max, rc);
        int flags = f.tFlags;
        if ((flags & IE) != 0) {
            signal(f, IE);
            flags = 0;
            v = min;        // integer indefinite: only the sign bit set
        }
        switch (size) {
            case 2 -> cpu.write16(seg, off, (int) v);
            case 4 -> cpu.write32(seg, off, (int) v);
            default -> cpu.write64(seg, off, v);
        }
        f.raise(flags);
        if (pop) {
            f.pop();
        }
    }

    private static void write80(Cpu cpu, int seg, int off, int se, long m) {
        cpu.checkWritable(cpu.writeAddr(seg, off, 10), 10);
        cpu.write64(seg, off, m);
        cpu.write16(seg, off + 8, se);
    }

    // ---- packed BCD

    private static void fbld(Fpu f, long lo, int hi) {
        long v = 0;
        for (int i = 8; i >= 0; i--) {
            int b = i == 8 ? hi & 0xff : (int) (lo >>> (8 * i)) & 0xff;
            v = v * 100 + (b >> 4) * 10 + (b & 15);    // invalid digits: undefined result
        }
        fromLong(f, v);
        if ((hi & 0x8000) != 0) {
            f.tSe |= 0x8000;        // also -0
        }
        push(f, f.tSe, f.tM);
    }

    private static final long BCD_MAX = 999_999_999_999_999_999L;

    private static void fbstp(Cpu cpu, Fpu f, int seg, int off) {
        fetch(f, 0);
        boolean neg = (f.tSe & 0x8000) != 0;
        long v = toInteger(f, f.tSe, f.tM, -BCD_MAX, BCD_MAX);
        int flags = f.tFlags;
        if ((flags & IE) != 0) {
            signal(f, IE);
            write80(cpu, seg, off, 0xffff, INDEF_M);    // packed BCD indefinite
            f.pop();
            return;
        }
        long mag = Math.abs(v);
        long lo = 0;
        int hi = 0;
        for (int i = 0; i < 9; i++) {
            int b = (int) (mag % 10);
            mag /= 10;
            b |= (int) (mag % 10) << 4;
            mag /= 10;
            if (i < 8) {
                lo |= (long) b << (8 * i);
            } else {
                hi = b;
            }
        }
        if (neg) {
            hi |= 0x8000;
        }
        write80(cpu, seg, off, hi, lo);
        f.raise(flags);
        f.pop();
    }

    // ---- environment images (SDM vol. 1 figures 8-9..8-12)

    private static boolean realLayout(Cpu cpu) {
        return !cpu.protectedMode() || cpu.v86();
    }

    private static void storeEnv(Cpu cpu, Fpu f, int seg, int off, boolean o32) {
        int sw = f.statusWord();
        int tw = f.tagWord();
        boolean real = realLayout(cpu);
        int ip = real ? (f.fcs << 4) + f.fip : f.fip;
        int dp = real ? (f.fds << 4) + f.fdp : f.fdp;
        if (o32) {
            // reserved upper halves are written as ones
            cpu.write32(seg, off, 0xffff0000 | f.cw);
            cpu.write32(seg, off + 4, 0xffff0000 | sw);
            cpu.write32(seg, off + 8, 0xffff0000 | tw);
            if (real) {
                cpu.write32(seg, off + 12, 0xffff0000 | (ip & 0xffff));
                cpu.write32(seg, off + 16, ((ip >>> 16) << 12) | (f.fop & 0x7ff));
                cpu.write32(seg, off + 20, 0xffff0000 | (dp & 0xffff));
                cpu.write32(seg, off + 24, (dp >>> 16) << 12);
            } else {
                cpu.write32(seg, off + 12, ip);
                cpu.write32(seg, off + 16, (f.fcs & 0xffff) | ((f.fop & 0x7ff) << 16));
                cpu.write32(seg, off + 20, dp);
                cpu.write32(seg, off + 24, 0xffff0000 | (f.fds & 0xffff));
            }
        } else {
            cpu.write16(seg, off, f.cw);
            cpu.write16(seg, off + 2, sw);
            cpu.write16(seg, off + 4, tw);
            if (real) {
                cpu.write16(seg, off + 6, ip);
                cpu.write16(seg, off + 8, ((ip >>> 16) & 0xf) << 12 | (f.fop & 0x7ff));
                cpu.write16(seg, off + 10, dp);
                cpu.write16(seg, off + 12, ((dp >>> 16) & 0xf) << 12);
            } else {
                cpu.write16(seg, off + 6, ip);
                cpu.write16(seg, off + 8, f.fcs);
                cpu.write16(seg, off + 10, dp);
                cpu.write16(seg, off + 12, f.fds);
            }
        }
    }

    /** fldenv (regs = false) and frstor (regs = true): everything is read before anything changes. */
    private static void loadEnv(Cpu cpu, Fpu f, int seg, int off, boolean o32, boolean regs) {
        int env = o32 ? 28 : 14;
        cpu.readAddr(seg, off, regs ? env + 80 : env);
        boolean real = realLayout(cpu);
        int cw, sw, tw, ip, cs = 0, dp, ds = 0, fop = f.fop;
        if (o32) {
            cw = cpu.read16(seg, off);
            sw = cpu.read16(seg, off + 4);
            tw = cpu.read16(seg, off + 8);
            if (real) {
                int w = cpu.read32(seg, off + 16);
                ip = cpu.read16(seg, off + 12) | ((w >>> 12) & 0xffff) << 16;
                fop = w & 0x7ff;
                dp = cpu.read16(seg, off + 20) | ((cpu.read32(seg, off + 24) >>> 12) & 0xffff) << 16;
            } else {
                ip = cpu.read32(seg, off + 12);
                int w = cpu.read32(seg, off + 16);
                cs = w & 0xffff;
                fop = (w >>> 16) & 0x7ff;
                dp = cpu.read32(seg, off + 20);
                ds = cpu.read16(seg, off + 24);
            }
        } else {
            cw = cpu.read16(seg, off);
            sw = cpu.read16(seg, off + 2);
            tw = cpu.read16(seg, off + 4);
            if (real) {
                int w = cpu.read16(seg, off + 8);
                ip = cpu.read16(seg, off + 6) | (w >>> 12) << 16;
                fop = w & 0x7ff;
                dp = cpu.read16(seg, off + 10) | (cpu.read16(seg, off + 12) >>> 12) << 16;
            } else {
                ip = cpu.read16(seg, off + 6);
                cs = cpu.read16(seg, off + 8);
                dp = cpu.read16(seg, off + 10);
                ds = cpu.read16(seg, off + 12);
            }
        }
        long[] m = null;
        int[] se = null;
        if (regs) {
            m = new long[8];
            se = new int[8];
            for (int i = 0; i < 8; i++) {
                m[i] = cpu.read64(seg, off + env + 10 * i);
                se[i] = cpu.read16(seg, off + env + 10 * i + 8);
            }
        }
        f.setControlWord(cw);
        f.setStatusWord(sw);
        f.setTagWord(tw);
        f.fip = ip;
        f.fcs = cs;
        f.fdp = dp;
        f.fds = ds;
        f.fop = fop;
        if (regs) {
            for (int i = 0; i < 8; i++) {
                int p = f.phys(i);
                f.sexp[p] = se[i];
                f.mant[p] = m[i];
            }
        }
    }

    // ---- fxsave / fxrstor (SDM vol. 1 table 10-2, legacy 512-byte image)

    /**
     * FXSAVE / FXRSTOR ({@code restore}) as instructions: #UD without FXSR or with CR0.EM,
     * then #NM with CR0.TS (SDM FXSAVE exceptions), then {@link #fxsave} or {@link #fxrstor}.
     */
    public static void fxsaveOrRestore(Cpu cpu, boolean restore, int seg, int off) {
        if (!FXSR_IMPLEMENTED || (cpu.cr0 & Cpu.CR0_EM) != 0) {
            throw Fault.ud();
        }
        if ((cpu.cr0 & Cpu.CR0_TS) != 0) {
            throw Fault.of(Fault.NM);
        }
        if (restore) {
            fxrstor(cpu, seg, off);
        } else {
            fxsave(cpu, seg, off);
        }
    }

    /** 0F AE /0: 512-byte image; #GP(0) unless 16-byte aligned. Does not check pending exceptions. */
    public static void fxsave(Cpu cpu, int seg, int off) {
        if ((cpu.cr0 & (Cpu.CR0_EM | Cpu.CR0_TS)) != 0) {
            throw Fault.of(Fault.NM);
        }
        if (((cpu.segBase[seg] + off) & 15) != 0) {
            throw Fault.gp0();
        }
        cpu.checkWritable(cpu.writeAddr(seg, off, 512), 512);
        Fpu f = cpu.fpu;
        cpu.write16(seg, off, f.cw);
        cpu.write16(seg, off + 2, f.statusWord());
        cpu.write16(seg, off + 4, f.abridgedTagWord());     // abridged tag byte, reserved byte 0
        cpu.write16(seg, off + 6, f.fop & 0x7ff);
        cpu.write32(seg, off + 8, f.fip);
        cpu.write32(seg, off + 12, f.fcs & 0xffff);
        cpu.write32(seg, off + 16, f.fdp);
        cpu.write32(seg, off + 20, f.fds & 0xffff);
        cpu.write32(seg, off + 24, f.mxcsr);
        cpu.write32(seg, off + 28, Fpu.MXCSR_MASK);
        for (int i = 0; i < 8; i++) {
            int p = f.phys(i);
            int a = off + 32 + 16 * i;
            cpu.write64(seg, a, f.mant[p]);
            cpu.write16(seg, a + 8, f.sexp[p]);
            cpu.write16(seg, a + 10, 0);
            cpu.write32(seg, a + 12, 0);
        }
        for (int i = 0; i < 8; i++) {            // XMM0-7 at 160 (SDM table 10-2)
            cpu.write64(seg, off + 160 + 16 * i, cpu.xmm[2 * i]);
            cpu.write64(seg, off + 168 + 16 * i, cpu.xmm[2 * i + 1]);
        }
    }

    /** 0F AE /1: #GP(0) unless 16-byte aligned or if reserved MXCSR bits are set. */
    public static void fxrstor(Cpu cpu, int seg, int off) {
        if ((cpu.cr0 & (Cpu.CR0_EM | Cpu.CR0_TS)) != 0) {
            throw Fault.of(Fault.NM);
        }
        if (((cpu.segBase[seg] + off) & 15) != 0) {
            throw Fault.gp0();
        }
        cpu.readAddr(seg, off, 512);
        int cw = cpu.read16(seg, off);
        int sw = cpu.read16(seg, off + 2);
        int ftw = cpu.read8(seg, off + 4);
        int fop = cpu.read16(seg, off + 6) & 0x7ff;
        int ip = cpu.read32(seg, off + 8);
        int cs = cpu.read16(seg, off + 12);
        int dp = cpu.read32(seg, off + 16);
        int ds = cpu.read16(seg, off + 20);
        int mxcsr = cpu.read32(seg, off + 24);
        long[] m = new long[8];
        int[] se = new int[8];
        for (int i = 0; i < 8; i++) {
            m[i] = cpu.read64(seg, off + 32 + 16 * i);
            se[i] = cpu.read16(seg, off + 40 + 16 * i);
        }
        long[] x = new long[16];
        for (int i = 0; i < 16; i++) {
            x[i] = cpu.read64(seg, off + 160 + 8 * i);
        }
        if ((mxcsr & ~Fpu.MXCSR_MASK) != 0) {
            throw Fault.gp0();
        }
        Fpu f = cpu.fpu;
        f.setControlWord(cw);
        f.setStatusWord(sw);
        f.emptyMask = ~ftw & 0xff;
        f.fop = fop;
        f.fip = ip;
        f.fcs = cs;
        f.fdp = dp;
        f.fds = ds;
        f.mxcsr = mxcsr;
        for (int i = 0; i < 8; i++) {
            int p = f.phys(i);
            f.mant[p] = m[i];
            f.sexp[p] = se[i];
        }
        System.arraycopy(x, 0, cpu.xmm, 0, 16);
    }

    // =====================================================================================
    // Register forms

    private static void registerForm(Cpu cpu, Fpu f, int op, int modrm) {
        int reg = (modrm >> 3) & 7;
        int i = modrm & 7;
        switch (op) {
            case 0 -> {                                     // D8: op ST(0), ST(i)
                begin(cpu, f, op, modrm);
                regArith(f, reg, i, false);
            }
            case 1 -> groupD9(cpu, f, modrm, reg, i);
            case 2 -> {
                if (reg < 4) {                              // fcmovb/e/be/u
                    begin(cpu, f, op, modrm);
                    fcmov(cpu, f, reg, i, false);
                } else if (modrm == 0xe9) {                 // fucompp
                    begin(cpu, f, op, modrm);
                    compareRegs(f, 1, true);
                    f.pop();
                    f.pop();
                } else {
                    throw Fault.ud();
                }
            }
            case 3 -> {
                switch (reg) {
                    case 0, 1, 2, 3 -> {                    // fcmovnb/ne/nbe/nu
                        begin(cpu, f, op, modrm);
                        fcmov(cpu, f, reg, i, true);
                    }
                    case 4 -> {
                        switch (i) {
                            case 0, 1, 4 -> { }             // feni, fdisi, fsetpm: no-ops since the 387
                            case 2 -> {                     // fnclex
                                f.sw &= ~(EXC | SF | ES | B);
                                f.ferrSignaled = false;
                            }
                            case 3 -> f.init();             // fninit
                            default -> throw Fault.ud();
                        }
                    }
                    case 5, 6 -> {                          // fucomi, fcomi
                        begin(cpu, f, op, modrm);
                        compareToFlags(cpu, f, i, reg == 5);
                    }
                    default -> throw Fault.ud();
                }
            }
            case 4 -> {                                     // DC: op ST(i), ST(0)
                begin(cpu, f, op, modrm);
                regArith(f, reg, i, true);
            }
            case 5 -> {
                switch (reg) {
                    case 0 -> {                             // ffree
                        begin(cpu, f, op, modrm);
                        f.emptyMask |= 1 << f.phys(i);
                    }
                    case 1 -> {                             // fxch (alias)
                        begin(cpu, f, op, modrm);
                        fxch(f, i);
                    }
                    case 2, 3 -> {                          // fst/fstp ST(i)
                        begin(cpu, f, op, modrm);
                        fstReg(f, i, reg == 3);
                    }
                    case 4, 5 -> {                          // fucom/fucomp
                        begin(cpu, f, op, modrm);
                        compareRegs(f, i, true);
                        if (reg == 5) {
                            f.pop();
                        }
                    }
                    default -> throw Fault.ud();
                }
            }
            case 6 -> {
                if (reg == 3 && i != 1) {
                    throw Fault.ud();
                }
                begin(cpu, f, op, modrm);
                if (reg == 3) {                             // fcompp
                    compareRegs(f, 1, false);
                    f.pop();
                } else {                                    // faddp.. fdivp, fcomp (alias)
                    regArith(f, reg, i, true);
                }
                f.pop();
            }
            default -> {
                switch (reg) {
                    case 0 -> {                             // ffreep
                        begin(cpu, f, op, modrm);
                        f.emptyMask |= 1 << f.phys(i);
                        f.pop();
                    }
                    case 1 -> {                             // fxch (alias)
                        begin(cpu, f, op, modrm);
                        fxch(f, i);
                    }
                    case 2, 3 -> {                          // fstp (aliases)
                        begin(cpu, f, op, modrm);
                        fstReg(f, i, true);
                    }
                    case 4 -> {
                        if (i != 0) {
                            throw Fault.ud();
                        }
                        cpu.setReg(Cpu.EAX, 2, f.statusWord());     // fnstsw ax
                    }
                    case 5, 6 -> {                          // fucomip, fcomip
                        begin(cpu, f, op, modrm);
                        compareToFlags(cpu, f, i, reg == 5);
                        f.pop();
                    }
                    default -> throw Fault.ud();
                }
            }
        }
    }

    private static void groupD9(Cpu cpu, Fpu f, int modrm, int reg, int i) {
        switch (reg) {
            case 0 -> {                                     // fld ST(i)
                begin(cpu, f, 1, modrm);
                if (f.isEmpty(i)) {
                    stackUnderflow(f);                      // reported even when ST(7) is full too
                    f.top = (f.top - 1) & 7;
                    f.set(f.top, INDEF_SE, INDEF_M);
                } else {
                    fetch(f, i);
                    push(f, f.tSe, f.tM);
                }
            }
            case 1 -> {                                     // fxch
                begin(cpu, f, 1, modrm);
                fxch(f, i);
            }
            case 2 -> {                                     // fnop
                if (i != 0) {
                    throw Fault.ud();
                }
                begin(cpu, f, 1, modrm);
            }
            case 3 -> {                                     // fstp ST(i) (alias)
                begin(cpu, f, 1, modrm);
                fstReg(f, i, true);
            }
            case 4 -> {
                if (i == 2 || i == 3 || i > 5) {
                    throw Fault.ud();
                }
                begin(cpu, f, 1, modrm);
                switch (i) {
                    case 0, 1 -> fchsFabs(f, i == 0);
                    case 4 -> {                             // ftst
                        if (unorderedIfEmpty(f, 0, 0)) {
                            return;
                        }
                        fetch(f, 0);
                        compareAndSignal(f, f.tSe, f.tM, 0, 0, false, false);
                    }
                    default -> fxam(f);
                }
            }
            case 5 -> {
                if (i == 7) {
                    throw Fault.ud();
                }
                begin(cpu, f, 1, modrm);
                loadConstant(f, i);
            }
            case 6 -> {
                begin(cpu, f, 1, modrm);
                switch (i) {
                    case 0 -> f2xm1(f);
                    case 1 -> fyl2x(f, false);
                    case 2 -> sinCosTan(f, 2);
                    case 3 -> fpatan(f);
                    case 4 -> fxtract(f);
                    case 5 -> fprem(f, true);
                    case 6 -> f.top = (f.top - 1) & 7;      // fdecstp
                    default -> f.top = (f.top + 1) & 7;     // fincstp
                }
            }
            default -> {
                begin(cpu, f, 1, modrm);
                switch (i) {
                    case 0 -> fprem(f, false);
                    case 1 -> fyl2x(f, true);
                    case 2 -> fsqrt(f);
                    case 3 -> sinCosTan(f, 3);
                    case 4 -> frndint(f);
                    case 5 -> fscale(f);
                    case 6 -> sinCosTan(f, 0);
                    default -> sinCosTan(f, 1);
                }
            }
        }
    }

    /** D8/DC/DE register arithmetic; a = ST(0), b = ST(i); the result goes to ST(0) or ST(i). */
    private static void regArith(Fpu f, int reg, int i, boolean toSti) {
        if (reg == 2 || reg == 3) {                         // fcom/fcomp (D8; DC/DE aliases)
            compareRegs(f, i, false);
            if (reg == 3) {
                f.pop();
            }
            return;
        }
        int dest = f.phys(toSti ? i : 0);
        if (f.isEmpty(0) || f.isEmpty(i)) {
            stackUnderflow(f);                              // the indefinite, whatever the other operand is
            f.set(dest, INDEF_SE, INDEF_M);
            return;
        }
        int p0 = f.phys(0), pi = f.phys(i);
        arith(f, reg, f.sexp[p0], f.mant[p0], f.sexp[pi], f.mant[pi], dest, false);
    }

    private static void fcmov(Cpu cpu, Fpu f, int reg, int i, boolean negate) {
        boolean cond = switch (reg) {
            case 0 -> cpu.cf();
            case 1 -> cpu.zf();
            case 2 -> cpu.cf() || cpu.zf();
            default -> cpu.pf();
        };
        if (negate) {
            cond = !cond;
        }
        boolean e0 = f.isEmpty(0), ei = f.isEmpty(i);
        if (e0 || ei) {
            stackUnderflow(f);
            if (cond || e0) {
                f.set(f.phys(0), INDEF_SE, INDEF_M);
            }
            return;
        }
        if (cond) {
            int s = f.phys(i);
            f.set(f.phys(0), f.sexp[s], f.mant[s]);
        }
    }

    private static void fxch(Fpu f, int i) {
        int p0 = f.phys(0), pi = f.phys(i);
        boolean e0 = f.isEmpty(0), ei = f.isEmpty(i);
        if (e0 || ei) {
            stackUnderflow(f);
            if (e0) {
                f.set(p0, INDEF_SE, INDEF_M);
            }
            if (ei) {
                f.set(pi, INDEF_SE, INDEF_M);
            }
        }
        int se = f.sexp[p0];
        long m = f.mant[p0];
        f.sexp[p0] = f.sexp[pi];
        f.mant[p0] = f.mant[pi];
        f.sexp[pi] = se;
        f.mant[pi] = m;
    }

    private static void fstReg(Fpu f, int i, boolean pop) {
        fetch(f, 0);
        f.set(f.phys(i), f.tSe, f.tM);
        if (pop) {
            f.pop();
        }
    }

    private static void fchsFabs(Fpu f, boolean chs) {
        int p = f.phys(0);
        if (f.isEmpty(0)) {
            stackUnderflow(f);
            f.set(p, INDEF_SE, INDEF_M);
            return;
        }
        f.sexp[p] = chs ? f.sexp[p] ^ 0x8000 : f.sexp[p] & 0x7fff;
    }

    private static void fxam(Fpu f) {
        int p = f.phys(0);
        int se = f.sexp[p];
        int cc;
        if (f.isEmpty(0)) {
            cc = C3 | C0;
        } else {
            cc = switch (classify(se, f.mant[p])) {
                case K_UNSUPPORTED -> 0;
                case K_QNAN, K_SNAN -> C0;
                case K_NORMAL -> C2;
                case K_INF -> C2 | C0;
                case K_ZERO -> C3;
                default -> C3 | C2;                         // denormal
            };
        }
        if ((se & 0x8000) != 0) {
            cc |= C1;
        }
        f.sw = (f.sw & ~Fpu.CC) | cc;
    }

    // fld1, fldl2t, fldl2e, fldpi, fldlg2, fldln2, fldz: round-to-nearest images
    private static final int[] CONST_SE = {0x3fff, 0x4000, 0x3fff, 0x4000, 0x3ffd, 0x3ffe, 0};
    private static final long[] CONST_M = {INT_BIT, 0xD49A784BCD1B8AFEL, 0xB8AA3B295C17F0BCL,
        0xC90FDAA22168C235L, 0x9A209A84FBCFF799L, 0xB17217F7D1CF79ACL, 0};
    /** +1: the nearest image is below the true value; -1: above; 0: exact. */
    private static final int[] CONST_DIR = {0, 1, -1, -1, -1, -1, 0};

    private static void loadConstant(Fpu f, int k) {
        long m = CONST_M[k];
        int rc = f.rc();
        if (CONST_DIR[k] < 0 && (rc == RC_DOWN || rc == RC_ZERO)) {
            m--;
        } else if (CONST_DIR[k] > 0 && rc == RC_UP) {
            m++;
        }
        push(f, CONST_SE[k], m);
    }

    // =====================================================================================
    // Stack and exception helpers

    /** Records exception flags; if any of them is unmasked, the instruction ends without a result. */
    private static void signal(Fpu f, int flags) {
        f.raise(flags);
        if ((flags & ~f.cw & EXC) != 0) {
            throw ABORT;
        }
    }

    private static void invalid(Fpu f) {
        signal(f, IE);
    }

    private static void stackUnderflow(Fpu f) {
        f.sw &= ~C1;
        signal(f, IE | SF);
    }

    private static void stackOverflow(Fpu f) {
        f.sw |= C1;
        signal(f, IE | SF);
    }

    /** ST(i) into f.tSe/f.tM; an empty register is a stack underflow and reads as the indefinite (masked). */
    private static void fetch(Fpu f, int i) {
        if (f.isEmpty(i)) {
            stackUnderflow(f);
            f.tSe = INDEF_SE;
            f.tM = INDEF_M;
        } else {
            int p = f.phys(i);
            f.tSe = f.sexp[p];
            f.tM = f.mant[p];
        }
    }

    /** Pushes a value; a non-empty ST(7) is a stack overflow and pushes the indefinite (masked). */
    private static void push(Fpu f, int se, long m) {
        int p = (f.top - 1) & 7;
        if ((f.emptyMask >> p & 1) == 0) {
            stackOverflow(f);
            se = INDEF_SE;
            m = INDEF_M;
        }
        f.top = p;
        f.set(p, se, m);
    }

    private static void setCC(Fpu f, int cc) {
        f.sw = (f.sw & ~(C0 | C2 | C3)) | cc;
    }

    private static void setD(Fpu f, int p, double d) {
        fromDouble(f, d);
        f.set(p, f.tSe, f.tM);
    }

    // =====================================================================================
    // Classification and format conversion

    static int classify(int se, long m) {
        int e = se & 0x7fff;
        if (e == 0x7fff) {
            if (m >= 0) {
                return K_UNSUPPORTED;                       // pseudo-infinity / pseudo-NaN
            }
            if ((m << 1) == 0) {
                return K_INF;
            }
            return (m & QUIET) != 0 ? K_QNAN : K_SNAN;
        }
        if (e == 0) {
            return m == 0 ? K_ZERO : K_DENORMAL;            // includes pseudo-denormals
        }
        return m < 0 ? K_NORMAL : K_UNSUPPORTED;            // unnormal
    }

    private static boolean isNaN(int k) {
        return k == K_QNAN || k == K_SNAN;
    }

    /** Unbiased exponent of a finite non-zero image before normalization (denormals: -16382). */
    private static int expOf(int se) {
        int e = se & 0x7fff;
        return (e == 0 ? 1 : e) - BIAS;
    }

    /** Exact double → 80-bit, into f.tSe/f.tM. */
    static void fromDouble(Fpu f, double d) {
        fromDoubleBitsExact(f, Double.doubleToRawLongBits(d));
    }

    /** Exact binary64 encoding → 80-bit, into f.tSe/f.tM (NaN payloads kept as they are). */
    private static void fromDoubleBitsExact(Fpu f, long bits) {
        int sign = (int) (bits >>> 63) << 15;
        int e = (int) (bits >>> 52) & 0x7ff;
        long frac = bits & 0xF_FFFF_FFFF_FFFFL;
        if (e == 0x7ff) {
            f.tSe = sign | 0x7fff;
            f.tM = INT_BIT | (frac << 11);
        } else if (e == 0) {
            if (frac == 0) {
                f.tSe = sign;
                f.tM = 0;
            } else {
                int lz = Long.numberOfLeadingZeros(frac);
                f.tM = frac << lz;
                f.tSe = sign | (-1074 + 63 - lz + BIAS);
            }
        } else {
            f.tSe = sign | (e - 1023 + BIAS);
            f.tM = INT_BIT | (frac << 11);
        }
    }

    /** m64fp → 80-bit into f.tSe/f.tM exactly (an SNaN stays signalling); returns IE for an SNaN, DE for a denormal. */
    static int fromDoubleBits(Fpu f, long bits) {
        int flags = 0;
        int e = (int) (bits >>> 52) & 0x7ff;
        long frac = bits & 0xF_FFFF_FFFF_FFFFL;
        if (e == 0x7ff && frac != 0 && (frac & (1L << 51)) == 0) {
            flags = IE;
        } else if (e == 0 && frac != 0) {
            flags = DE;
        }
        fromDoubleBitsExact(f, bits);
        return flags;
    }

    /** m32fp → 80-bit into f.tSe/f.tM exactly (an SNaN stays signalling); returns IE for an SNaN, DE for a denormal. */
    static int fromSingle(Fpu f, int v) {
        int sign = (v >>> 31) << 15;
        int e = (v >>> 23) & 0xff;
        long frac = v & 0x7fffff;
        int flags = 0;
        if (e == 0xff) {
            f.tSe = sign | 0x7fff;
            f.tM = INT_BIT | (frac << 40);
            if (frac != 0 && (frac & 0x400000) == 0) {
                flags = IE;
            }
        } else if (e == 0) {
            if (frac == 0) {
                f.tSe = sign;
                f.tM = 0;
            } else {
                flags = DE;
                int lz = Long.numberOfLeadingZeros(frac);
                f.tM = frac << lz;
                f.tSe = sign | (-149 + 63 - lz + BIAS);
            }
        } else {
            f.tSe = sign | (e - 127 + BIAS);
            f.tM = INT_BIT | (frac << 40);
        }
        return flags;
    }

    /** Exact integer → 80-bit into f.tSe/f.tM. */
    static void fromLong(Fpu f, long v) {
        if (v == 0) {
            f.tSe = 0;
            f.tM = 0;
            return;
        }
        int sign = v < 0 ? 0x8000 : 0;
        long mag = v < 0 ? -v : v;                          // Long.MIN_VALUE: 2^63 unsigned
        int lz = Long.numberOfLeadingZeros(mag);
        f.tM = mag << lz;
        f.tSe = sign | (63 - lz + BIAS);
    }

    /** 80-bit → double, round to nearest (the arithmetic operand conversion). */
    static double toDouble(int se, long m) {
        boolean neg = (se & 0x8000) != 0;
        int e = se & 0x7fff;
        long sign = neg ? Long.MIN_VALUE : 0;
        if (e == 0x7fff) {
            long frac = (m << 1) >>> 12;
            if (frac == 0 && (m << 1) != 0) {
                frac = 1L << 51;                            // NaN whose payload lies only in dropped bits
            }
            return Double.longBitsToDouble(sign | 0x7ff0_0000_0000_0000L | frac);
        }
        if (m == 0) {
            return neg ? -0.0 : 0.0;
        }
        int lz = Long.numberOfLeadingZeros(m);
        return Double.longBitsToDouble(roundBits(neg, expOf(se) - lz, m << lz, 53, RC_NEAREST));
    }

    /**
     * Rounds ±m·2^(E−63) (m normalized: bit 63 set) to the IEEE binary format with a p-bit
     * significand (24: single, 53: double) under rounding control rc, without flags (stores go
     * through {@link SoftFloat}). Returns the encoding (single in the low 32 bits).
     */
    static long roundBits(boolean neg, int e, long m, int p, int rc) {
        int emax = p == 24 ? 127 : 1023;
        int emin = 1 - emax;
        long signBit = neg ? (p == 24 ? 0x8000_0000L : Long.MIN_VALUE) : 0;
        if (e > emax) {
            return signBit | overflowBits(neg, p, rc);
        }
        boolean tiny = e < emin;
        int shift = 64 - p + (tiny ? emin - e : 0);
        long kept = shiftOut(m, shift);
        int lost = lostBits(m, shift);
        boolean half = (lost & LOST_HALF) != 0, sticky = (lost & LOST_STICKY) != 0;
        if (roundsUp(rc, neg, kept, half, sticky)) {
            kept++;
        }
        long bits;
        if (!tiny) {
            if (kept == 1L << p) {
                kept >>>= 1;
                e++;
                if (e > emax) {
                    return signBit | overflowBits(neg, p, rc);
                }
            }
            bits = ((long) (e + emax) << (p - 1)) | (kept & ((1L << (p - 1)) - 1));
        } else {
            bits = kept;        // exponent field 0; a carry into bit p-1 yields the smallest normal
        }
        return signBit | bits;
    }

    private static long overflowBits(boolean neg, int p, int rc) {
        boolean toInf = overflowsToInfinity(rc, neg);
        long inf = p == 24 ? 0x7f80_0000L : 0x7ff0_0000_0000_0000L;
        return toInf ? inf : inf - 1;
    }

    private static boolean overflowsToInfinity(int rc, boolean neg) {
        return rc == RC_NEAREST || (rc == RC_UP && !neg) || (rc == RC_DOWN && neg);
    }

    private static final int LOST_HALF = 1, LOST_STICKY = 2;

    /** {@code m} shifted right by {@code shift} (0 when the shift is 64 or more). */
    private static long shiftOut(long m, long shift) {
        return shift < 64 ? m >>> shift : 0;
    }

    /**
     * What a right shift of {@code m} by {@code shift} (at least 1) loses: LOST_HALF when the
     * most significant lost bit is set, LOST_STICKY when any lower lost bit is.
     */
    private static int lostBits(long m, long shift) {
        if (shift > 64) {
            return m != 0 ? LOST_STICKY : 0;
        }
        long lost = shift == 64 ? m : m << (64 - shift);
        return (lost < 0 ? LOST_HALF : 0) | ((lost << 1) != 0 ? LOST_STICKY : 0);
    }

    /** Whether a magnitude truncated to {@code kept} (with the given lost bits) is incremented under rc. */
    private static boolean roundsUp(int rc, boolean neg, long kept, boolean half, boolean sticky) {
        return switch (rc) {
            case RC_NEAREST -> half && (sticky || (kept & 1) != 0);
            case RC_DOWN -> neg && (half || sticky);
            case RC_UP -> !neg && (half || sticky);
            default -> false;
        };
    }

    /** 80-bit → m32fp (p = 24) or m64fp (p = 53) bits under RC; exceptions in f.tFlags. */
    static long toFloatBits(Fpu f, int se, long m, int p) {
        boolean neg = (se & 0x8000) != 0;
        long signBit = neg ? (p == 24 ? 0x8000_0000L : Long.MIN_VALUE) : 0;
        long expAll = p == 24 ? 0x7f80_0000L : 0x7ff0_0000_0000_0000L;
        f.tFlags = 0;
        switch (classify(se, m)) {
            case K_ZERO -> {
                return signBit;
            }
            case K_INF -> {
                return signBit | expAll;
            }
            case K_QNAN, K_SNAN -> {
                if ((m & QUIET) == 0) {
                    f.tFlags = IE;
                }
                long payload = (m << 1) >>> (65 - p);       // the top p-1 fraction bits
                return signBit | expAll | payload | (1L << (p - 2));
            }
            case K_UNSUPPORTED -> {
                f.tFlags = IE;
                return p == 24 ? 0xffc0_0000L : 0xfff8_0000_0000_0000L;
            }
            default -> {
                // SDM 4.9.1.5: tininess is judged after rounding (as the processor does)
                SoftFloat s = soft(f);
                s.trapAdjust = 0;
                s.unpackExtended(m, se, false);
                SoftFloat.Format format = p == 24 ? SoftFloat.Format.SINGLE : SoftFloat.Format.DOUBLE;
                long bits = s.round(s.aNeg, s.aExp, s.aSig, 0, format, p);
                f.tFlags = (s.flags & (OE | UE | PE)) | ((s.flags & PE) != 0 && s.roundedUp ? C1 : 0);
                return bits;
            }
        }
    }

    /**
     * Rounds a finite image to an integer magnitude under rc: |x| < 2^63 required (e < 63).
     * Returns the magnitude (at most 2^63, unsigned); PE and C1 (rounded up) in f.tFlags.
     */
    private static long roundToIntMagnitude(Fpu f, boolean neg, int e, long m, int rc) {
        int shift = 63 - e;
        long kept = shiftOut(m, shift);
        int lost = lostBits(m, shift);
        boolean half = (lost & LOST_HALF) != 0, sticky = (lost & LOST_STICKY) != 0;
        boolean up = roundsUp(rc, neg, kept, half, sticky);
        f.tFlags = (half || sticky ? PE : 0) | (up ? C1 : 0);
        return up ? kept + 1 : kept;
    }

    /** 80-bit → integer in [min, max] under RC; IE in f.tFlags if NaN, infinite, unsupported or out of range. */
    static long toInteger(Fpu f, int se, long m, long min, long max) {
        return toInteger(f, se, m, min, max, f.rc());
    }

    /** As above with rounding control {@code rc} (FISTTP truncates whatever the control word says). */
    static long toInteger(Fpu f, int se, long m, long min, long max, int rc) {
        int k = classify(se, m);
        if (k == K_ZERO) {
            f.tFlags = 0;
            return 0;
        }
        if (k != K_NORMAL && k != K_DENORMAL) {
            f.tFlags = IE;
            return min;
        }
        boolean neg = (se & 0x8000) != 0;
        int e = expOf(se);
        long mag;
        if (e >= 63) {
            if (e > 63) {
                f.tFlags = IE;
                return min;
            }
            mag = m;
            f.tFlags = 0;
        } else {
            mag = roundToIntMagnitude(f, neg, e, m, rc);
        }
        boolean fits = neg ? Long.compareUnsigned(mag, -min) <= 0 : Long.compareUnsigned(mag, max) <= 0;
        if (!fits) {
            f.tFlags = IE;
            return min;
        }
        return neg ? -mag : mag;
    }

    /** Packs ±m·2^(E−63) (m normalized) as an 80-bit value into register p, with over/underflow per RC. */
    private static void pack80(Fpu f, boolean neg, long e, long m, int p) {
        int sign = neg ? 0x8000 : 0;
        int rc = f.rc();
        if (e > BIAS) {
            boolean toInf = overflowsToInfinity(rc, neg);
            f.raise(OE | PE | (toInf ? C1 : 0));
            if (toInf) {
                f.set(p, sign | 0x7fff, INT_BIT);
            } else {
                f.set(p, sign | 0x7ffe, -1L);
            }
            return;
        }
        if (e >= 1 - BIAS) {
            f.set(p, sign | (int) (e + BIAS), m);
            return;
        }
        long shift = 1 - BIAS - e;                          // denormal result
        long kept = shiftOut(m, shift);
        int lost = lostBits(m, shift);
        boolean half = (lost & LOST_HALF) != 0, sticky = (lost & LOST_STICKY) != 0;
        boolean inexact = half || sticky;
        boolean up = roundsUp(rc, neg, kept, half, sticky);
        if (up) {
            kept++;
        }
        int flags = (inexact ? PE : 0) | (up ? C1 : 0);
        if (inexact || !f.masked(UE)) {
            flags |= UE;
        }
        f.raise(flags);
        f.set(p, sign | (kept < 0 ? 1 : 0), kept);         // a carry into bit 63 is the smallest normal
    }

    // =====================================================================================
    // Comparison

    /**
     * Compares a with b: the C3/C2/C0 pattern; the exceptions found are left in f.tFlags
     * (IE for an unsupported operand or an SNaN, and for any NaN unless quiet (FUCOM); else
     * DE for a denormal, also when {@code denormal} says a memory operand was one).
     */
    private static int compare(Fpu f, int aSe, long aM, int bSe, long bM, boolean quiet, boolean denormal) {
        int ka = classify(aSe, aM), kb = classify(bSe, bM);
        f.tFlags = 0;
        if (ka == K_UNSUPPORTED || kb == K_UNSUPPORTED) {
            f.tFlags = IE;
            return CMP_UN;
        }
        if (isNaN(ka) || isNaN(kb)) {
            if (!quiet || ka == K_SNAN || kb == K_SNAN) {
                f.tFlags = IE;
            }
            return CMP_UN;
        }
        if (ka == K_DENORMAL || kb == K_DENORMAL || denormal) {
            f.tFlags = DE;
        }
        if (ka == K_ZERO && kb == K_ZERO) {
            return CMP_EQ;
        }
        boolean na = (aSe & 0x8000) != 0, nb = (bSe & 0x8000) != 0;
        if (na != nb) {
            return na ? CMP_LT : CMP_GT;
        }
        int ea = Math.max(aSe & 0x7fff, 1), eb = Math.max(bSe & 0x7fff, 1);
        if (ka == K_ZERO) {
            ea = 0;
        }
        if (kb == K_ZERO) {
            eb = 0;
        }
        int c = ea != eb ? Integer.compare(ea, eb) : Long.compareUnsigned(aM, bM);
        if (na) {
            c = -c;
        }
        return c < 0 ? CMP_LT : c > 0 ? CMP_GT : CMP_EQ;
    }

    /**
     * FCOM/FUCOM/FTST: sets C3/C2/C0, then signals the exceptions; an unmasked one ends the
     * instruction (no pop) with the codes already set, as processors do.
     */
    private static void compareAndSignal(Fpu f, int aSe, long aM, int bSe, long bM, boolean quiet, boolean denormal) {
        setCC(f, compare(f, aSe, aM, bSe, bM, quiet, denormal));
        if (f.tFlags != 0) {
            signal(f, f.tFlags);
        }
    }

    /**
     * A compare with ST(i) or ST(j) empty: the codes say unordered and the stack underflow is
     * signalled (an unmasked one ends the instruction with the codes set); true if so.
     */
    private static boolean unorderedIfEmpty(Fpu f, int i, int j) {
        if (!f.isEmpty(i) && !f.isEmpty(j)) {
            return false;
        }
        setCC(f, CMP_UN);
        stackUnderflow(f);
        return true;
    }

    /** fcom/fucom ST(0), ST(i) into C3/C2/C0. */
    private static void compareRegs(Fpu f, int i, boolean quiet) {
        if (unorderedIfEmpty(f, 0, i)) {
            return;
        }
        fetch(f, 0);
        int aSe = f.tSe;
        long aM = f.tM;
        fetch(f, i);
        compareAndSignal(f, aSe, aM, f.tSe, f.tM, quiet, false);
    }

    /** fcomi/fucomi ST(0), ST(i) into ZF/PF/CF (OF, SF, AF cleared), then the exceptions. */
    private static void compareToFlags(Cpu cpu, Fpu f, int i, boolean quiet) {
        if (f.isEmpty(0) || f.isEmpty(i)) {
            cpu.setArithFlags(Flags.ZF | Flags.PF | Flags.CF);
            stackUnderflow(f);
            return;
        }
        fetch(f, 0);
        int aSe = f.tSe;
        long aM = f.tM;
        fetch(f, i);
        int r = compare(f, aSe, aM, f.tSe, f.tM, quiet, false);
        int flags = switch (r) {
            case CMP_GT -> 0;
            case CMP_LT -> Flags.CF;
            case CMP_EQ -> Flags.ZF;
            default -> Flags.ZF | Flags.PF | Flags.CF;
        };
        cpu.setArithFlags(flags);
        if (f.tFlags != 0) {
            signal(f, f.tFlags);
        }
    }

    // =====================================================================================
    // Arithmetic

    /** The NaN result of an operation with a NaN operand (SDM vol. 1 table 4-7); SNaN operands signal IE. */
    private static void nanResult(Fpu f, int aSe, long aM, int ka, int bSe, long bM, int kb, int dest) {
        if (ka == K_SNAN || kb == K_SNAN) {
            invalid(f);
        }
        boolean useA;
        if (isNaN(ka) && isNaN(kb)) {
            if (ka != kb) {
                useA = ka == K_QNAN;                        // SNaN and QNaN: the QNaN
            } else {
                int c = Long.compareUnsigned(aM | QUIET, bM | QUIET);   // the larger significand;
                useA = c > 0 || c == 0 && (aSe & 0x8000) == 0;          // equal: the positive one
            }
        } else {
            useA = isNaN(ka);
        }
        if (useA) {
            f.set(dest, aSe, aM | QUIET);
        } else {
            f.set(dest, bSe, bM | QUIET);
        }
    }

    /**
     * dest = a op b for fadd, fmul, fsub (a-b), fsubr (b-a), fdiv (a/b), fdivr (b/a);
     * {@code denormal}: b came from a single or double denormal in memory. DE is signalled
     * only for an operation with no NaN operand that is neither invalid nor a division by zero.
     */
    private static void arith(Fpu f, int op, int aSe, long aM, int bSe, long bM, int dest, boolean denormal) {
        if (op == OP_SUBR || op == OP_DIVR) {
            int ts = aSe;
            aSe = bSe;
            bSe = ts;
            long tm = aM;
            aM = bM;
            bM = tm;
            op--;
        }
        int ka = classify(aSe, aM), kb = classify(bSe, bM);
        if (ka == K_UNSUPPORTED || kb == K_UNSUPPORTED) {
            invalid(f);
            f.set(dest, INDEF_SE, INDEF_M);
            return;
        }
        if (isNaN(ka) || isNaN(kb)) {
            nanResult(f, aSe, aM, ka, bSe, bM, kb, dest);
            return;
        }
        SoftFloat s = soft(f);
        s.unpackExtended(aM, aSe, false);
        s.unpackExtended(bM, bSe, true);
        switch (op) {
            case OP_ADD -> s.add(false, SoftFloat.Format.EXTENDED, precision(f));
            case OP_SUB -> s.add(true, SoftFloat.Format.EXTENDED, precision(f));
            case OP_MUL -> s.multiply(SoftFloat.Format.EXTENDED, precision(f));
            default -> s.divide(SoftFloat.Format.EXTENDED, precision(f));
        }
        if ((ka == K_DENORMAL || kb == K_DENORMAL || denormal) && (s.flags & (IE | ZE)) == 0) {
            signal(f, DE);
        }
        store(f, s, dest);
    }

    /** The x87's soft-float unit set up from the control word: rounding, masks, the exponent wrap of unmasked OE/UE. */
    private static SoftFloat soft(Fpu f) {
        SoftFloat s = f.soft;
        s.flags = 0;
        s.rounding = f.rc();
        s.flushToZero = false;
        s.underflowMasked = (f.cw & UE) != 0;
        s.overflowMasked = (f.cw & OE) != 0;
        s.trapAdjust = 24576;
        return s;
    }

    /** Precision control (SDM 8.1.5.2): 24, 53 or 64 significand bits (the reserved 01 as 64). */
    private static int precision(Fpu f) {
        return switch ((f.cw >> 8) & 3) {
            case 0 -> 24;
            case 2 -> 53;
            default -> 64;
        };
    }

    /**
     * Stores a soft-float result in register dest with its flags: invalid and zero-divide end
     * the instruction without a result when unmasked; overflow, underflow and precision are
     * recorded with the (possibly exponent-wrapped) result; C1 says the rounding went up.
     */
    private static void store(Fpu f, SoftFloat s, int dest) {
        int fl = s.flags;
        if ((fl & (IE | ZE)) != 0) {
            signal(f, fl & (IE | ZE));
        }
        f.raise(fl & (OE | UE | PE) | (s.roundedUp && (fl & PE) != 0 ? C1 : 0));
        f.set(dest, s.rSexp, s.rMant);
    }

    /**
     * Stores a double result with the flags it implies: err is the sign of (exact - r), 0 when
     * exact, NaN when inexact in an unknown direction. Applies directed rounding, OE, PE, UE, C1.
     */
    private static void finish(Fpu f, double r, double err, boolean opsFinite, int dest) {
        int flags = 0;
        int rc = f.rc();
        if (Double.isInfinite(r) && opsFinite) {
            boolean neg = r < 0;
            boolean toInf = overflowsToInfinity(rc, neg);
            flags = OE | PE | (toInf ? C1 : 0);
            if (!toInf) {
                r = neg ? -Double.MAX_VALUE : Double.MAX_VALUE;
            }
        } else if (err != 0) {
            flags = PE;
            if (!Double.isNaN(err)) {
                boolean up;
                switch (rc) {
                    case RC_DOWN -> {
                        if (err < 0) {
                            r = Math.nextDown(r);
                        }
                        up = r < 0;
                    }
                    case RC_UP -> {
                        if (err > 0) {
                            r = Math.nextUp(r);
                        }
                        up = r > 0;
                    }
                    case RC_ZERO -> {
                        if (r > 0 && err < 0) {
                            r = Math.nextDown(r);
                        } else if (r < 0 && err > 0) {
                            r = Math.nextUp(r);
                        }
                        up = false;
                    }
                    default -> up = r > 0 ? err < 0 : err > 0;
                }
                if (up) {
                    flags |= C1;
                }
            }
            if (Math.abs(r) < Double.MIN_NORMAL) {
                flags |= UE;
            }
        }
        f.raise(flags);
        setD(f, dest, r);
    }

    /**
     * Checks ST(0) for a one-operand operation: returns its class, or -1 when the result (the
     * indefinite or a NaN) is already in ST(0).
     */
    private static int unaryOperand(Fpu f) {
        int p = f.phys(0);
        if (f.isEmpty(0)) {
            stackUnderflow(f);
            f.set(p, INDEF_SE, INDEF_M);
            return -1;
        }
        int k = classify(f.sexp[p], f.mant[p]);
        switch (k) {
            case K_UNSUPPORTED -> {
                invalid(f);
                f.set(p, INDEF_SE, INDEF_M);
                return -1;
            }
            case K_SNAN -> {
                invalid(f);
                f.mant[p] |= QUIET;
                return -1;
            }
            case K_QNAN -> {
                return -1;
            }
            case K_DENORMAL -> signal(f, DE);
            default -> { }
        }
        return k;
    }

    /**
     * Checks ST(0) and ST(1) for a two-operand operation whose result goes to register dest:
     * returns false when the result (the indefinite or a NaN) has been stored there.
     */
    private static boolean twoOperands(Fpu f, int dest) {
        if (f.isEmpty(0) || f.isEmpty(1)) {
            stackUnderflow(f);
            f.set(dest, INDEF_SE, INDEF_M);
            return false;
        }
        int p0 = f.phys(0), p1 = f.phys(1);
        int k0 = classify(f.sexp[p0], f.mant[p0]), k1 = classify(f.sexp[p1], f.mant[p1]);
        if (k0 == K_UNSUPPORTED || k1 == K_UNSUPPORTED) {
            invalid(f);
            f.set(dest, INDEF_SE, INDEF_M);
            return false;
        }
        if (isNaN(k0) || isNaN(k1)) {
            nanResult(f, f.sexp[p0], f.mant[p0], k0, f.sexp[p1], f.mant[p1], k1, dest);
            return false;
        }
        if (k0 == K_DENORMAL || k1 == K_DENORMAL) {
            signal(f, DE);
        }
        return true;
    }

    private static double stDouble(Fpu f, int i) {
        int p = f.phys(i);
        return toDouble(f.sexp[p], f.mant[p]);
    }

    private static void fsqrt(Fpu f) {
        int p0 = f.phys(0);
        if (!f.isEmpty(0) && (f.sexp[p0] & 0x8000) != 0 && classify(f.sexp[p0], f.mant[p0]) == K_DENORMAL) {
            invalid(f);                                     // a negative denormal: invalid, not denormal
            f.set(p0, INDEF_SE, INDEF_M);
            return;
        }
        int k = unaryOperand(f);
        if (k < 0) {
            return;
        }
        int p = f.phys(0);
        if ((f.sexp[p] & 0x8000) != 0 && k != K_ZERO) {
            invalid(f);
            f.set(p, INDEF_SE, INDEF_M);
            return;
        }
        if (k == K_ZERO || k == K_INF) {
            return;                                         // sqrt(±0) = ±0, sqrt(+inf) = +inf
        }
        SoftFloat s = soft(f);
        s.unpackExtended(f.mant[p], f.sexp[p], false);
        s.sqrt(SoftFloat.Format.EXTENDED, precision(f));
        store(f, s, p);
    }

    private static void frndint(Fpu f) {
        int k = unaryOperand(f);
        if (k != K_NORMAL && k != K_DENORMAL) {
            return;                                         // NaN handled, zero and infinity unchanged
        }
        int p = f.phys(0);
        int se = f.sexp[p];
        long m = f.mant[p];
        int lz = Long.numberOfLeadingZeros(m);
        int e = expOf(se) - lz;
        if (e >= 63) {
            return;                                         // already an integer
        }
        boolean neg = (se & 0x8000) != 0;
        long mag = roundToIntMagnitude(f, neg, e, m << lz, f.rc());
        int flags = f.tFlags;
        if (mag == 0) {
            f.set(p, se & 0x8000, 0);
        } else {
            int z = Long.numberOfLeadingZeros(mag);
            f.set(p, (se & 0x8000) | (63 - z + BIAS), mag << z);
        }
        f.raise(flags);
    }

    private static void f2xm1(Fpu f) {
        int k = unaryOperand(f);
        if (k < 0 || k == K_ZERO) {
            return;
        }
        int p = f.phys(0);
        double x = stDouble(f, 0);
        if (k == K_INF) {
            if (x < 0) {
                setD(f, p, -1.0);
            }
            return;
        }
        BigDecimal v;
        if (x == Math.rint(x) && Math.abs(x) <= 64) {       // 2^n - 1 exactly
            v = x >= 0 ? new BigDecimal(BigInteger.ONE.shiftLeft((int) x).subtract(BigInteger.ONE))
                    : BigDecimal.ONE.divide(new BigDecimal(BigInteger.ONE.shiftLeft((int) -x))).subtract(BigDecimal.ONE);
        } else {
            v = X87Math.exp2m1(X87Math.value(f.sexp[p], f.mant[p]));
        }
        storeExact(f, v, 0, p);
    }

    /** Rounds an extended-precision result (see {@link X87Math#round}) into register dest with its flags. */
    private static void storeExact(Fpu f, BigDecimal v, int bias, int dest) {
        SoftFloat s = soft(f);
        X87Math.round(s, v, bias, precision(f));
        store(f, s, dest);
    }

    /** fyl2x: ST(1) = ST(1)·log2(ST(0)); fyl2xp1: ST(1) = ST(1)·log2(ST(0)+1); then pop. */
    private static void fyl2x(Fpu f, boolean plus1) {
        int d = f.phys(1);
        if (twoOperands(f, d)) {
            double x = stDouble(f, 0), y = stDouble(f, 1);
            double r;
            double err = Double.NaN;
            boolean finite = Double.isFinite(x) && Double.isFinite(y);
            if (!plus1) {
                if (x < 0 || (x == 0 && y == 0)) {
                    invalid(f);
                    f.set(d, INDEF_SE, INDEF_M);
                    f.pop();
                    return;
                }
                if (x == 0) {
                    if (Double.isFinite(y)) {
                        signal(f, ZE);
                    }
                    r = y > 0 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                    err = 0;
                    finite = false;                         // an exact infinity, no overflow
                } else if (Double.isFinite(x) && Double.isFinite(y) && y != 0 && x != 1) {
                    int p0 = f.phys(0);
                    long m = f.mant[p0];
                    BigDecimal v = X87Math.value(f.sexp[d], f.mant[d]);
                    if (m << Long.numberOfLeadingZeros(m) == INT_BIT) {   // a power of two: log2 is its exponent
                        v = v.multiply(X87Math.log2(f.sexp[p0], m).setScale(0, RoundingMode.UNNECESSARY));
                    } else {
                        v = v.multiply(X87Math.log2(f.sexp[p0], m), X87Math.MC);
                    }
                    storeExact(f, v, 0, d);
                    f.pop();
                    return;
                } else {
                    r = y * log2(x);
                }
            } else if (Double.isFinite(x) && Double.isFinite(y) && x != 0 && y != 0 && Math.abs(x) < 0.5) {
                BigDecimal v = X87Math.value(f.sexp[d], f.mant[d])
                        .multiply(X87Math.log2p1(X87Math.value(f.sexp[f.phys(0)], f.mant[f.phys(0)])), X87Math.MC);
                storeExact(f, v, 0, d);
                f.pop();
                return;
            } else {
                r = y * (Math.log1p(x) / LN2);
                if (x == 0) {
                    err = 0;
                }
            }
            if (Double.isNaN(r)) {
                invalid(f);
                f.set(d, INDEF_SE, INDEF_M);
            } else {
                finish(f, r, err, finite, d);
            }
        }
        f.pop();
    }

    /** log2 of a positive double, exact for powers of two. */
    private static double log2(double x) {
        if (Double.isInfinite(x)) {
            return x;
        }
        int e = Math.getExponent(x);
        if (e < Double.MIN_EXPONENT) {                      // subnormal
            x *= 0x1p54;
            e = Math.getExponent(x) - 54;
            x = Math.scalb(x, -Math.getExponent(x));
        } else {
            x = Math.scalb(x, -e);
        }
        if (x > SQRT2) {
            x /= 2;
            e++;
        }
        return e + Math.log1p(x - 1) / LN2;
    }

    /** fpatan: ST(1) = atan2(ST(1), ST(0)), pop. */
    private static void fpatan(Fpu f) {
        int d = f.phys(1);
        if (twoOperands(f, d)) {
            int p0 = f.phys(0);
            int kx = classify(f.sexp[p0], f.mant[p0]), ky = classify(f.sexp[d], f.mant[d]);
            boolean yNeg = (f.sexp[d] & 0x8000) != 0;
            BigDecimal a = X87Math.atan2Magnitude(ky == K_INF ? null : X87Math.value(f.sexp[d], f.mant[d]).abs(),
                    kx == K_INF ? null : X87Math.value(f.sexp[p0], f.mant[p0]).abs(), (f.sexp[p0] & 0x8000) != 0);
            if (a.signum() == 0) {
                f.set(d, yNeg ? 0x8000 : 0, 0);                // an exact zero of y's sign
            } else {
                storeExact(f, yNeg ? a.negate() : a, -1, d);
            }
        }
        f.pop();
    }

    /** fsin (0), fcos (1), fptan (2), fsincos (3): |x| < 2^63 or C2 = 1 and nothing changes. */
    private static void sinCosTan(Fpu f, int which) {
        boolean pushes = which >= 2;
        int p = f.phys(0);
        if (pushes && !f.isEmpty(7)) {
            stackOverflow(f);
            f.set(p, INDEF_SE, INDEF_M);
            push(f, INDEF_SE, INDEF_M);
            return;
        }
        f.sw &= ~C2;
        int k = unaryOperand(f);
        if (k < 0) {
            if (pushes) {
                push(f, f.sexp[p], f.mant[p]);              // both results are the NaN
            }
            return;
        }
        if (k == K_INF) {
            invalid(f);
            f.set(p, INDEF_SE, INDEF_M);
            if (pushes) {
                push(f, INDEF_SE, INDEF_M);
            }
            return;
        }
        if (k != K_ZERO && expOf(f.sexp[p]) - Long.numberOfLeadingZeros(f.mant[p]) >= 63) {
            f.sw |= C2;                                     // out of range: operand unchanged
            return;
        }
        int se = f.sexp[p];
        long m = f.mant[p];
        if (k == K_ZERO) {                                  // sin, tan: the zero itself; cos: exactly 1
            switch (which) {
                case 1 -> f.set(p, 0x3fff, INT_BIT);
                case 2 -> push(f, 0x3fff, INT_BIT);
                case 3 -> push(f, 0x3fff, INT_BIT);
                default -> { }
            }
            return;
        }
        // below 2^-40 the x^2 terms lie under half a unit in the last place: sin x just below |x|,
        // tan x just above, cos x just below 1 (their direction matters for directed rounding)
        boolean tiny = expOf(se) - Long.numberOfLeadingZeros(m) < -40;
        BigDecimal x = X87Math.value(se, m);
        switch (which) {
            case 0 -> storeExact(f, tiny ? x : X87Math.sin(x), -1, p);
            case 1 -> storeExact(f, tiny ? BigDecimal.ONE : X87Math.cos(x), -1, p);
            case 2 -> {
                storeExact(f, tiny ? x : X87Math.tan(x), 1, p);
                push(f, 0x3fff, INT_BIT);
            }
            default -> {
                storeExact(f, tiny ? x : X87Math.sin(x), -1, p);
                SoftFloat s = soft(f);
                X87Math.round(s, tiny ? BigDecimal.ONE : X87Math.cos(x), -1, precision(f));
                f.raise(s.flags & (OE | UE | PE) | ((s.flags & PE) != 0 && s.roundedUp ? C1 : 0));
                push(f, s.rSexp, s.rMant);
            }
        }
    }

    /** fxtract: ST(0) = exponent, then push the significand (same sign, exponent 0). */
    private static void fxtract(Fpu f) {
        int p = f.phys(0);
        if (!f.isEmpty(7)) {
            stackOverflow(f);
            f.set(p, INDEF_SE, INDEF_M);
            push(f, INDEF_SE, INDEF_M);
            return;
        }
        int k = unaryOperand(f);
        int se = f.sexp[p];
        long m = f.mant[p];
        if (k < 0) {
            push(f, se, m);                                 // both results are the NaN
            return;
        }
        switch (k) {
            case K_ZERO -> {
                signal(f, ZE);
                f.set(p, 0xffff, INT_BIT);                  // -inf
                push(f, se, m);
            }
            case K_INF -> {
                f.set(p, 0x7fff, INT_BIT);                  // +inf
                push(f, se, m);
            }
            default -> {
                int lz = Long.numberOfLeadingZeros(m);
                fromLong(f, expOf(se) - lz);
                f.set(p, f.tSe, f.tM);
                push(f, (se & 0x8000) | BIAS, m << lz);
            }
        }
    }

    /** fscale: ST(0) = ST(0)·2^trunc(ST(1)), exact on the 80-bit image. */
    private static void fscale(Fpu f) {
        int p = f.phys(0);
        if (!twoOperands(f, p)) {
            return;
        }
        int p1 = f.phys(1);
        int se0 = f.sexp[p], se1 = f.sexp[p1];
        long m0 = f.mant[p], m1 = f.mant[p1];
        int k0 = classify(se0, m0), k1 = classify(se1, m1);
        boolean nNeg = (se1 & 0x8000) != 0;
        if (k1 == K_INF) {
            if ((k0 == K_ZERO && !nNeg) || (k0 == K_INF && nNeg)) {
                invalid(f);
                f.set(p, INDEF_SE, INDEF_M);
            } else if (k0 != K_ZERO && k0 != K_INF) {
                if (nNeg) {
                    f.set(p, se0 & 0x8000, 0);
                } else {
                    f.set(p, (se0 & 0x8000) | 0x7fff, INT_BIT);
                }
            }
            return;
        }
        if (k0 == K_ZERO || k0 == K_INF) {
            return;
        }
        long n = 0;
        if (k1 != K_ZERO) {
            int lz1 = Long.numberOfLeadingZeros(m1);
            int e1 = expOf(se1) - lz1;
            if (e1 >= 0) {
                n = e1 > 20 ? 1L << 21 : (m1 << lz1) >>> (63 - e1);   // beyond ±2^21 the result saturates anyway
                if (nNeg) {
                    n = -n;
                }
            }
        }
        int lz = Long.numberOfLeadingZeros(m0);
        pack80(f, (se0 & 0x8000) != 0, (long) expOf(se0) - lz + n, m0 << lz, p);
    }

    /** fprem (truncating quotient) and fprem1 (IEEE, round-to-nearest quotient), exact. */
    private static void fprem(Fpu f, boolean ieee) {
        int p = f.phys(0);
        f.sw &= ~(C0 | C2 | C3);
        if (!twoOperands(f, p)) {
            return;
        }
        int p1 = f.phys(1);
        int se0 = f.sexp[p], se1 = f.sexp[p1];
        long m0 = f.mant[p], m1 = f.mant[p1];
        int k0 = classify(se0, m0), k1 = classify(se1, m1);
        if (k0 == K_INF || k1 == K_ZERO) {
            invalid(f);
            f.set(p, INDEF_SE, INDEF_M);
            return;
        }
        if (k0 == K_ZERO || k1 == K_INF) {
            return;                                         // ST(0) unchanged, quotient 0
        }
        int lz0 = Long.numberOfLeadingZeros(m0), lz1 = Long.numberOfLeadingZeros(m1);
        int e0 = expOf(se0) - lz0, e1 = expOf(se1) - lz1;
        m0 <<= lz0;
        m1 <<= lz1;
        boolean neg = (se0 & 0x8000) != 0;
        int d = e0 - e1;
        BigInteger a, b;
        long unit;                                          // exponent of the remainder's unit, minus 63
        boolean partial = d >= 64;
        if (partial) {
            // reduce by N = 63 quotient bits: ST(0) - ST(1)·q·2^(d-63)
            a = unsigned(m0).shiftLeft(63);
            b = unsigned(m1);
            unit = e1 + (d - 63);
        } else if (d >= 0) {
            a = unsigned(m0).shiftLeft(d);
            b = unsigned(m1);
            unit = e1;
        } else {
            a = unsigned(m0);
            b = unsigned(m1).shiftLeft(-d);
            unit = e0;
        }
        BigInteger[] qr = a.divideAndRemainder(b);
        BigInteger q = qr[0], r = qr[1];
        if (ieee && !partial) {
            int c = r.shiftLeft(1).compareTo(b);
            if (c > 0 || (c == 0 && q.testBit(0))) {
                q = q.add(BigInteger.ONE);
                r = b.subtract(r);
                neg = !neg;
            }
        }
        if (partial) {
            f.sw |= C2;
        } else {
            int qi = q.intValue();
            f.sw |= ((qi & 4) != 0 ? C0 : 0) | ((qi & 2) != 0 ? C3 : 0) | ((qi & 1) != 0 ? C1 : 0);
        }
        if (r.signum() == 0) {
            f.set(p, se0 & 0x8000, 0);                      // a zero remainder keeps the dividend's sign
            return;
        }
        long rm = r.longValue();                            // fits: r < 2^64
        int z = Long.numberOfLeadingZeros(rm);
        pack80(f, neg, unit - z, rm << z, p);
    }

    private static BigInteger unsigned(long v) {
        BigInteger b = BigInteger.valueOf(v & Long.MAX_VALUE);
        return v < 0 ? b.setBit(63) : b;
    }
}
