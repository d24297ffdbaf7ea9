package io.jvisor.cpu;

import io.jvisor.engine.ExecutionEngine;
import io.jvisor.testing.Machine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Segment protection, privilege checks and exception delivery with error codes (SDM Vol. 3 ch. 5, 6). */
class ProtectionTest {
    @Test
    void nullDataSegmentAccessIsGp0() {
        try (Machine m = new Machine()) {
            // xor eax,eax ; mov ds,ax ; mov eax,[0x20000] ; hlt
            m.code(0x31, 0xc0, 0x8e, 0xd8, 0xa1, 0x00, 0x00, 0x02, 0x00, 0xf4);
            assertEquals(Fault.GP, m.runToVector());
            assertEquals(0, m.stackTop(0));
            assertEquals(Machine.CODE + 4, m.stackTop(1), "faulting EIP is the access, not the segment load");
        }
    }

    @Test
    void nullStackSegmentLoadIsGp0() {
        try (Machine m = new Machine()) {
            m.code(0x31, 0xc0, 0x8e, 0xd0, 0xf4);   // xor eax,eax ; mov ss,ax
            assertEquals(Fault.GP, m.runToVector());
            assertEquals(0, m.stackTop(0));
        }
    }

    @Test
    void selectorBeyondGdtLimitIsGpWithSelector() {
        try (Machine m = new Machine()) {
            m.code(0x66, 0xb8, 0x80, 0x00, 0x8e, 0xd8, 0xf4);   // mov ax,0x80 ; mov ds,ax
            assertEquals(Fault.GP, m.runToVector());
            assertEquals(0x80, m.stackTop(0));
        }
    }

    @Test
    void notPresentSegmentIsNpAndNotPresentStackIsSs() {
        try (Machine m = new Machine()) {
            m.descriptor(6, 0, 0xfffff, 0x13, 0xc);   // data, not present
            m.cpu.gdtLimit = 7 * 8 - 1;
            m.code(0x66, 0xb8, 0x30, 0x00, 0x8e, 0xd8, 0xf4);   // mov ax,0x30 ; mov ds,ax
            assertEquals(Fault.NP, m.runToVector());
            assertEquals(0x30, m.stackTop(0));
        }
        try (Machine m = new Machine()) {
            m.descriptor(6, 0, 0xfffff, 0x13, 0xc);
            m.cpu.gdtLimit = 7 * 8 - 1;
            m.code(0x66, 0xb8, 0x30, 0x00, 0x8e, 0xd0, 0xf4);   // mov ss,ax
            assertEquals(Fault.SS, m.runToVector());
            assertEquals(0x30, m.stackTop(0));
        }
    }

    @Test
    void writeToReadOnlyDataSegmentIsGp() {
        try (Machine m = new Machine()) {
            m.descriptor(6, 0, 0xfffff, 0x91, 0xc);   // read-only data, present, accessed
            m.cpu.gdtLimit = 7 * 8 - 1;
            // mov ax,0x30 ; mov es,ax ; mov [es:0x20000],eax
            m.code(0x66, 0xb8, 0x30, 0x00, 0x8e, 0xc0, 0x26, 0xa3, 0x00, 0x00, 0x02, 0x00, 0xf4);
            assertEquals(Fault.GP, m.runToVector());
            assertEquals(0, m.stackTop(0));
        }
    }

    @Test
    void segmentLimitAndExpandDownChecks() {
        try (Machine m = new Machine()) {
            m.descriptor(6, 0x20000, 0xff, 0x93, 0x4);        // byte-granular limit 0xff
            m.descriptor(7, 0x20000, 0x0ff, 0x97, 0x4);       // expand-down, valid offsets 0x100..0xffffffff
            m.cpu.gdtLimit = 8 * 8 - 1;
            // mov ax,0x30; mov ds,ax; mov eax,[0xfc] (ok); mov eax,[0xfd] (#GP)
            m.code(0x66, 0xb8, 0x30, 0x00, 0x8e, 0xd8, 0xa1, 0xfc, 0, 0, 0, 0xa1, 0xfd, 0, 0, 0, 0xf4);
            assertEquals(Fault.GP, m.runToVector());
            assertEquals(Machine.CODE + 11, m.stackTop(1));
        }
        try (Machine m = new Machine()) {
            m.descriptor(7, 0x20000, 0x0ff, 0x97, 0x4);
            m.cpu.gdtLimit = 8 * 8 - 1;
            // mov ax,0x38; mov ds,ax; mov eax,[0x100] (ok); mov eax,[0xfe] (#GP: below the expand-down limit)
            m.code(0x66, 0xb8, 0x38, 0x00, 0x8e, 0xd8, 0xa1, 0x00, 1, 0, 0, 0xa1, 0xfe, 0, 0, 0, 0xf4);
            assertEquals(Fault.GP, m.runToVector());
            assertEquals(Machine.CODE + 11, m.stackTop(1));
        }
    }

    @Test
    void userCodeCannotRunPrivilegedInstructions() {
        int[][] cases = {
            {0xfa},                         // cli (IOPL 0)
            {0xf4},                         // hlt
            {0x0f, 0x22, 0xd8},             // mov cr3, eax
            {0x0f, 0x20, 0xc0},             // mov eax, cr0
            {0x0f, 0x01, 0x15, 0, 0, 2, 0}, // lgdt [0x20000]
            {0x0f, 0x06},                   // clts
            {0x0f, 0x30},                   // wrmsr
            {0x0f, 0x32},                   // rdmsr
            {0x0f, 0x09},                   // wbinvd
            {0xe4, 0x60},                   // in al, 0x60 (no I/O permission)
            {0x0f, 0x01, 0x3d, 0, 0, 2, 0}, // invlpg [0x20000]
        };
        for (int[] insn : cases) {
            try (Machine m = new Machine()) {
                m.enterRing(3);
                m.code(insn);
                assertEquals(Fault.GP, m.runToVector(), () -> "insn " + java.util.Arrays.toString(insn));
                // ring 3 -> ring 0: the frame on the TSS stack is error, EIP, CS, EFLAGS, ESP, SS
                assertEquals(0, m.stackTop(0));
                assertEquals(Machine.CODE, m.stackTop(1));
                assertEquals(0x1b, m.stackTop(2));
                assertEquals(Machine.STACK3, m.stackTop(4));
                assertEquals(0x23, m.stackTop(5));
                assertEquals(Machine.STACK0 - 24, m.cpu.r[Cpu.ESP]);
            }
        }
    }

    @Test
    void softwareInterruptThroughGateWithLowerDplIsGp() {
        try (Machine m = new Machine()) {
            m.gate(0x40, 0x08, Machine.HANDLERS + 0x40 * 16, 0xe, 0);   // DPL 0 gate
            m.enterRing(3);
            m.code(0xcd, 0x40);
            assertEquals(Fault.GP, m.runToVector());
            assertEquals(0x40 * 8 + 2, m.stackTop(0), "error code names the IDT entry (IDT bit set)");
        }
    }

    @Test
    void int80FromRing3SwitchesStacksAndIretReturns() {
        try (Machine m = new Machine()) {
            // handler for 0x80 at DATA: mov eax, 42 ; iretd
            int h = Machine.DATA;
            int[] handler = {0xb8, 42, 0, 0, 0, 0xcf};
            for (int i = 0; i < handler.length; i++) {
                m.mem.write8(h + i, handler[i]);
            }
            m.gate(0x80, 0x08, h, 0xe, 3);
            m.enterRing(3);
            m.code(0xcd, 0x80, 0x89, 0xc3, 0xf4);   // int 0x80 ; mov ebx, eax ; hlt (#GP in ring 3)
            assertEquals(Fault.GP, m.runToVector());
            assertEquals(42, m.cpu.r[Cpu.EBX]);
            assertEquals(Machine.CODE + 4, m.stackTop(1), "the hlt faulted in ring 3 after the return");
            assertTrue(m.cpu.exits.get(ExitReason.SYSCALL) >= 1);
        }
    }

    @Test
    void doubleFaultAndTripleFault() {
        try (Machine m = new Machine()) {
            m.mem.write8(Machine.IDT + 13 * 8 + 5, 0x0e);   // #GP gate not present
            m.code(0x31, 0xc0, 0x8e, 0xd0, 0xf4);         // mov ss,0 -> #GP -> #NP on the gate -> #DF
            assertEquals(Fault.DF, m.runToVector());
            assertEquals(0, m.stackTop(0), "#DF error code is zero");
        }
        try (Machine m = new Machine()) {
            m.mem.write8(Machine.IDT + 13 * 8 + 5, 0x0e);
            m.mem.write8(Machine.IDT + 8 * 8 + 5, 0x0e);    // #DF gate not present either
            m.code(0x31, 0xc0, 0x8e, 0xd0, 0xf4);
            assertEquals(ExecutionEngine.Exit.SHUTDOWN, m.run(1000));
            assertTrue(m.engine.report().contains("triple fault"), m.engine.report());
        }
    }

    @Test
    void pageFaultErrorCodesAndCr2() {
        // identity-map the first 4 MiB with 4 KiB pages; page 0x20000 supervisor-only, page 0x21000 read-only user
        try (Machine m = new Machine()) {
            int pd = 0x100000, pt = 0x101000;
            m.mem.write32(pd, pt | 7);
            for (int i = 0; i < 1024; i++) {
                m.mem.write32(pt + 4L * i, (i << 12) | 7);
            }
            m.mem.write32(pt + 4L * 0x20, 0x20000 | 3);        // supervisor
            m.mem.write32(pt + 4L * 0x21, 0x21000 | 5);        // user, read-only
            m.mem.write32(pt + 4L * 0x22, 0);                  // not present
            m.cpu.writeCr(3, pd);
            m.cpu.writeCr(0, m.cpu.cr0 | Cpu.CR0_PG);
            int[][] cases = {
                // insn, ring, expected error code, expected CR2
                {3, 5, 0x20000, 0xa1, 0x00, 0x00, 0x02, 0x00},       // user read of a supervisor page
                {3, 7, 0x21004, 0xa3, 0x04, 0x10, 0x02, 0x00},       // user write to a read-only page
                {0, 0, 0x22008, 0xa1, 0x08, 0x20, 0x02, 0x00},       // supervisor read, not present
                {3, 6, 0x2200c, 0xa3, 0x0c, 0x20, 0x02, 0x00},       // user write, not present
            };
            for (int[] c : cases) {
                m.cpu.reset();
                m.setUpTables();
                m.mem.write32(Machine.VECTOR_SLOT, -1);
                m.cpu.writeCr(3, pd);
                m.cpu.writeCr(0, m.cpu.cr0 | Cpu.CR0_PG);
                m.enterRing(c[0]);
                m.code(c[3], c[4], c[5], c[6], c[7], 0xf4);
                assertEquals(Fault.PF, m.runToVector());
                assertEquals(c[1], m.stackTop(0));
                assertEquals(c[2], m.cpu.cr2);
            }
            // supervisor write to a read-only page: allowed with CR0.WP=0, #PF(3) with WP=1
            m.cpu.reset();
            m.setUpTables();
            m.cpu.writeCr(3, pd);
            m.cpu.writeCr(0, m.cpu.cr0 | Cpu.CR0_PG);
            m.code(0xa3, 0x10, 0x10, 0x02, 0x00, 0x0f, 0x20, 0xc0, 0x0d, 0, 0, 1, 0, 0x0f, 0x22, 0xc0,
                    0xa3, 0x14, 0x10, 0x02, 0x00, 0xf4);
            // mov [0x21010],eax ; mov eax,cr0 ; or eax,0x10000 ; mov cr0,eax ; mov [0x21014],eax
            assertEquals(Fault.PF, m.runToVector());
            assertEquals(3, m.stackTop(0));
            assertEquals(0x21014, m.cpu.cr2);
            // accessed and dirty bits were set by the first write
            assertEquals(0x60, m.mem.read32(pt + 4L * 0x21) & 0x60);
        }
    }

    @Test
    void alignmentCheckInRing3() {
        try (Machine m = new Machine()) {
            m.cpu.writeCr(0, m.cpu.cr0 | Cpu.CR0_AM);
            m.enterRing(3);
            m.cpu.setEflags(0x2 | Flags.AC);
            // mov eax,[0x20000] (aligned) ; mov eax,[0x20002] (misaligned)
            m.code(0xa1, 0x00, 0x00, 0x02, 0x00, 0xa1, 0x02, 0x00, 0x02, 0x00, 0xf4);
            assertEquals(Fault.AC, m.runToVector());
            assertEquals(0, m.stackTop(0), "#AC error code");
            assertEquals(Machine.CODE + 5, m.stackTop(1));
        }
        try (Machine m = new Machine()) {
            m.cpu.writeCr(0, m.cpu.cr0 | Cpu.CR0_AM);
            m.enterRing(3);
            m.cpu.setEflags(0x2);   // AC clear: no check
            m.code(0xa1, 0x02, 0x00, 0x02, 0x00, 0xf4);
            assertEquals(Fault.GP, m.runToVector(), "the misaligned read passed; hlt in ring 3 is #GP");
        }
    }
}
