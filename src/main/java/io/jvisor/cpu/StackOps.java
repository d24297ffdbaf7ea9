package io.jvisor.cpu;

/** Stack-frame instructions (SDM Vol. 2 LEAVE, CBW/CWDE, CWD/CDQ live in {@link Alu}). */
public final class StackOps {
    private StackOps() { }

    /** LEAVE: ESP (or SP) = EBP (or BP), then pops EBP; the pop's fault leaves both untouched. */
    public static void leave(Cpu c, int size) {
        int bp = c.stack32 ? c.r[Cpu.EBP] : c.r[Cpu.EBP] & 0xffff;
        int v = c.read(Cpu.SS, bp, size);
        c.setSp(bp + size);
        c.setReg(Cpu.EBP, size, v);
    }
}
