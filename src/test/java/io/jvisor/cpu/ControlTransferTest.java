package io.jvisor.cpu;

import io.jvisor.testing.Machine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Far transfers through call gates and task switches (SDM Vol. 3 5.8, 7.3). */
class ControlTransferTest {
    /** A call gate in GDT slot 6 to the ring-0 code segment, with {@code params} dwords copied. */
    private static void callGate(Machine m, int offset, int params, int dpl) {
        int lo = (offset & 0xffff) | (0x08 << 16);
        int hi = (offset & 0xffff0000) | 0x8000 | (dpl << 13) | (0xc << 8) | params;
        m.mem.write32(Machine.GDT + 6 * 8, lo);
        m.mem.write32(Machine.GDT + 6 * 8 + 4, hi);
        m.cpu.gdtLimit = 7 * 8 - 1;
    }

    @Test
    void callGateFromRing3CopiesParametersAndRetfReturns() {
        try (Machine m = new Machine()) {
            int target = Machine.DATA;
            // ring-0 routine: mov eax,[esp+8] ; add eax,[esp+12] ; retf 8
            int[] routine = {0x8b, 0x44, 0x24, 0x08, 0x03, 0x44, 0x24, 0x0c, 0xca, 0x08, 0x00};
            for (int i = 0; i < routine.length; i++) {
                m.mem.write8(target + i, routine[i]);
            }
            callGate(m, target, 2, 3);
            m.enterRing(3);
            // push 40 ; push 2 ; call 0x33:0 ; mov ebx,esp ; ud2
            m.code(0x6a, 40, 0x6a, 2, 0x9a, 0, 0, 0, 0, 0x33, 0x00, 0x89, 0xe3, 0x0f, 0x0b);
            assertEquals(Fault.UD, m.runToVector());
            assertEquals(42, m.cpu.r[Cpu.EAX]);
            assertEquals(Machine.STACK3, m.cpu.r[Cpu.EBX], "retf 8 released the parameters on the outer stack");
            assertEquals(0x1b, m.stackTop(1), "back in ring 3 when ud2 faulted (frame: EIP, CS, ...)");
        }
    }

    @Test
    void callGateWithDplBelowCplIsGp() {
        try (Machine m = new Machine()) {
            callGate(m, Machine.DATA, 0, 0);
            m.enterRing(3);
            m.code(0x9a, 0, 0, 0, 0, 0x33, 0x00);
            assertEquals(Fault.GP, m.runToVector());
            assertEquals(0x30, m.stackTop(0));
        }
    }

    @Test
    void jmpToTssSwitchesTasksAndSavesTheOldState() {
        try (Machine m = new Machine()) {
            int tss2 = 0x7000;
            m.descriptor(6, tss2, 0x67, 0x89, 0);
            m.cpu.gdtLimit = 7 * 8 - 1;
            m.mem.write32(tss2 + 0x20, Machine.DATA);       // EIP
            m.mem.write32(tss2 + 0x24, 0x2);                // EFLAGS
            m.mem.write32(tss2 + 0x28, 0x1111);             // EAX
            m.mem.write32(tss2 + 0x38, 0x8800);             // ESP
            m.mem.write32(tss2 + 0x48, 0x10);               // ES
            m.mem.write32(tss2 + 0x4c, 0x08);               // CS
            m.mem.write32(tss2 + 0x50, 0x10);               // SS
            m.mem.write32(tss2 + 0x54, 0x10);               // DS
            m.mem.write8(Machine.DATA, 0x0f);               // new task: ud2
            m.mem.write8(Machine.DATA + 1, 0x0b);
            m.cpu.r[Cpu.EBX] = 0x2222;
            m.code(0xea, 0, 0, 0, 0, 0x30, 0x00);           // jmp 0x30:0
            assertEquals(Fault.UD, m.runToVector());
            assertEquals(0x1111, m.cpu.r[Cpu.EAX]);
            assertEquals(0x30, m.cpu.segSel[Cpu.TR]);
            assertEquals(Machine.CODE + 7, m.mem.read32(Machine.TSS + 0x20), "old task's EIP = after the jmp");
            assertEquals(0x2222, m.mem.read32(Machine.TSS + 0x34), "old task's EBX saved");
            assertEquals(0x89, m.mem.read8(Machine.GDT + 5 * 8 + 5), "old TSS no longer busy after a jmp");
            assertEquals(0x8b, m.mem.read8(Machine.GDT + 6 * 8 + 5), "new TSS busy");
            assertEquals(Cpu.CR0_TS, m.cpu.cr0 & Cpu.CR0_TS);
        }
    }

    /** A 386 switching into a 16-bit (286) TSS fills the upper halves of the general registers with ones. */
    @Test
    void switchIntoA16BitTssSetsTheRegistersUpperHalvesToOnes() {
        try (Machine m = new Machine()) {
            int tss16 = 0x7000, code = 0x7100;
            m.descriptor(6, tss16, 0x2b, 0x81, 0);          // available 286 TSS
            m.cpu.gdtLimit = 7 * 8 - 1;
            m.mem.write16(tss16 + 0x0e, code);              // IP
            m.mem.write16(tss16 + 0x10, 0x2);               // FLAGS
            for (int i = 0; i < 8; i++) {
                m.mem.write16(tss16 + 0x12 + 2L * i, 0x100 * (i + 1));   // AX, CX, DX, BX, SP, BP, SI, DI
            }
            m.mem.write16(tss16 + 0x22, 0x10);              // ES
            m.mem.write16(tss16 + 0x24, 0x08);              // CS
            m.mem.write16(tss16 + 0x26, 0x10);              // SS
            m.mem.write16(tss16 + 0x28, 0x10);              // DS
            m.mem.write8(code, 0xf4);                       // hlt
            for (int i = 0; i < 8; i++) {
                m.cpu.r[i] = 0x12340000;
            }
            m.code(0xea, 0, 0, 0, 0, 0x30, 0x00);           // jmp 0x30:0
            m.run(100);
            assertEquals(code + 1, m.cpu.eip, "the new task ran to its hlt");
            for (int i = 0; i < 8; i++) {
                assertEquals(0xffff0000 | 0x100 * (i + 1), m.cpu.r[i], "register " + i);
            }
        }
    }
}
