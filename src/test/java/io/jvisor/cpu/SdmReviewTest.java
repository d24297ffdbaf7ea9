package io.jvisor.cpu;

import io.jvisor.engine.ExecutionEngine;
import io.jvisor.testing.Machine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Findings of an SDM review of the system parts of the CPU (far transfers, interrupt and
 * exception delivery, task switches, paging, debug). Each test names the SDM rule it checks.
 */
class SdmReviewTest {
    static final int TSS2 = 0x7000;

    /** A valid 32-bit ring-0 TSS at {@link #TSS2} in GDT slot 6 (selector 0x30) whose task starts at {@code eip}. */
    private static void secondTask(Machine m, int access, int eip) {
        m.descriptor(6, TSS2, 0x67, access, 0);
        m.cpu.gdtLimit = Math.max(m.cpu.gdtLimit, 7 * 8 - 1);
        m.mem.write32(TSS2 + 0x20, eip);
        m.mem.write32(TSS2 + 0x24, 0x2);               // EFLAGS
        m.mem.write32(TSS2 + 0x38, 0x8800);            // ESP
        m.mem.write32(TSS2 + 0x48, 0x10);              // ES
        m.mem.write32(TSS2 + 0x4c, 0x08);              // CS
        m.mem.write32(TSS2 + 0x50, 0x10);              // SS
        m.mem.write32(TSS2 + 0x54, 0x10);              // DS
        m.mem.write32(TSS2 + 0x58, 0x10);              // FS
        m.mem.write32(TSS2 + 0x5c, 0x10);              // GS
        m.mem.write16(TSS2 + 0x66, 0x68);
    }

    private static void put(Machine m, int addr, int... bytes) {
        for (int i = 0; i < bytes.length; i++) {
            m.mem.write8(addr + i, bytes[i]);
        }
    }

    // ------------------------------------------------------------------ stack switch overflow

    /**
     * SDM Vol. 2 INT n pseudocode, INTER-PRIVILEGE-LEVEL-INTERRUPT: "IF new stack does not have
     * room for ... bytes THEN #SS(error_code(NewSS,0,EXT))"; exceptions list: "#SS(selector) If
     * pushing the return address, flags, or error code onto the stack exceeds the bounds of the
     * new stack segment when a stack switch occurs". INT n has EXT=0.
     */
    @Test
    void interruptStackSwitchOverflowIsSsWithTheNewStackSelector() {
        try (Machine m = new Machine()) {
            m.descriptor(6, 0, 0xfff, 0x93, 0x4);      // ring-0 stack: byte-granular limit 0xfff, B=1
            m.cpu.gdtLimit = 7 * 8 - 1;
            m.mem.write32(Machine.TSS + 4, 8);          // ESP0 = 8: the third push wraps beyond the limit
            m.mem.write32(Machine.TSS + 8, 0x30);       // SS0
            m.enterRing(3);
            m.code(0xcd, 0x40);                         // int 0x40 (gate DPL 3, ring-0 handler)
            Fault f = m.engine.stepWithoutDelivery();
            assertNotNull(f, "the interrupt cannot be delivered");
            assertEquals(Fault.SS, f.vector);
            assertEquals(0x30, f.errorCode, "#SS error code is the new SS selector (EXT=0 for INT n)");
        }
    }

    /** The same rule for an exception: EXT=1 (SDM 6.13 error code, INT n pseudocode error_code(NewSS,0,EXT)). */
    @Test
    void exceptionStackSwitchOverflowIsSsWithTheNewStackSelectorAndExt() {
        try (Machine m = new Machine()) {
            m.descriptor(6, 0, 0xfff, 0x93, 0x4);
            m.cpu.gdtLimit = 7 * 8 - 1;
            m.mem.write32(Machine.TSS + 4, 8);
            m.mem.write32(Machine.TSS + 8, 0x30);
            m.enterRing(3);
            Fault f = null;
            try {
                InterruptDelivery.deliver(m.cpu, Fault.UD, InterruptDelivery.EXCEPTION, false, 0, Machine.CODE);
            } catch (Fault e) {
                f = e;
            }
            assertNotNull(f, "the exception cannot be delivered");
            assertEquals(Fault.SS, f.vector);
            assertEquals(0x31, f.errorCode, "#SS(NewSS | EXT)");
        }
    }

    /**
     * SDM Vol. 2 CALL, protected-mode exceptions: "#SS(selector) If pushing the return address,
     * parameters, or stack segment pointer onto the stack exceeds the bounds of the stack
     * segment, when a stack switch occurs" (#SS(0) is only for the no-stack-switch case).
     */
    @Test
    void callGateStackSwitchOverflowIsSsWithTheNewStackSelector() {
        try (Machine m = new Machine()) {
            m.descriptor(7, 0, 0xfff, 0x93, 0x4);      // ring-0 stack 0x38 with limit 0xfff
            // call gate 0x30 -> 0x08:DATA, DPL 3, no parameters
            m.mem.write32(Machine.GDT + 6 * 8, (Machine.DATA & 0xffff) | (0x08 << 16));
            m.mem.write32(Machine.GDT + 6 * 8 + 4, (Machine.DATA & 0xffff0000) | 0x8000 | (3 << 13) | (0xc << 8));
            m.cpu.gdtLimit = 8 * 8 - 1;
            m.mem.write32(Machine.TSS + 4, 8);
            m.mem.write32(Machine.TSS + 8, 0x38);
            m.enterRing(3);
            m.code(0x9a, 0, 0, 0, 0, 0x33, 0x00);      // call 0x33:0
            Fault f = m.engine.stepWithoutDelivery();
            assertNotNull(f);
            assertEquals(Fault.SS, f.vector);
            assertEquals(0x38, f.errorCode, "#SS error code is the new SS selector");
            assertEquals(3, m.cpu.cpl, "the fault is reported in the caller's context");
        }
    }

    // ------------------------------------------------------------------ task switches

    /**
     * SDM Vol. 3 7.3 step 8 and table 7-2 ("NT flag of old task": JMP - no change; only IRET
     * clears NT in the saved EFLAGS image).
     */
    @Test
    void jmpTaskSwitchKeepsNtInTheSavedEflagsImage() {
        try (Machine m = new Machine()) {
            secondTask(m, 0x89, Machine.DATA);
            put(m, Machine.DATA, 0xf4);                 // new task: hlt
            m.cpu.setEflags(0x2 | Flags.NT);
            m.code(0xea, 0, 0, 0, 0, 0x30, 0x00);       // jmp 0x30:0
            assertEquals(ExecutionEngine.Exit.HALTED, m.run(1000));
            assertEquals(0x30, m.cpu.segSel[Cpu.TR], "the switch happened");
            assertEquals(Flags.NT, m.mem.read32(Machine.TSS + 0x24) & Flags.NT,
                    "a JMP leaves NT unchanged in the old task's saved EFLAGS");
        }
    }

    /**
     * SDM Vol. 2 JMP/CALL pseudocode, TASK-STATE-SEGMENT: "IF TSS is not present THEN
     * #NP(TSS selector)"; SDM Vol. 3 7.3 step 4 (the new TSS descriptor must be present).
     */
    @Test
    void jmpToNotPresentTssIsNp() {
        try (Machine m = new Machine()) {
            secondTask(m, 0x09, Machine.DATA);         // available 32-bit TSS, P=0
            put(m, Machine.DATA, 0xf4);
            m.code(0xea, 0, 0, 0, 0, 0x30, 0x00);       // jmp 0x30:0
            Fault f = m.engine.stepWithoutDelivery();
            assertNotNull(f, "no task switch to a not-present TSS");
            assertEquals(Fault.NP, f.vector);
            assertEquals(0x30, f.errorCode);
            assertEquals(0x28, m.cpu.segSel[Cpu.TR]);
        }
    }

    /** Same rule for CALL (SDM Vol. 2 CALL pseudocode, TASK-STATE-SEGMENT). */
    @Test
    void callToNotPresentTssIsNp() {
        try (Machine m = new Machine()) {
            secondTask(m, 0x09, Machine.DATA);
            put(m, Machine.DATA, 0xf4);
            m.code(0x9a, 0, 0, 0, 0, 0x30, 0x00);       // call 0x30:0
            Fault f = m.engine.stepWithoutDelivery();
            assertNotNull(f, "no task switch to a not-present TSS");
            assertEquals(Fault.NP, f.vector);
            assertEquals(0x30, f.errorCode);
            assertEquals(0x28, m.cpu.segSel[Cpu.TR]);
        }
    }

    /**
     * SDM Vol. 3 7.2.1 (T flag, TSS byte 100 bit 0) and 17.3.1.5 "Task-Switch Exception
     * Condition": a debug exception (trap) is raised after the switch to a task whose T flag is
     * set, before its first instruction executes; DR6.BT is set.
     */
    @Test
    void taskSwitchToTssWithTFlagRaisesDebugTrap() {
        try (Machine m = new Machine()) {
            secondTask(m, 0x89, Machine.DATA);
            m.mem.write16(TSS2 + 0x64, 1);              // T = 1
            put(m, Machine.DATA, 0x0f, 0x0b);           // new task: ud2
            m.code(0xea, 0, 0, 0, 0, 0x30, 0x00);       // jmp 0x30:0
            assertEquals(Fault.DB, m.runToVector(), "#DB before the new task's first instruction");
            assertEquals(Machine.DATA, m.stackTop(0), "return EIP = the new task's first instruction");
            assertEquals(0x8000, m.cpu.dr[6] & 0x8000, "DR6.BT");
        }
    }

    // ------------------------------------------------------------------ exceptions

    /**
     * SDM Vol. 3 17.3.1.1: "For any fault-class exception except a debug exception generated in
     * response to an instruction breakpoint, the value pushed for RF is 1."
     */
    @Test
    void faultPushesEflagsWithRfSet() {
        try (Machine m = new Machine()) {
            m.code(0x0f, 0x0b);                         // ud2 (a fault)
            assertEquals(Fault.UD, m.runToVector());
            assertEquals(Machine.CODE, m.stackTop(0));
            assertEquals(Flags.RF, m.stackTop(2) & Flags.RF, "RF in the pushed EFLAGS of a fault");
            assertEquals(0, m.cpu.getEflags() & Flags.RF, "RF itself is clear in the handler");
        }
    }

    /**
     * SDM Vol. 3 6.8.3 "Masking Exceptions and Interrupts When Switching Stacks": after MOV SS
     * the processor inhibits interrupts, debug exceptions and single-step traps until the
     * boundary after the next instruction. With TF=1, the first #DB comes after the instruction
     * following MOV SS, not after MOV SS.
     */
    @Test
    void movSsInhibitsTheSingleStepTrapUntilAfterTheNextInstruction() {
        try (Machine m = new Machine()) {
            // mov eax,0x10 ; push 0x102 ; popfd (TF=1) ; mov ss,ax ; nop ; nop ; hlt
            m.code(0xb8, 0x10, 0, 0, 0, 0x68, 0x02, 0x01, 0, 0, 0x9d, 0x8e, 0xd0, 0x90, 0x90, 0xf4);
            assertEquals(Fault.DB, m.runToVector());
            assertEquals(Machine.CODE + 14, m.stackTop(0), "trap after the nop that follows mov ss");
        }
    }

    /**
     * SDM Vol. 3 17.2.4/17.2.5 and 17.3.1.1: with DR7.L0 set, R/W0=00 and LEN0=00, an instruction
     * breakpoint at DR0 raises #DB as a fault (EIP = the breakpoint address, the instruction has
     * not executed) and sets DR6.B0. jvisor accepts DR0-DR7 writes but never raises breakpoints.
     */
    @Test
    void instructionBreakpointInDr0RaisesDebugFault() {
        try (Machine m = new Machine()) {
            m.cpu.dr[0] = Machine.CODE + 5;
            m.cpu.dr[7] = 0x401;                        // L0, execute, 1 byte
            // mov eax,1 ; mov ebx,2 (breakpoint) ; hlt
            m.code(0xb8, 1, 0, 0, 0, 0xbb, 2, 0, 0, 0, 0xf4);
            assertEquals(Fault.DB, m.runToVector(), "instruction breakpoint");
            assertEquals(Machine.CODE + 5, m.stackTop(0), "a fault: EIP is the breakpoint address");
            assertEquals(0, m.cpu.r[Cpu.EBX], "the instruction did not execute");
            assertEquals(1, m.cpu.dr[6] & 1, "DR6.B0");
        }
    }

    // ------------------------------------------------------------------ paging

    /**
     * SDM Vol. 3 4.10.2.3 / 4.10.4.1: a processor may cache several 4-KByte TLB entries for a
     * large page, but "the INVLPG instruction ... invalidate[s] all TLB entries corresponding to
     * the translation specified by the paging structures": INVLPG of any address in a 4-MByte
     * page drops the translation of the whole page.
     */
    @Test
    void invlpgOfA4MbytePageDropsTheWholeLargePage() {
        try (Machine m = new Machine(16L << 20)) {
            int pd = 0x100000;
            m.mem.write32(pd, 0x000083);                // 0-4M -> 0 (4 MiB, RW, supervisor)
            m.mem.write32(pd + 4, 0x400083);            // 4M-8M -> 4M
            m.mem.write32(0x401000, 0x11111111);
            m.mem.write32(0x801000, 0x22222222);
            m.cpu.writeCr(4, Cpu.CR4_PSE);
            m.cpu.writeCr(3, pd);
            m.cpu.writeCr(0, m.cpu.cr0 | Cpu.CR0_PG);
            m.code(0xa1, 0x00, 0x10, 0x40, 0x00,                            // mov eax,[0x401000]
                    0xc7, 0x05, 0x04, 0x00, 0x10, 0x00, 0x83, 0x00, 0x80, 0x00, // mov dword [pd+4],0x800083
                    0x0f, 0x01, 0x3d, 0x00, 0x00, 0x40, 0x00,                // invlpg [0x400000]
                    0x8b, 0x1d, 0x00, 0x10, 0x40, 0x00,                      // mov ebx,[0x401000]
                    0xf4);
            assertEquals(ExecutionEngine.Exit.HALTED, m.run(1000));
            assertEquals(0x800083, m.mem.read32(pd + 4) & ~0x60, "the guest rewrote the PDE");
            assertEquals(0x11111111, m.cpu.r[Cpu.EAX]);
            assertEquals(0x22222222, m.cpu.r[Cpu.EBX], "the read after INVLPG uses the new 4 MiB mapping");
        }
    }

    /**
     * SDM Vol. 3 4.4.1: "If PAE paging would be in use following an execution of MOV to CR0 or
     * MOV to CR4 and the instruction is modifying any of CR0.CD, CR0.NW, CR0.PG, CR4.PAE,
     * CR4.PGE, CR4.PSE ...; then the PDPTEs are loaded from the address in CR3."
     */
    @Test
    void movToCr4TogglingPgeReloadsThePaePdptes() {
        try (Machine m = new Machine(16L << 20)) {
            int pdpt = 0x100000, pdA = 0x101000, pdB = 0x102000;
            m.mem.write64(pdpt, pdA | 1);
            m.mem.write64(pdA, 0x000083);               // 0-2M -> 0
            m.mem.write64(pdA + 8, 0x200083);           // 2M-4M -> 2M
            m.mem.write64(pdB, 0x000083);
            m.mem.write64(pdB + 8, 0x600083);           // 2M-4M -> 6M
            m.mem.write32(0x201000, 0x11111111);
            m.mem.write32(0x601000, 0x22222222);
            m.cpu.writeCr(4, Cpu.CR4_PAE);
            m.cpu.writeCr(3, pdpt);
            m.cpu.writeCr(0, m.cpu.cr0 | Cpu.CR0_PG);
            assertEquals(0x11111111, m.cpu.read32(Cpu.DS, 0x201000));
            m.mem.write64(pdpt, pdB | 1);               // a new PDPTE in memory ...
            m.cpu.writeCr(4, Cpu.CR4_PAE | Cpu.CR4_PGE); // ... is loaded by a MOV to CR4 that changes PGE
            assertEquals(0x22222222, m.cpu.read32(Cpu.DS, 0x201000));
        }
    }

    // ------------------------------------------------------------------ regression tests (pass today)

    /** 16-bit call gate from ring 3 with two word parameters: the inner frame is all words (SDM 5.8.5, figure 5-13). */
    @Test
    void callGate16FromRing3CopiesWordParameters() {
        try (Machine m = new Machine()) {
            // gate 0x30 -> 0x08:0x8000, 16-bit (type 4), DPL 3, 2 word parameters
            m.mem.write32(Machine.GDT + 6 * 8, 0x8000 | (0x08 << 16));
            m.mem.write32(Machine.GDT + 6 * 8 + 4, 0x8000 | (3 << 13) | (0x4 << 8) | 2);
            m.cpu.gdtLimit = 7 * 8 - 1;
            put(m, 0x8000, 0xf4);                       // hlt (ring 0)
            m.enterRing(3);
            // push word 0x1111 ; push word 0x2222 ; call 0x33:0
            m.code(0x66, 0x6a, 0x11, 0x66, 0x68, 0x22, 0x22, 0x9a, 0, 0, 0, 0, 0x33, 0x00);
            assertEquals(ExecutionEngine.Exit.HALTED, m.run(1000));
            assertEquals(0, m.cpu.cpl);
            int sp = m.cpu.r[Cpu.ESP];
            assertEquals(Machine.STACK0 - 12, sp);
            assertEquals((Machine.CODE + 14) & 0xffff, m.mem.read16(sp), "16-bit IP");
            assertEquals(0x1b, m.mem.read16(sp + 2));
            assertEquals(0x2222, m.mem.read16(sp + 4));
            assertEquals(0x0011, m.mem.read16(sp + 6));
            assertEquals((Machine.STACK3 - 4) & 0xffff, m.mem.read16(sp + 8));
            assertEquals(0x23, m.mem.read16(sp + 10));
        }
    }

    /** CALL to a TSS then IRET back: back link, NT, busy bits (SDM 7.4, table 7-2). */
    @Test
    void callTaskThenIretReturns() {
        try (Machine m = new Machine()) {
            secondTask(m, 0x89, Machine.DATA);
            put(m, Machine.DATA, 0xcf);                 // new task: iretd
            m.descriptor(5, Machine.TSS, 0x67, 0x8b, 0); // the running task's TSS is busy (as after LTR)
            m.code(0x9a, 0, 0, 0, 0, 0x30, 0x00, 0xf4); // call 0x30:0 ; hlt
            assertEquals(ExecutionEngine.Exit.HALTED, m.run(1000));
            assertEquals(-1, m.vectorTaken(), "no exception");
            assertEquals(0x28, m.cpu.segSel[Cpu.TR]);
            assertEquals(Machine.CODE + 8, m.cpu.eip);
            assertEquals(0x28, m.mem.read16(TSS2), "back link");
            assertEquals(0x89, m.mem.read8(Machine.GDT + 6 * 8 + 5), "called task not busy after IRET");
            assertEquals(0x8b, m.mem.read8(Machine.GDT + 5 * 8 + 5));
            assertEquals(0, m.cpu.getEflags() & Flags.NT);
            assertEquals(0, m.mem.read32(TSS2 + 0x24) & Flags.NT, "IRET clears NT in the saved image");
        }
    }

    /** SYSENTER/SYSEXIT round trip (SDM Vol. 2 SYSENTER, SYSEXIT). */
    @Test
    void sysenterSysexitRoundTrip() {
        try (Machine m = new Machine()) {
            m.cpu.sysenterCs = 0x08;
            m.cpu.sysenterEsp = 0x8800;
            m.cpu.sysenterEip = Machine.DATA;
            // ring 0: mov edx,CODE+2 ; mov ecx,0x9000 ; sysexit (to CS = 0x08+16|3 = 0x1b, SS = 0x23)
            put(m, Machine.DATA, 0xba, (Machine.CODE + 2) & 0xff, ((Machine.CODE + 2) >> 8) & 0xff, 1, 0,
                    0xb9, 0x00, 0x90, 0, 0, 0x0f, 0x35);
            m.enterRing(3);
            m.code(0x0f, 0x34, 0x0f, 0x0b);            // sysenter ; ud2
            assertEquals(Fault.UD, m.runToVector());
            assertEquals(Machine.CODE + 2, m.stackTop(0));
            assertEquals(0x1b, m.stackTop(1));
            assertEquals(0x9000, m.stackTop(3));
            assertEquals(0x23, m.stackTop(4));
        }
    }
}
