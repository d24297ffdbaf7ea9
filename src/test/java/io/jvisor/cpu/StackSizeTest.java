package io.jvisor.cpu;

import io.jvisor.testing.Machine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Stack operations whose operand size, old stack size and new stack size differ: each
 * stack operation is sized by the SS in force before it, and a load of ESP from a frame
 * is sized by the SS it loads (SDM POP, ENTER, RET, IRET; the cases an external CPU test
 * ROM found).
 */
class StackSizeTest {
    static final int SS16 = 0x30, SS32 = 0x38, SS16_RING3 = 0x43;
    static final int BASE16 = 0x20000;

    /** GDT slot 6: 16-bit data at 0x20000, slot 7: 32-bit flat data, slot 8: 16-bit ring-3 data at 0. */
    static Machine machine() {
        Machine m = new Machine();
        m.descriptor(6, BASE16, 0xffff, 0x93, 0);
        m.descriptor(7, 0, 0xfffff, 0x93, 0xc);
        m.descriptor(8, 0, 0xffff, 0xf3, 0);
        m.cpu.gdtLimit = 9 * 8 - 1;
        return m;
    }

    static void use16BitStack(Machine m, int esp) {
        m.cpu.setSegmentCache(Cpu.SS, SS16, BASE16, 0xffff, 0x0093);
        m.cpu.r[Cpu.ESP] = esp;
    }

    @Test
    void popSsOnA16BitStackWrapsSpEvenWhenTheNewSsIs32Bit() {
        try (Machine m = machine()) {
            use16BitStack(m, 0x0002fffc);
            m.mem.write32(BASE16 + 0xfffc, SS32);
            m.code(0x17, 0xf4);   // pop ss (32-bit pop) ; hlt
            m.run(100);
            assertEquals(SS32, m.cpu.segSel[Cpu.SS]);
            assertEquals(0x00020000, m.cpu.r[Cpu.ESP], "SP wrapped to 0 as the old 16-bit stack says; ESP's upper half kept");
        }
    }

    @Test
    void popSsWithA16BitOperandOnA16BitStack() {
        try (Machine m = machine()) {
            use16BitStack(m, 0x0002fffe);
            m.mem.write16(BASE16 + 0xfffe, SS32);
            m.code(0x66, 0x17, 0xf4);   // o16 pop ss ; hlt
            m.run(100);
            assertEquals(0x00020000, m.cpu.r[Cpu.ESP]);
        }
    }

    @Test
    void popSsOnA32BitStackDoesNotWrapAt64KWhenTheNewSsIs16Bit() {
        try (Machine m = machine()) {
            m.cpu.r[Cpu.ESP] = 0x1fffc;
            m.mem.write32(0x1fffc, SS16);
            m.code(0x17, 0xf4);
            m.run(100);
            assertEquals(SS16, m.cpu.segSel[Cpu.SS]);
            assertEquals(0x00020000, m.cpu.r[Cpu.ESP], "the old 32-bit stack moves the whole ESP");
        }
    }

    @Test
    void enterWithA32BitOperandOnA16BitStackKeepsTheFramePointersUpperHalf() {
        try (Machine m = machine()) {
            use16BitStack(m, 0x00020000);
            m.cpu.r[Cpu.EBP] = 0x12345678;
            m.code(0xc8, 0x04, 0x00, 0x01, 0xf4);   // enter 4, 1 ; hlt
            m.run(100);
            // SP wraps from 0 to 0xfffc; ESP's upper half stays 0x0002
            assertEquals(0x0002fffc, m.cpu.r[Cpu.EBP], "the frame pointer is the whole ESP after pushing EBP");
            assertEquals(0x12345678, m.mem.read32(BASE16 + 0xfffc), "old EBP pushed at SP 0xfffc");
            assertEquals(0x0002fffc, m.mem.read32(BASE16 + 0xfff8), "the frame pointer pushed at level 1");
            assertEquals(0x0002fff4, m.cpu.r[Cpu.ESP], "4 bytes allocated below it, SP only moved");
        }
    }

    @Test
    void enterFaultsBeforeChangingRegistersWhenTheNewStackTopIsNotWritable() {
        try (Machine m = machine()) {
            int pd = 0x100000, pt = 0x101000;
            m.mem.write32(pd, pt | 7);
            for (int i = 0; i < 1024; i++) {
                m.mem.write32(pt + 4L * i, (i << 12) | 7);
            }
            m.mem.write32(pt + 4L * 0x30, 0x30000 | 3);   // supervisor page below the user stack page 0x31000
            m.cpu.writeCr(3, pd);
            m.cpu.writeCr(0, m.cpu.cr0 | Cpu.CR0_PG);
            m.enterRing(3);
            m.cpu.r[Cpu.ESP] = 0x31007;
            m.cpu.r[Cpu.EBP] = 0x5555;
            m.code(0xc8, 0x04, 0x00, 0x00, 0xf4);   // enter 4, 0: the final ESP, 0x30fff, is on the supervisor page
            assertEquals(Fault.PF, m.runToVector());
            assertEquals(7, m.stackTop(0), "#PF: user, write, present");
            assertEquals(0x30fff, m.cpu.cr2);
            assertEquals(Machine.CODE, m.stackTop(1), "ENTER did not complete");
            assertEquals(0x31007, m.stackTop(4), "ESP as before the instruction");
            assertEquals(0x5555, m.cpu.r[Cpu.EBP], "EBP as before the instruction");
        }
    }

    /**
     * IRET and RETF to an outer level with a 32-bit operand onto a 16-bit SS load only SP:
     * ESP's upper half stays the inner stack's (the leak Linux's espfix hides).
     */
    @Test
    void returnsToAn16BitOuterStackLoadOnlySp() {
        for (boolean iret : new boolean[] {true, false}) {
            try (Machine m = machine()) {
                int esp = 0x12ff0;
                m.cpu.r[Cpu.ESP] = esp;
                int ring3Code = Machine.CODE + 0x100;
                m.mem.write8(ring3Code, 0x0f);   // ud2
                m.mem.write8(ring3Code + 1, 0x0b);
                int[] frame = iret ? new int[] {ring3Code, 0x1b, 0x2, 0xabcd5678, SS16_RING3}
                        : new int[] {ring3Code, 0x1b, 0xabcd5678, SS16_RING3};
                for (int i = 0; i < frame.length; i++) {
                    m.mem.write32(esp + 4L * i, frame[i]);
                }
                m.code(iret ? 0xcf : 0xcb);
                assertEquals(Fault.UD, m.runToVector());
                assertEquals(SS16_RING3, m.stackTop(4));
                assertEquals(0x00015678, m.stackTop(3), (iret ? "IRET" : "RETF") + ": SP loaded, ESP's upper half kept");
            }
        }
    }
}
