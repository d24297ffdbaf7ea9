package io.jvisor.cpu;

/**
 * A decoded 8-byte segment or gate descriptor (SDM 3.4.5, 5.8.3, 6.11). For segment
 * descriptors {@link #attr} uses the layout of {@link Cpu#segAttr}; for gates the selector
 * and offset fields are filled.
 */
public final class Descriptor {
    public final int lo, hi;

    public Descriptor(int lo, int hi) {
        this.lo = lo;
        this.hi = hi;
    }

    public int base() {
        return (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
    }

    public int limit() {
        int l = (lo & 0xffff) | (hi & 0xf0000);
        return (hi & 0x800000) != 0 ? (l << 12) | 0xfff : l;
    }

    public int attr() {
        return (hi >>> 8) & 0xf0ff;
    }

    public int type() {
        return (hi >>> 8) & 0xf;
    }

    /** S flag: code or data segment (true) versus system segment or gate (false). */
    public boolean isCodeOrData() {
        return (hi & 0x1000) != 0;
    }

    public boolean isCode() {
        return isCodeOrData() && (hi & 0x800) != 0;
    }

    public boolean isData() {
        return isCodeOrData() && (hi & 0x800) == 0;
    }

    public boolean conforming() {
        return isCode() && (hi & 0x400) != 0;
    }

    public boolean readable() {
        return !isCode() || (hi & 0x200) != 0;
    }

    public boolean writable() {
        return isData() && (hi & 0x200) != 0;
    }

    public int dpl() {
        return (hi >>> 13) & 3;
    }

    public boolean present() {
        return (hi & 0x8000) != 0;
    }

    public boolean big() {
        return (hi & 0x400000) != 0;
    }

    // ---- gates
    public int gateSelector() {
        return lo >>> 16;
    }

    public int gateOffset() {
        return (lo & 0xffff) | (hi & 0xffff0000);
    }

    public int gateParamCount() {
        return hi & 0x1f;
    }

    // system types (S=0)
    public static final int TSS16_AVAIL = 1, LDT = 2, TSS16_BUSY = 3, CALL_GATE16 = 4, TASK_GATE = 5,
            INT_GATE16 = 6, TRAP_GATE16 = 7, TSS32_AVAIL = 9, TSS32_BUSY = 11, CALL_GATE32 = 12,
            INT_GATE32 = 14, TRAP_GATE32 = 15;
}
