package io.jvisor.cpu;

/**
 * Stack instructions beyond a plain push or pop (SDM Vol. 2 PUSH/POP Sreg, POP r/m, POPF,
 * PUSHA/POPA, ENTER, LEAVE). Each one either completes or leaves ESP and EBP as they were.
 * CBW/CWDE and CWD/CDQ live in {@link Alu}.
 */
public final class StackOps {
    private StackOps() { }

    /** LEAVE: ESP (or SP) = EBP (or BP), then pops EBP; the pop's fault leaves both untouched. */
    public static void leave(Cpu c, int size) {
        int bp = c.stack32 ? c.r[Cpu.EBP] : c.r[Cpu.EBP] & 0xffff;
        int v = c.read(Cpu.SS, bp, size);
        c.setSp(bp + size);
        c.setReg(Cpu.EBP, size, v);
    }

    /** PUSH Sreg: a 32-bit push moves ESP by 4 but writes only the selector's word (P6 and later). */
    public static void pushSeg(Cpu c, int sreg, int size) {
        if (sreg == Cpu.CS) {
            c.exits.inc(ExitReason.RING_ALIAS);
        }
        int sel = c.segSel[sreg];
        int nsp = c.sp() - size;
        if (!c.stack32) {
            nsp &= 0xffff;
        }
        c.write16(Cpu.SS, nsp, sel);
        c.setSp(nsp);
    }

    /**
     * POP Sreg: the segment load checks come before ESP moves; POP SS opens an interrupt
     * shadow. The pop moves SP or ESP by the stack size in force before the instruction,
     * even when the SS it loads has another B bit (SDM POP: the stack pointer is incremented
     * after the load, as sized by the old stack).
     */
    public static void popSeg(Cpu c, int sreg, int size) {
        int sel = c.peek(size, 0) & 0xffff;
        boolean wide = c.stack32;
        Segmentation.load(c, sreg, sel);
        int esp = c.r[Cpu.ESP];
        c.r[Cpu.ESP] = wide ? esp + size : (esp & 0xffff0000) | ((esp + size) & 0xffff);
        if (sreg == Cpu.SS) {
            c.interruptShadow = true;
            c.movSsShadow = true;
        }
    }

    /**
     * POP m: pops into memory at {@code seg:off}, an address the caller formed with ESP
     * already incremented (SDM POP); a fault of the store leaves ESP as it was.
     */
    public static void popMem(Cpu c, int size, int seg, int off) {
        int v = c.peek(size, 0);
        int oldEsp = c.r[Cpu.ESP];
        c.setSp(c.sp() + size);
        try {
            c.write(seg, off, size, v);
        } catch (Fault f) {
            c.r[Cpu.ESP] = oldEsp;
            throw f;
        }
    }

    /** POPF / POPFD: #GP(0) in virtual-8086 mode below IOPL 3 before the stack is read. */
    public static void popf(Cpu c, int size, boolean o32) {
        if (c.v86() && c.iopl() < 3) {
            throw Fault.gp0();
        }
        int v = c.peek(size, 0);
        SystemOps.popf(c, v, o32);
        c.setSp(c.sp() + size);
    }

    /** PUSHA / PUSHAD: pushes the eight registers, ESP as it was before the first push. */
    public static void pusha(Cpu c, int size) {
        int oldEsp = c.r[Cpu.ESP];
        int sp = c.sp();
        try {
            for (int n = 0; n < 8; n++) {
                c.push(size, n == Cpu.ESP ? (size == 4 ? oldEsp : sp) : c.reg(n, size));
            }
        } catch (Fault f) {
            c.r[Cpu.ESP] = oldEsp;
            throw f;
        }
    }

    /** POPA / POPAD: reads all eight slots first, then loads every register except ESP. */
    public static void popa(Cpu c, int size) {
        int[] v = new int[8];
        for (int n = 0; n < 8; n++) {
            v[7 - n] = c.peek(size, n * size);
        }
        for (int n = 0; n < 8; n++) {
            if (n != Cpu.ESP) {
                c.setReg(n, size, v[n]);
            }
        }
        c.setSp(c.sp() + 8 * size);
    }

    /**
     * ENTER imm16, imm8 (SDM ENTER pseudocode): the nesting level is taken modulo 32. The
     * frame pointer is the whole ESP after EBP is pushed, its upper half kept on a 16-bit
     * stack (as hardware does; the SDM's pseudocode says SP). Before EBP and ESP change, the
     * final stack top is probed for a write of the operand size, so an unwritable one
     * faults with nothing changed but the pushed slots.
     */
    public static void enter(Cpu c, int size, int alloc, int level) {
        level &= 31;
        int oldEsp = c.r[Cpu.ESP], oldEbp = c.r[Cpu.EBP];
        try {
            c.push(size, c.reg(Cpu.EBP, size));
            int frame = c.r[Cpu.ESP];
            if (level > 0) {
                int bp = c.stack32 ? c.r[Cpu.EBP] : c.r[Cpu.EBP] & 0xffff;
                for (int k = 1; k < level; k++) {
                    bp -= size;
                    if (!c.stack32) {
                        bp &= 0xffff;
                    }
                    c.push(size, c.read(Cpu.SS, bp, size));
                }
                c.push(size, frame);
            }
            int nsp = c.sp() - alloc;
            if (!c.stack32) {
                nsp &= 0xffff;
            }
            c.rmwAddr(Cpu.SS, nsp, size);   // the new stack top must be writable before EBP changes
            c.setReg(Cpu.EBP, size, frame);
            c.setSp(nsp);
        } catch (Fault f) {
            c.r[Cpu.ESP] = oldEsp;
            c.r[Cpu.EBP] = oldEbp;
            throw f;
        }
    }
}
