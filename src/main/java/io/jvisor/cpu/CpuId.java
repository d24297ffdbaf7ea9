package io.jvisor.cpu;

/**
 * CPUID (SDM Vol. 2) for the model jvisor's CPU is: an Intel Core 2 (family 6, model 15,
 * stepping 6, a "Conroe" E6300) as a 32-bit processor, reporting exactly what is
 * implemented: FPU, DE, PSE, TSC, MSR, PAE, CX8, SEP, MTRR (the registers; no effect on
 * caching), PGE, CMOV, PAT, CLFLUSH, MMX, FXSR, SSE, SSE2, SSE3, SSSE3, NX, the
 * architectural performance monitoring of version 1 (two counters: core cycles and
 * instructions retired, {@link PerfCounters}), and APIC, x2APIC and the TSC-deadline timer
 * when the machine gives the CPU an APIC. Not reported (not implemented): long mode and
 * SYSCALL, VME, MCE/MCA, PSE-36, MONITOR/MWAIT, VMX, thermal and power management.
 *
 * <p>Why this model: Linux drops PAT on family 6 models below 15 (an erratum of the Pentium
 * III / Pentium M / Core Duo), supports no P6 performance counters past model 13, and a
 * Pentium 4 would need the NetBurst counters; a Core 2 with architectural performance
 * monitoring keeps everything jvisor implements visible.
 */
public final class CpuId {
    private CpuId() { }

    public static final int FPU = 1, DE = 1 << 2, PSE = 1 << 3, TSC = 1 << 4, MSR = 1 << 5, PAE = 1 << 6,
            CX8 = 1 << 8, APIC = 1 << 9, SEP = 1 << 11, MTRR = 1 << 12, PGE = 1 << 13, CMOV = 1 << 15,
            PAT = 1 << 16, CLFSH = 1 << 19, MMX = 1 << 23, FXSR = 1 << 24, SSE = 1 << 25, SSE2 = 1 << 26;
    /** Leaf 1 ECX: SSE3, SSSE3; with an APIC x2APIC mode and the APIC timer's TSC-deadline mode. */
    public static final int SSE3 = 1, SSSE3 = 1 << 9, X2APIC = 1 << 21, TSC_DEADLINE = 1 << 24;
    /** The leaf 1 ECX bits reported with an APIC. */
    public static final int APIC_ECX = X2APIC | TSC_DEADLINE;
    /** Leaf 0x80000001 EDX: execute disable (XD/NX), with PAE paging. */
    public static final int NX = 1 << 20;

    /** Feature flags of leaf 1 EDX (without APIC, which depends on the machine). */
    public static int features() {
        return FPU | DE | PSE | TSC | MSR | PAE | CX8 | SEP | MTRR | PGE | CMOV | PAT | CLFSH | MMX | FXSR | SSE | SSE2;
    }

    /** NX is reported unless IA32_MISC_ENABLE's XD bit disable hides it. */
    public static boolean nx(Cpu c) {
        return (c.miscEnable & SystemOps.MISC_ENABLE_XD_DISABLE) == 0;
    }

    /** CR4 bits a guest may set: those whose features CPUID advertises. */
    public static final int CR4_SUPPORTED = Cpu.CR4_TSD | Cpu.CR4_DE | Cpu.CR4_PSE | Cpu.CR4_PAE | Cpu.CR4_PGE
            | Cpu.CR4_PCE | Cpu.CR4_MCE | Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT;

    /** Family 6, model 15, stepping 6: a Core 2 Duo E6300 ("Conroe"). */
    public static final int SIGNATURE = 0x06f6;
    public static final String BRAND = "Intel(R) Core(TM)2 CPU          6300  @ 1.86GHz";
    static final int MAX_BASIC = 0xa, MAX_EXTENDED = 0x80000008;
    /** The maximum basic leaf while IA32_MISC_ENABLE limits it (bit 22): 2. */
    static final int LIMITED_BASIC = 2;

    /**
     * Leaf 2 cache and TLB descriptors: 0x01 = leaf 2 once; 0xB1 ITLB 4 MiB, 0xB0 ITLB 4 KiB,
     * 0x05 DTLB 4 MiB; 0xF0 64-byte prefetching; 0x57 DTLB 4 KiB, 0x56 DTLB0 4 MiB; 0x2C L1d 32 KiB
     * 8-way, 0x30 L1i 32 KiB 8-way, 0x49 L2 4 MiB... here 0x7D: L2 2 MiB 8-way 64-byte lines.
     */
    static final int[] LEAF2 = {0x05b0b101, 0x005657f0, 0, 0x2c307d00};

    public static void execute(Cpu c) {
        int leaf = c.r[Cpu.EAX];
        int sub = c.r[Cpu.ECX];
        int maxBasic = (c.miscEnable & SystemOps.MISC_ENABLE_LIMIT_CPUID) != 0 ? LIMITED_BASIC : MAX_BASIC;
        int a = 0, b = 0, cc = 0, d = 0;
        boolean extended = leaf < 0;   // 0x80000000 and up
        if (!extended && leaf > maxBasic || extended && Integer.compareUnsigned(leaf, MAX_EXTENDED) > 0) {
            leaf = maxBasic;   // SDM CPUID: a leaf beyond the maximum returns the highest basic leaf's data
        }
        switch (leaf) {
            case 0 -> {
                a = maxBasic;
                b = 0x756e6547;   // "GenuineIntel"
                d = 0x49656e69;
                cc = 0x6c65746e;
            }
            case 1 -> {
                a = SIGNATURE;
                // initial APIC ID, one logical processor, CLFLUSH line size 8 (64 bytes)
                b = (c.apic == null ? 0 : c.apic.apicId() << 24) | 1 << 16 | 8 << 8;
                cc = SSE3 | SSSE3 | (c.apic == null ? 0 : APIC_ECX);
                d = features() | (c.apic == null ? 0 : APIC);
            }
            case 2 -> {
                a = LEAF2[0];
                b = LEAF2[1];
                cc = LEAF2[2];
                d = LEAF2[3];
            }
            case 4 -> {
                // deterministic cache parameters: L1 data, L1 instruction, unified L2; one core, one thread
                int[][] caches = {{1, 1, 8, 64, 64}, {2, 1, 8, 64, 64}, {3, 2, 8, 64, 4096}};   // type, level, ways, line, sets
                if (sub >= 0 && sub < caches.length) {
                    int[] k = caches[sub];
                    a = k[0] | k[1] << 5 | 1 << 8;   // self-initialising
                    b = (k[2] - 1) << 22 | (k[3] - 1);
                    cc = k[4] - 1;
                }
            }
            case 0xa -> {
                // architectural performance monitoring, version 1: 2 counters of 40 bits; of the 7 events
                // only core cycles (bit 0 clear) and instructions retired (bit 1 clear) are available
                a = 1 | PerfCounters.COUNTERS << 8 | 40 << 16 | 7 << 24;
                b = 0x7c;
            }
            case 0x80000000 -> a = MAX_EXTENDED;
            case 0x80000001 -> d = nx(c) ? NX : 0;
            case 0x80000002, 0x80000003, 0x80000004 -> {
                int base = (leaf - 0x80000002) * 16;
                a = brandWord(base);
                b = brandWord(base + 4);
                cc = brandWord(base + 8);
                d = brandWord(base + 12);
            }
            case 0x80000006 -> cc = 2048 << 16 | 6 << 12 | 64;   // L2: 2 MiB, 8-way, 64-byte lines
            case 0x80000008 -> a = 32 << 8 | 36;                 // 32-bit linear, 36-bit physical addresses
            default -> { }                                       // 3, 5-9, 0x80000005, 0x80000007: zero
        }
        c.r[Cpu.EAX] = a;
        c.r[Cpu.EBX] = b;
        c.r[Cpu.ECX] = cc;
        c.r[Cpu.EDX] = d;
    }

    /** Four bytes of the brand string (NUL padded), little-endian. */
    private static int brandWord(int at) {
        int w = 0;
        for (int k = 0; k < 4; k++) {
            int ch = at + k < BRAND.length() ? BRAND.charAt(at + k) : 0;
            w |= ch << (8 * k);
        }
        return w;
    }
}
