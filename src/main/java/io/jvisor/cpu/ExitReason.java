package io.jvisor.cpu;

/**
 * Why the VMM had to do work on the guest's behalf: the seed's challenges made countable,
 * as kvm_stat counts VM exits. In a software VMM these are not hardware exits but the
 * moments where the engine leaves plain execution.
 */
public enum ExitReason {
    /** A privileged instruction emulated (mov crN, lgdt, invlpg, wrmsr, ...). */
    PRIV_INSN,
    /** An instruction that reveals privilege state (push cs, sgdt, smsw, pushf, lar, ...). */
    RING_ALIAS,
    /** A soft-TLB miss filled by walking the guest page tables (a hidden fault). */
    SHADOW_FILL,
    /** A page fault delivered to the guest (a real fault). */
    GUEST_PF,
    /** A soft-TLB flush (CR3 write, invlpg, CR0/CR4 change). */
    TLB_FLUSH,
    /** A system call instruction: int 0x80 style software interrupts, sysenter, sysexit. */
    SYSCALL,
    /** An external interrupt injected into the guest. */
    IRQ_INJECT,
    /** An exception delivered to the guest. */
    EXCEPTION,
    /** Interrupts re-enabled with an interrupt pending (sti / popf / iret opened the window). */
    IRQ_WINDOW,
    /** cli, sti, or popf changing IF. */
    IF_TOGGLE,
    /** A port I/O instruction. */
    IO_PORT,
    /** An access to a memory-mapped device. */
    MMIO,
    /** hlt. */
    HLT;
    // Decoded code dropped because its page was written is counted by the VM's code cache
    // (engine.CodeCache#invalidations), which all vCPUs share; --stats shows it as SMC_INVALIDATE.

    private static final ExitReason[] VALUES = values();

    public static ExitReason[] all() {
        return VALUES;
    }
}
