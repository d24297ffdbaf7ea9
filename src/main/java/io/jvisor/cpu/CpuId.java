package io.jvisor.cpu;

/**
 * CPUID (SDM Vol. 2): describes exactly what jvisor implements: an i686 (family 6) with
 * FPU, PSE, TSC, MSR, PAE, CX8, SEP, MTRR (read/write of the registers, no effect on
 * caching), PGE, CMOV, PAT and FXSR, NX (leaf 0x80000001), and APIC, x2APIC and the
 * TSC-deadline timer when the machine gives the CPU an APIC. No VME, no MMX/SSE (but the SSE2
 * fences, see {@link #APIC_ECX}).
 */
public final class CpuId {
    private CpuId() { }

    public static final int FPU = 1, PSE = 1 << 3, TSC = 1 << 4, MSR = 1 << 5, PAE = 1 << 6, CX8 = 1 << 8,
            APIC = 1 << 9, SEP = 1 << 11, MTRR = 1 << 12, PGE = 1 << 13, CMOV = 1 << 15, PAT = 1 << 16, FXSR = 1 << 24;
    /**
     * Leaf 1 ECX: x2APIC mode (with an APIC; 32-bit Linux does not use it) and the APIC
     * timer's TSC-deadline mode (IA32_TSC_DEADLINE). Linux fences every IA32_TSC_DEADLINE
     * write with MFENCE; LFENCE: the fences are implemented ahead of SSE2 (which every CPU
     * with this timer mode has), though SSE2 itself is not reported yet.
     */
    public static final int X2APIC = 1 << 21, TSC_DEADLINE = 1 << 24;
    /** The leaf 1 ECX bits reported with an APIC. */
    public static final int APIC_ECX = X2APIC | TSC_DEADLINE;
    /** Feature flags of leaf 1 EDX. FXSR is set only while fxsave/fxrstor are implemented (see X87). */
    public static int features() {
        int f = FPU | PSE | TSC | MSR | PAE | CX8 | SEP | MTRR | PGE | CMOV | PAT;
        if (X87.FXSR_IMPLEMENTED) {
            f |= FXSR;
        }
        return f;
    }

    /** Leaf 0x80000001 EDX: execute disable (XD/NX), with PAE paging. */
    public static final int NX = 1 << 20;

    /** NX is reported unless IA32_MISC_ENABLE's XD bit disable hides it. */
    public static boolean nx(Cpu c) {
        return (c.miscEnable & SystemOps.MISC_ENABLE_XD_DISABLE) == 0;
    }

    /** CR4 bits a guest may set: those whose features CPUID advertises. */
    public static final int CR4_SUPPORTED = Cpu.CR4_TSD | Cpu.CR4_DE | Cpu.CR4_PSE | Cpu.CR4_PAE | Cpu.CR4_PGE
            | Cpu.CR4_PCE | Cpu.CR4_MCE | Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT;

    /** Family 6, model 5, stepping 2: a Pentium II. */
    public static final int SIGNATURE = 0x0652;

    public static void execute(Cpu c) {
        int leaf = c.r[Cpu.EAX];
        int a, b, cc, d;
        switch (leaf) {
            case 0 -> {
                a = 1;
                // "GenuineIntel"
                b = 0x756e6547;
                d = 0x49656e69;
                cc = 0x6c65746e;
            }
            case 1 -> {
                a = SIGNATURE;
                b = c.apic == null ? 0 : c.apic.apicId() << 24;   // initial APIC ID
                cc = c.apic == null ? 0 : APIC_ECX;
                d = features() | (c.apic == null ? 0 : APIC);
            }
            case 0x80000000 -> {
                a = 0x80000001;
                b = cc = d = 0;
            }
            case 0x80000001 -> {
                a = b = cc = 0;
                d = nx(c) ? NX : 0;
            }
            default -> {
                // SDM: a leaf above the maximum returns the data of the highest basic leaf
                a = leaf < 0 ? 0 : SIGNATURE;
                b = cc = 0;
                d = leaf < 0 ? 0 : features() | (c.apic == null ? 0 : APIC);
            }
        }
        c.r[Cpu.EAX] = a;
        c.r[Cpu.EBX] = b;
        c.r[Cpu.ECX] = cc;
        c.r[Cpu.EDX] = d;
    }
}
