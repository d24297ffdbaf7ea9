package io.jvisor.cpu;

/**
 * What the CPU reaches of its local APIC through MSRs (the APIC itself is a device): the
 * IA32_APIC_BASE register's enable and mode bits, the x2APIC registers (MSRs 0x800-0x8ff)
 * and IA32_TSC_DEADLINE (0x6e0).
 */
public interface ApicAccess {
    int MSR_TSC_DEADLINE = 0x6e0;

    /** The APIC ID, for CPUID leaf 1 EBX[31:24]. */
    int apicId();

    /** IA32_APIC_BASE was written (EN bit 11, EXTD bit 10 for x2APIC mode, the base address). */
    void baseChanged(long apicBase);

    /** RDMSR of an APIC MSR; null when it does not exist in the current mode (#GP). */
    Long readMsr(int msr);

    /** A read of the xAPIC register page (offset within the page) by this APIC's own CPU. */
    int mmioRead(long offset, int size);

    /** A write of the xAPIC register page by this APIC's own CPU. */
    void mmioWrite(long offset, int size, int value);

    /** WRMSR of an APIC MSR; false when it does not exist or is read-only (#GP). */
    boolean writeMsr(int msr, long value);
}
