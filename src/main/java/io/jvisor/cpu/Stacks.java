package io.jvisor.cpu;

/** The stack switch on a privilege change (SDM 6.12.1, 5.8.5): SS:ESP for the new CPL come from the TSS. */
final class Stacks {
    private Stacks() { }

    /**
     * A push on the new stack after a privilege change failed its limit check: SDM INT n and
     * CALL pseudocode report #SS with the new SS selector (and EXT), not #SS(0).
     */
    static Fault newStackFault(Cpu c, Fault f, int ext) {
        if (f.vector == Fault.SS && f.errorCode == 0) {
            return Fault.ss((c.segSel[Cpu.SS] & 0xfffc) | ext);
        }
        return f;
    }

    /**
     * Loads SS:ESP for {@code newCpl} from the current TSS and makes {@code newCpl} current.
     * {@code ext} is the EXT bit for error codes (1 when delivering an external event).
     */
    static void switchToInner(Cpu c, int newCpl, int faultVector, int ext) {
        int trBase = c.segBase[Cpu.TR];
        int trLimit = c.segLimit[Cpu.TR];
        boolean tss32 = (c.segAttr[Cpu.TR] & 0xf) == Descriptor.TSS32_BUSY;
        int ss, esp;
        if (tss32) {
            int off = 4 + 8 * newCpl;
            if (Integer.compareUnsigned(off + 5, trLimit) > 0) {
                throw Fault.ts((c.segSel[Cpu.TR] & 0xfffc) | ext);
            }
            esp = c.readSys32(trBase + off);
            ss = c.readSys16(trBase + off + 4);
        } else {
            int off = 2 + 4 * newCpl;
            if (Integer.compareUnsigned(off + 3, trLimit) > 0) {
                throw Fault.ts((c.segSel[Cpu.TR] & 0xfffc) | ext);
            }
            esp = c.readSys16(trBase + off);
            ss = c.readSys16(trBase + off + 2);
        }
        if ((ss & 0xfffc) == 0) {
            throw Fault.ts(ext);
        }
        Descriptor sd = Segmentation.read(c, ss);
        if (sd == null || (ss & 3) != newCpl || sd.dpl() != newCpl || !sd.writable()) {
            throw Fault.ts((ss & 0xfffc) | ext);
        }
        if (!sd.present()) {
            throw Fault.ss((ss & 0xfffc) | ext);
        }
        c.setCpl(newCpl);
        Segmentation.loadCache(c, Cpu.SS, ss, sd);
        c.r[Cpu.ESP] = sd.big() ? esp : (c.r[Cpu.ESP] & 0xffff0000) | (esp & 0xffff);
    }
}
