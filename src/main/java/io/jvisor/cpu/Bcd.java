package io.jvisor.cpu;

/** Decimal adjust instructions: DAA, DAS, AAA, AAS, AAM, AAD (SDM Vol. 2 pseudocode). */
public final class Bcd {
    private Bcd() { }

    public static void daa(Cpu c) {
        int f = c.getEflags();
        int al = c.reg8(0), oldAl = al;
        boolean oldCf = (f & Flags.CF) != 0, cf = false, af = false;
        if ((al & 0xf) > 9 || (f & Flags.AF) != 0) {
            al = (al + 6) & 0xff;
            cf = oldCf || oldAl + 6 > 0xff;
            af = true;
        }
        if (oldAl > 0x99 || oldCf) {
            al = (al + 0x60) & 0xff;
            cf = true;
        }
        c.setReg8(0, al);
        Alu.resultFlags(c, 1, al, cf, false, af);
    }

    public static void das(Cpu c) {
        int f = c.getEflags();
        int al = c.reg8(0), oldAl = al;
        boolean oldCf = (f & Flags.CF) != 0, cf = false, af = false;
        if ((al & 0xf) > 9 || (f & Flags.AF) != 0) {
            al = (al - 6) & 0xff;
            cf = oldCf || oldAl < 6;
            af = true;
        }
        if (oldAl > 0x99 || oldCf) {
            al = (al - 0x60) & 0xff;
            cf = true;
        }
        c.setReg8(0, al);
        Alu.resultFlags(c, 1, al, cf, false, af);
    }

    /** AAA (P6 behaviour: AX + 0x106 when adjusting). */
    public static void aaa(Cpu c) {
        int f = c.getEflags();
        int ax = c.r[Cpu.EAX] & 0xffff;
        boolean adj = (ax & 0xf) > 9 || (f & Flags.AF) != 0;
        if (adj) {
            ax = (ax + 0x106) & 0xffff;
        }
        ax &= 0xff0f;
        c.setReg(Cpu.EAX, 2, ax);
        Alu.resultFlags(c, 1, ax & 0xff, adj, false, adj);
    }

    public static void aas(Cpu c) {
        int f = c.getEflags();
        int ax = c.r[Cpu.EAX] & 0xffff;
        boolean adj = (ax & 0xf) > 9 || (f & Flags.AF) != 0;
        if (adj) {
            // SDM AAS: AX <- AX - 6 (the borrow reaches AH), then AH <- AH - 1
            ax = (ax - 6 - 0x100) & 0xffff;
        }
        ax &= 0xff0f;
        c.setReg(Cpu.EAX, 2, ax);
        Alu.resultFlags(c, 1, ax & 0xff, adj, false, adj);
    }

    public static void aam(Cpu c, int imm) {
        if (imm == 0) {
            throw Fault.of(Fault.DE);
        }
        int al = c.reg8(0);
        int res = ((al / imm) << 8) | (al % imm);
        c.setReg(Cpu.EAX, 2, res);
        Alu.resultFlags(c, 1, res & 0xff, false, false, false);
    }

    public static void aad(Cpu c, int imm) {
        int al = c.reg8(0), ah = c.reg8(4);
        int res = (al + ah * imm) & 0xff;
        c.setReg(Cpu.EAX, 2, res);
        Alu.resultFlags(c, 1, res, false, false, false);
    }
}
