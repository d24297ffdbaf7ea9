package io.jvisor.cpu;

/**
 * Integer arithmetic and logic with their flag rules (SDM Vol. 2, ADD..XOR, INC, DEC, NEG,
 * NOT, CMP, TEST). Operands are zero-extended values of {@code size} bytes (1, 2 or 4);
 * results are masked to the size. Flags are recorded lazily in the {@link Cpu}.
 */
public final class Alu {
    private Alu() { }

    public static final int ADD = 0, OR = 1, ADC = 2, SBB = 3, AND = 4, SUB = 5, XOR = 6, CMP = 7;

    public static int mask(int size) {
        return size == 1 ? 0xff : size == 2 ? 0xffff : -1;
    }

    public static int signBit(int size) {
        return size == 1 ? 0x80 : size == 2 ? 0x8000 : 0x80000000;
    }

    /** Sign-extends a value of {@code size} bytes to 32 bits. */
    public static int signExtend(int v, int size) {
        return size == 1 ? (byte) v : size == 2 ? (short) v : v;
    }

    /** The eight group-1 operations (opcode bits 3..5 or ModRM.reg). CMP returns the difference but callers discard it. */
    public static int op(Cpu c, int aluOp, int size, int a, int b) {
        return switch (aluOp) {
            case ADD -> add(c, size, a, b);
            case OR -> logic(c, size, a | b);
            case ADC -> adc(c, size, a, b);
            case SBB -> sbb(c, size, a, b);
            case AND -> logic(c, size, a & b);
            case SUB, CMP -> sub(c, size, a, b);
            default -> logic(c, size, a ^ b);
        };
    }

    public static int add(Cpu c, int size, int a, int b) {
        int res = sum(size, a, b);
        c.lazy(Cpu.LAZY_ADD, size, a, b, res);
        return res;
    }

    /** ADD's result without its flags (translated code records them later with {@link #settle}). */
    public static int sum(int size, int a, int b) {
        return (a + b) & mask(size);
    }

    /** SUB's (and CMP's) result without its flags. */
    public static int difference(int size, int a, int b) {
        return (a - b) & mask(size);
    }

    /** A logic operation's result (AND, OR, XOR, TEST) masked to its size, without its flags. */
    public static int truncate(int size, int v) {
        return v & mask(size);
    }

    /**
     * Records the flags of an ADD ({@code a}, {@code b} its operands), a SUB or CMP (likewise)
     * or a logic operation ({@code aluOp} AND, OR or XOR; {@code a} its result) whose result
     * was computed without them: translated code keeps these operands in locals and records
     * the flags only where something can observe them (deferred flags).
     */
    public static void settle(Cpu c, int aluOp, int size, int a, int b) {
        switch (aluOp) {
            case ADD -> add(c, size, a, b);
            case SUB, CMP -> sub(c, size, a, b);
            default -> logic(c, size, a);
        }
    }

    public static int adc(Cpu c, int size, int a, int b) {
        int cin = c.cf() ? 1 : 0;
        int res = (a + b + cin) & mask(size);
        c.lazyCin = cin;
        c.lazy(Cpu.LAZY_ADC, size, a, b, res);
        return res;
    }

    public static int sub(Cpu c, int size, int a, int b) {
        int res = difference(size, a, b);
        c.lazy(Cpu.LAZY_SUB, size, a, b, res);
        return res;
    }

    public static int sbb(Cpu c, int size, int a, int b) {
        int cin = c.cf() ? 1 : 0;
        int res = (a - b - cin) & mask(size);
        c.lazyCin = cin;
        c.lazy(Cpu.LAZY_SBB, size, a, b, res);
        return res;
    }

    public static int logic(Cpu c, int size, int res) {
        res = truncate(size, res);
        c.lazy(Cpu.LAZY_LOGIC, size, 0, 0, res);
        return res;
    }

    /** INC keeps CF (SDM: "The CF flag is not affected"). */
    public static int inc(Cpu c, int size, int a) {
        keepCarry(c);
        int res = (a + 1) & mask(size);
        c.lazy(Cpu.LAZY_INC, size, a, 1, res);
        return res;
    }

    public static int dec(Cpu c, int size, int a) {
        keepCarry(c);
        int res = (a - 1) & mask(size);
        c.lazy(Cpu.LAZY_DEC, size, a, 1, res);
        return res;
    }

    private static void keepCarry(Cpu c) {
        if (c.lazyOp != Cpu.LAZY_INC && c.lazyOp != Cpu.LAZY_DEC) {
            boolean cf = c.cf();
            c.eflagsBase = (c.eflagsBase & ~Flags.CF) | (cf ? Flags.CF : 0);
        }
    }

    /** CBW / CWDE: sign-extends AL into AX, or AX into EAX. */
    public static void cbw(Cpu c, boolean o32) {
        if (o32) {
            c.r[Cpu.EAX] = (short) c.r[Cpu.EAX];
        } else {
            c.setReg(Cpu.EAX, 2, (byte) c.r[Cpu.EAX]);
        }
    }

    /** CWD / CDQ: DX (or EDX) becomes the sign of AX (or EAX). */
    public static void cwd(Cpu c, boolean o32) {
        if (o32) {
            c.r[Cpu.EDX] = c.r[Cpu.EAX] >> 31;
        } else {
            c.setReg(Cpu.EDX, 2, ((short) c.r[Cpu.EAX]) >> 15);
        }
    }

    /** NOT: the one's complement; no flag changes. */
    public static int not(int size, int a) {
        return ~a & mask(size);
    }

    /** SALC (undocumented D6): AL = 0xFF if CF is set, else 0; no flag changes. */
    public static void salc(Cpu c) {
        c.setReg8(0, c.cf() ? 0xff : 0);
    }

    /** XLAT: AL = the byte at seg:[(E)BX + AL], the offset wrapped to the address size. */
    public static void xlat(Cpu c, boolean a32, int seg) {
        int off = c.r[Cpu.EBX] + c.reg8(0);
        c.setReg8(0, c.read8(seg, a32 ? off : off & 0xffff));
    }

    /** NEG: 0 - a; CF is set unless the operand was zero. */
    public static int neg(Cpu c, int size, int a) {
        return sub(c, size, 0, a);
    }

    /** XADD: {@code reg} receives the old destination; returns the sum for the destination (SDM XADD). */
    public static int xadd(Cpu c, int size, int reg, int dest) {
        int sum = add(c, size, dest, c.reg(reg, size));
        c.setReg(reg, size, dest);
        return sum;
    }

    /**
     * CMPXCHG: compares the accumulator with the destination (flags as CMP). Returns the value
     * the destination is written with, which happens either way (SDM CMPXCHG): {@code src}
     * when equal, else the old destination, which is then also loaded into the accumulator.
     */
    public static int cmpxchg(Cpu c, int size, int accumulator, int dest, int src) {
        sub(c, size, accumulator, dest);
        if (accumulator == dest) {
            return src;
        }
        c.setReg(Cpu.EAX, size, dest);
        return dest;
    }

    /**
     * CMPXCHG8B m64 at {@code seg:off}: EDX:EAX against the quadword, ZF the only flag changed;
     * equal stores ECX:EBX, unequal writes the old value back and loads it into EDX:EAX.
     */
    public static void cmpxchg8b(Cpu c, int seg, int off, boolean atomic) {
        int[] r = c.r;
        int lin = c.rmwAddr(seg, off, 8);
        long cmp = (r[Cpu.EAX] & 0xffffffffL) | ((long) r[Cpu.EDX] << 32);
        long m;
        if (atomic) {
            // several vCPUs: one compare-and-exchange (unequal leaves memory as it is, as the write-back would)
            m = c.compareAndExchange64(lin, cmp, (r[Cpu.EBX] & 0xffffffffL) | ((long) r[Cpu.ECX] << 32));
        } else {
            m = (c.readLin32(lin) & 0xffffffffL) | ((long) c.readLin32(lin + 4) << 32);
            long w = m == cmp ? (r[Cpu.EBX] & 0xffffffffL) | ((long) r[Cpu.ECX] << 32) : m;
            c.writeLin32(lin, (int) w);
            c.writeLin32(lin + 4, (int) (w >>> 32));
        }
        int f = c.getEflags() & ~Flags.ZF;
        if (m == cmp) {
            c.setArithFlags(f | Flags.ZF);
        } else {
            r[Cpu.EAX] = (int) m;
            r[Cpu.EDX] = (int) (m >>> 32);
            c.setArithFlags(f);
        }
    }

    /** BOUND: #BR unless lower <= index <= upper, all signed values of {@code size} bytes. */
    public static void bound(int size, int index, int lower, int upper) {
        int v = signExtend(index, size);
        if (v < signExtend(lower, size) || v > signExtend(upper, size)) {
            throw Fault.of(Fault.BR);
        }
    }

    /** Flags of a shift or multiply (recorded lazily): SF, ZF, PF from the result, CF and OF as given, AF clear. */
    static void resultCfOf(Cpu c, int size, int res, boolean cf, boolean of) {
        c.lazy(Cpu.LAZY_SHIFT, size, cf ? 1 : 0, of ? 1 : 0, res & mask(size));
    }

    /** Sets the six arithmetic flags from a result the way logic instructions do, with CF/OF given. */
    static void resultFlags(Cpu c, int size, int res, boolean cf, boolean of, boolean af) {
        int f = Flags.parity(res);
        if ((res & mask(size)) == 0) {
            f |= Flags.ZF;
        }
        if ((res & signBit(size)) != 0) {
            f |= Flags.SF;
        }
        if (cf) {
            f |= Flags.CF;
        }
        if (of) {
            f |= Flags.OF;
        }
        if (af) {
            f |= Flags.AF;
        }
        c.setArithFlags(f);
    }
}
