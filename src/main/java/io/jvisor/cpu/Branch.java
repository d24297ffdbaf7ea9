package io.jvisor.cpu;

/** Near control transfers (SDM Vol. 2 JMP, Jcc, CALL, RET, LOOP): target wrap and the CS limit check. */
public final class Branch {
    private Branch() { }

    /** LOOP kinds: LOOP (count only), LOOPE/LOOPZ (and ZF=1), LOOPNE/LOOPNZ (and ZF=0). */
    public static final int LOOP = 0, LOOPZ = 1, LOOPNZ = 2;

    /**
     * The EIP a near branch lands on: a 16-bit operand size wraps the target to 16 bits, and a
     * target beyond the CS limit is #GP(0) with nothing changed.
     */
    public static int near(Cpu c, int target, boolean o32) {
        if (!o32) {
            target &= 0xffff;
        }
        if (Integer.compareUnsigned(target, c.segLimit[Cpu.CS]) > 0) {
            throw Fault.gp0();
        }
        return target;
    }

    /** RET / RET imm16: pops the return address, then releases {@code release} more bytes. */
    public static void ret(Cpu c, int size, boolean o32, int release) {
        int t = near(c, c.peek(size, 0), o32);
        c.setSp(c.sp() + size + release);
        c.eip = t;
    }

    /** CALL rel / CALL r/m: checks the target, pushes the return address, jumps. */
    public static void call(Cpu c, int size, boolean o32, int target, int returnEip) {
        int t = near(c, target, o32);
        c.push(size, returnEip);
        c.eip = t;
    }

    /**
     * LOOP / LOOPZ / LOOPNZ: decrements CX or ECX (by {@code a32}) without touching flags and
     * branches to {@code target} while the count is not zero and the ZF condition holds. The
     * target's limit check comes before the count is written. Returns whether it branched.
     */
    public static boolean loop(Cpu c, int kind, boolean a32, boolean o32, int target) {
        int cnt = a32 ? c.r[Cpu.ECX] - 1 : (c.r[Cpu.ECX] - 1) & 0xffff;
        boolean go = cnt != 0 && (kind == LOOP || (kind == LOOPZ) == c.zf());
        int t = go ? near(c, target, o32) : 0;
        if (a32) {
            c.r[Cpu.ECX] = cnt;
        } else {
            c.setReg(Cpu.ECX, 2, cnt);
        }
        if (go) {
            c.eip = t;
        }
        return go;
    }

    /** JCXZ / JECXZ: branches when CX or ECX (by {@code a32}) is zero. Returns whether it branched. */
    public static boolean jcxz(Cpu c, boolean a32, boolean o32, int target) {
        int cnt = a32 ? c.r[Cpu.ECX] : c.r[Cpu.ECX] & 0xffff;
        if (cnt != 0) {
            return false;
        }
        c.eip = near(c, target, o32);
        return true;
    }
}
