package io.jvisor.cpu;

import io.jvisor.testing.Machine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Virtual-8086 mode: entry through IRETD, IOPL-sensitive instructions, exits to ring 0 (SDM Vol. 3 20.2-20.3). */
class Virtual8086Test {
    static final int V86_CS = 0x2000;   // linear 0x20000 = Machine.DATA

    /** Enters v86 at 2000:0000 with the given IOPL by executing IRETD from ring 0, running {@code code}. */
    private static Machine enterV86(int iopl, int... code) {
        Machine m = new Machine();
        for (int i = 0; i < code.length; i++) {
            m.mem.write8((V86_CS << 4) + i, code[i]);
        }
        // the IRETD frame: EIP CS EFLAGS ESP SS ES DS FS GS
        int[] frame = {0, V86_CS, 0x20202 | (iopl << 12), 0x0ff0, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000};
        int sp = Machine.STACK0 - 4 * frame.length;
        for (int i = 0; i < frame.length; i++) {
            m.mem.write32(sp + 4L * i, frame[i]);
        }
        m.cpu.r[Cpu.ESP] = sp;
        m.code(0xcf);   // iretd
        return m;
    }

    @Test
    void softwareInterruptWithIoplBelow3IsGpAndTheFrameHoldsTheSegments() {
        try (Machine m = enterV86(0, 0xb8, 0x34, 0x12, 0xcd, 0x21)) {   // mov ax,0x1234 ; int 0x21
            assertEquals(Fault.GP, m.runToVector());
            assertEquals(0, m.stackTop(0), "error code");
            assertEquals(3, m.stackTop(1), "EIP of the int instruction");
            assertEquals(V86_CS, m.stackTop(2));
            assertTrue((m.stackTop(3) & Flags.VM) != 0, "pushed EFLAGS has VM set");
            assertEquals(0x0ff0, m.stackTop(4));
            assertEquals(0x3000, m.stackTop(5));
            assertEquals(0x4000, m.stackTop(6));
            assertEquals(0x5000, m.stackTop(7));
            assertEquals(0x6000, m.stackTop(8));
            assertEquals(0x7000, m.stackTop(9));
            assertEquals(0x1234, m.cpu.r[Cpu.EAX] & 0xffff);
            assertEquals(0, m.cpu.cpl);
            assertTrue(!m.cpu.v86());
            assertEquals(0, m.cpu.segSel[Cpu.DS], "data segments are nulled on the way out of v86");
        }
    }

    @Test
    void softwareInterruptWithIopl3GoesThroughTheIdt() {
        try (Machine m = enterV86(3, 0xcd, 0x21)) {
            assertEquals(0x21, m.runToVector());
            assertEquals(2, m.stackTop(0), "trap: return address after int");
            assertEquals(V86_CS, m.stackTop(1));
        }
    }

    @Test
    void cliAndPushfAreIoplSensitive() {
        try (Machine m = enterV86(0, 0xfa)) {   // cli
            assertEquals(Fault.GP, m.runToVector());
        }
        try (Machine m = enterV86(0, 0x9c)) {   // pushf
            assertEquals(Fault.GP, m.runToVector());
        }
        // with IOPL 3: pushf ; pop bx ; cli ; ud2 (to stop)
        try (Machine m = enterV86(3, 0x9c, 0x5b, 0xfa, 0x0f, 0x0b)) {
            assertEquals(Fault.UD, m.runToVector());
            assertEquals(0x3202, m.cpu.r[Cpu.EBX] & 0xffff, "pushf image: IOPL 3, IF 1");
            assertTrue((m.stackTop(2) & Flags.IF) == 0, "cli cleared IF");
        }
    }

    @Test
    void segmentArithmeticAndIoBitmap() {
        // mov ax,0x5000 ; mov ds,ax ; mov bx,[0x10] ; in al,0x60 (no bitmap entry allows it -> #GP)
        try (Machine m = enterV86(3, 0xb8, 0x00, 0x50, 0x8e, 0xd8, 0x8b, 0x1e, 0x10, 0x00, 0xe4, 0x60)) {
            m.mem.write16(0x50010, 0xbeef);
            assertEquals(Fault.GP, m.runToVector(), "in v86 the I/O bitmap is consulted even with IOPL 3");
            assertEquals(0xbeef, m.cpu.r[Cpu.EBX] & 0xffff);
            assertEquals(9, m.stackTop(1));
        }
    }

    @Test
    void hltInV86IsGp() {
        try (Machine m = enterV86(3, 0xf4)) {
            assertEquals(Fault.GP, m.runToVector());
        }
    }
}
