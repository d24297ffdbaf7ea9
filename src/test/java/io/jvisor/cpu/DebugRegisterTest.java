package io.jvisor.cpu;

import io.jvisor.engine.ExecutionEngine;
import io.jvisor.testing.Machine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The debug registers' rules beyond plain breakpoints (SDM 17.2-17.3): RF, MOV SS, I/O breakpoints, GD. */
class DebugRegisterTest {
    static final int COUNTER = Machine.DATA + 0x800;

    /** A #DB handler that counts and returns with RF set in the saved EFLAGS, as debuggers do. */
    static void resumingDebugHandler(Machine m) {
        int h = Machine.DATA;
        int[] code = {
            0xff, 0x05, COUNTER & 0xff, (COUNTER >>> 8) & 0xff, (COUNTER >>> 16) & 0xff, COUNTER >>> 24,   // inc dword [COUNTER]
            0x81, 0x4c, 0x24, 0x08, 0x00, 0x00, 0x01, 0x00,                                            // or dword [esp+8], RF
            0xcf};                                                                                      // iretd
        for (int i = 0; i < code.length; i++) {
            m.mem.write8(h + i, code[i]);
        }
        m.gate(Fault.DB, 0x08, h, 0xe, 0);
    }

    @Test
    void rfLoadedByIretSuppressesTheBreakpointOnce() {
        try (Machine m = new Machine()) {
            resumingDebugHandler(m);
            m.code(0x90, 0x40, 0xf4);   // nop (breakpoint) ; inc eax ; hlt
            m.cpu.writeDebugRegister(0, Machine.CODE);
            m.cpu.writeDebugRegister(7, 1);   // L0, execute
            assertEquals(ExecutionEngine.Exit.HALTED, m.run(10_000), "the breakpoint must not fire forever");
            assertEquals(1, m.mem.read32(COUNTER), "one #DB, then the nop ran with RF set");
            assertEquals(1, m.cpu.r[Cpu.EAX]);
            assertEquals(0, m.cpu.getEflags() & Flags.RF, "RF cleared once the nop completed");
        }
    }

    @Test
    void aCodeBreakpointAfterMovSsIsNotReported() {
        try (Machine m = new Machine()) {
            resumingDebugHandler(m);
            // mov ax, 0x10 ; mov ss, ax ; nop (breakpoint) ; nop (breakpoint) ; hlt
            m.code(0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd0, 0x90, 0x90, 0xf4);
            m.cpu.writeDebugRegister(0, Machine.CODE + 6);
            m.cpu.writeDebugRegister(1, Machine.CODE + 7);
            m.cpu.writeDebugRegister(7, 1 | 4);
            assertEquals(ExecutionEngine.Exit.HALTED, m.run(10_000));
            assertEquals(1, m.mem.read32(COUNTER), "only the second nop's breakpoint (Intel suppresses the one after MOV SS)");
            assertEquals(2, m.cpu.dr[6] & 0xf, "DR6.B1");
        }
    }

    @Test
    void ioBreakpointTrapsAfterTheAccessWhenCr4DeIsSet() {
        try (Machine m = new Machine()) {
            m.cpu.writeCr(4, m.cpu.cr4 | Cpu.CR4_DE);
            m.cpu.writeDebugRegister(2, 0x80);
            m.cpu.writeDebugRegister(7, 0x10 | 2 << 24);   // L2, R/W2 = 10 (I/O), LEN2 = 00
            m.code(0xe6, 0x81, 0xe6, 0x80, 0xf4);            // out 0x81, al ; out 0x80, al ; hlt
            assertEquals(Fault.DB, m.runToVector());
            assertEquals(Machine.CODE + 4, m.stackTop(0), "a trap: EIP after the OUT to port 0x80");
            assertEquals(4, m.cpu.dr[6] & 0xf, "DR6.B2");
        }
        try (Machine m = new Machine()) {
            m.cpu.writeDebugRegister(2, 0x80);
            m.cpu.writeDebugRegister(7, 0x10 | 2 << 24);
            m.code(0xe6, 0x80, 0xf4);
            m.run(1000);
            assertEquals(-1, m.vectorTaken(), "without CR4.DE, R/W = 10 is no I/O breakpoint");
        }
    }

    @Test
    void generalDetectFaultsOnDebugRegisterAccessAndClearsGd() {
        try (Machine m = new Machine()) {
            m.cpu.writeDebugRegister(7, SystemOps.DR7_GD);
            m.code(0x0f, 0x21, 0xc0, 0xf4);   // mov eax, dr0
            m.cpu.r[Cpu.EAX] = 0x1234;
            assertEquals(Fault.DB, m.runToVector());
            assertEquals(Machine.CODE, m.stackTop(0), "a fault: EIP of the MOV");
            assertNotEquals(0, m.cpu.dr[6] & SystemOps.DR6_BD, "DR6.BD");
            assertEquals(0, m.cpu.dr[7] & SystemOps.DR7_GD, "GD cleared on entry to the handler");
            assertEquals(0x1234, m.cpu.r[Cpu.EAX], "the MOV did not execute");
        }
    }
}
