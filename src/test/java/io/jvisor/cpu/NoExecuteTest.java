package io.jvisor.cpu;

import io.jvisor.testing.Machine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Execute disable with PAE paging (SDM 4.6, 4.7; IA32_EFER.NXE, IA32_MISC_ENABLE bit 34). */
class NoExecuteTest {
    static final int PDPT = 0x100000, PD = 0x101000, PT = 0x102000, PAGE = 0x30000;
    static final long XD = 1L << 63;

    /**
     * Identity-maps the first 4 MiB with 4 KiB user pages under PAE; the PTE of {@link #PAGE}
     * gets {@code extraPte}, the directory entry of the second 2 MiB gets {@code extraPde}.
     */
    static void paePaging(Machine m, long extraPte, long extraPde) {
        int pt2 = PT + 0x1000;
        m.mem.write64(PDPT, PD | 1);
        m.mem.write64(PD, PT | 7);
        m.mem.write64(PD + 8, pt2 | 7 | extraPde);
        for (int i = 0; i < 512; i++) {
            m.mem.write64(PT + 8L * i, (long) i << 12 | 7 | (i == PAGE >>> 12 ? extraPte : 0));
            m.mem.write64(pt2 + 8L * i, 0x200000L + ((long) i << 12) | 7);
        }
        m.mem.write8(PAGE, 0xf4);              // hlt
        m.mem.write8(0x200000 + PAGE, 0xf4);
        m.cpu.writeCr(4, m.cpu.cr4 | Cpu.CR4_PAE);
        m.cpu.writeCr(3, PDPT);
        m.cpu.writeCr(0, m.cpu.cr0 | Cpu.CR0_PG);
    }

    /** Turns on EFER.NXE, reads the target as data into EBX, then jumps to it. */
    static int[] nxeReadJump(int target) {
        int[] t = {target & 0xff, (target >>> 8) & 0xff, (target >>> 16) & 0xff, target >>> 24};
        return new int[] {
            0xb9, 0x80, 0x00, 0x00, 0xc0,   // mov ecx, IA32_EFER
            0x0f, 0x32,                     // rdmsr
            0x0d, 0x00, 0x08, 0x00, 0x00,   // or eax, NXE
            0x0f, 0x30,                     // wrmsr
            0x8b, 0x1d, t[0], t[1], t[2], t[3],   // mov ebx, [target]
            0xb8, t[0], t[1], t[2], t[3],   // mov eax, target
            0xff, 0xe0};                    // jmp eax
    }

    @Test
    void fetchFromAnXdPageFaultsWithTheInstructionFetchBit() {
        for (boolean inDirectory : new boolean[] {false, true}) {
            try (Machine m = new Machine()) {
                paePaging(m, inDirectory ? 0 : XD, inDirectory ? XD : 0);
                int target = inDirectory ? 0x200000 + PAGE : PAGE;
                m.code(nxeReadJump(target));
                assertEquals(Fault.PF, m.runToVector());
                assertEquals(0x11, m.stackTop(0), "present, instruction fetch");
                assertEquals(target, m.cpu.cr2);
                assertEquals(0xf4, m.cpu.r[Cpu.EBX], "the page reads as data");
            }
        }
    }

    @Test
    void userFetchFaultReportsUserAndFetch() {
        try (Machine m = new Machine()) {
            paePaging(m, XD, 0);
            m.cpu.efer = Cpu.EFER_NXE;
            m.enterRing(3);
            m.code(0xb8, 0x00, 0x00, 0x03, 0x00, 0xff, 0xe0);   // mov eax, PAGE ; jmp eax
            assertEquals(Fault.PF, m.runToVector());
            assertEquals(0x15, m.stackTop(0), "present, user, instruction fetch");
        }
    }

    @Test
    void withoutNxeBit63IsReserved() {
        try (Machine m = new Machine()) {
            paePaging(m, XD, 0);
            m.code(0x8b, 0x1d, 0x00, 0x00, 0x03, 0x00);   // mov ebx, [PAGE]
            assertEquals(Fault.PF, m.runToVector());
            assertEquals(0x9, m.stackTop(0), "present, reserved bit; no I/D bit without NXE");
        }
    }

    @Test
    void xdBitDisableHidesNxAndEfer() {
        try (Machine m = new Machine()) {
            m.cpu.r[Cpu.EAX] = 0x80000001;
            CpuId.execute(m.cpu);
            assertEquals(CpuId.NX, m.cpu.r[Cpu.EDX] & CpuId.NX, "NX offered");
            m.code(
                0xb9, 0xa0, 0x01, 0x00, 0x00,   // mov ecx, IA32_MISC_ENABLE
                0x0f, 0x32,                     // rdmsr
                0x83, 0xca, 0x04,               // or edx, 4 (bit 34: XD bit disable)
                0x0f, 0x30,                     // wrmsr
                0xb9, 0x80, 0x00, 0x00, 0xc0,   // mov ecx, IA32_EFER
                0x0f, 0x32);                    // rdmsr: #GP
            assertEquals(Fault.GP, m.runToVector());
            assertEquals(Machine.CODE + 17, m.stackTop(1));
            m.cpu.r[Cpu.EAX] = 0x80000001;
            CpuId.execute(m.cpu);
            assertEquals(0, m.cpu.r[Cpu.EDX] & CpuId.NX, "NX hidden");
        }
    }
}
