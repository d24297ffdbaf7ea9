package io.jvisor.cpu;

/** Near control transfers (SDM Vol. 2 JMP, Jcc, CALL, RET, LOOP): target wrap and the CS limit check. */
public final class Branch {
    private Branch() { }

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
}
