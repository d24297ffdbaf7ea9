package io.jvisor.vm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Power-off and reset the ways a PC guest asks for them, from a tiny ROM at the reset vector. */
class PlatformPowerTest {
    /** A 64 KiB ROM of hlt with {@code code} at F000:FFF0. */
    static Path rom(Path dir, int... code) throws Exception {
        byte[] img = new byte[0x10000];
        Arrays.fill(img, (byte) 0xf4);
        for (int i = 0; i < code.length; i++) {
            img[0xfff0 + i] = (byte) code[i];
        }
        Path p = dir.resolve("rom.bin");
        Files.write(p, img);
        return p;
    }

    /** A 64 KiB ROM: {@code main} at F000:E000 (reached from the reset vector), {@code handler} at F000:FF00. */
    static Path program(Path dir, String name, int[] main, int... handler) throws Exception {
        byte[] img = new byte[0x10000];
        Arrays.fill(img, (byte) 0xf4);
        put(img, 0xff00, handler);
        put(img, 0xe000, main);
        put(img, 0xfff0, 0xea, 0x00, 0xe0, 0x00, 0xf0);                 // jmp f000:e000
        Path p = dir.resolve(name);
        Files.write(p, img);
        return p;
    }

    private static void put(byte[] img, int at, int... bytes) {
        for (int i = 0; i < bytes.length; i++) {
            img[at + i] = (byte) bytes[i];
        }
    }

    static VmExitStatus run(Path rom, boolean noReboot) throws Exception {
        VmConfig cfg = new VmConfig(16L << 20, null, List.of(), "", rom, null, noReboot);
        try (VirtualMachine vm = VirtualMachine.create(cfg, new ByteArrayOutputStream(), m -> { })) {
            return vm.run();
        }
    }

    @Test
    void acpiSleepTypeS5PowersOff(@TempDir Path dir) throws Exception {
        // mov ax, 0x3400 (SLP_TYP 5, SLP_EN) ; mov dx, 0x604 ; out dx, ax
        VmExitStatus st = run(rom(dir, 0xb8, 0x00, 0x34, 0xba, 0x04, 0x06, 0xef), false);
        assertEquals(0, st.status());
        assertFalse(st.reset());
        assertTrue(st.reason().contains("powered off"), st.reason());
    }

    @Test
    void acpiResetRegisterResets(@TempDir Path dir) throws Exception {
        // mov al, 6 ; mov dx, 0xcf9 ; out dx, al
        VmExitStatus st = run(rom(dir, 0xb0, 0x06, 0xba, 0xf9, 0x0c, 0xee), false);
        assertEquals(0, st.status());
        assertTrue(st.reset(), "the caller restarts the VM");
    }

    @Test
    void keyboardControllerPulseResets(@TempDir Path dir) throws Exception {
        // mov al, 0xfe ; out 0x64, al
        VmExitStatus st = run(rom(dir, 0xb0, 0xfe, 0xe6, 0x64), false);
        assertTrue(st.reset());
        VmExitStatus noReboot = run(rom(dir, 0xb0, 0xfe, 0xe6, 0x64), true);
        assertFalse(noReboot.reset(), "--no-reboot: a reset ends the VM");
        assertEquals(0, noReboot.status());
    }

    @Test
    void haltWithInterruptsOffIsReported(@TempDir Path dir) throws Exception {
        VmExitStatus st = run(rom(dir, 0xfa, 0xf4), false);   // cli ; hlt
        assertEquals(VmExitStatus.HUNG, st.status());
        assertTrue(st.reason().contains("interrupts disabled"), st.reason());
    }

    @Test
    void timerInterruptWakesAHaltedCpu(@TempDir Path dir) throws Exception {
        // IVT[8] -> F000:FF00 where the handler exits through port 0xf4 with 0x21;
        // unmask IRQ0, program PIT channel 0 (mode 2), sti ; hlt
        int[] handler = {0xb0, 0x21, 0xe6, 0xf4};                  // mov al,0x21 ; out 0xf4,al
        int[] main = {
            0x31, 0xc0, 0x8e, 0xd8,                                   // xor ax,ax ; mov ds,ax
            0xc7, 0x06, 0x20, 0x00, 0x00, 0xff,                       // mov word [0x20], 0xff00
            0xc7, 0x06, 0x22, 0x00, 0x00, 0xf0,                       // mov word [0x22], 0xf000
            0x8e, 0xd0, 0xbc, 0x00, 0x7c,                             // mov ss,ax ; mov sp,0x7c00
            0xb0, 0xfe, 0xe6, 0x21,                                   // mov al,0xfe ; out 0x21,al (unmask IRQ0)
            0xb0, 0x34, 0xe6, 0x43,                                   // mov al,0x34 ; out 0x43,al (ch0 mode 2)
            0xb0, 0x00, 0xe6, 0x40, 0xb0, 0x10, 0xe6, 0x40,           // count 0x1000
            0xfb, 0xf4,                                               // sti ; hlt
            0xeb, 0xfd};                                              // jmp back to hlt
        Path p = program(dir, "timer.bin", main, handler);
        VmExitStatus st = run(p, true);
        assertEquals((0x21 << 1) | 1, st.status(), st.reason());
    }

    /** With CR0.NE clear, an unmasked x87 exception reaches the guest as IRQ 13 (PC/AT FERR# wiring). */
    @Test
    void x87ErrorRaisesIrq13WhenNeIsClear(@TempDir Path dir) throws Exception {
        int[] handler = {0xb0, 0x13, 0xe6, 0xf4};                  // mov al,0x13 ; out 0xf4,al
        int[] main = {
            0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x7c,     // ds = ss = 0, sp = 0x7c00
            0xc7, 0x06, 0xd4, 0x01, 0x00, 0xff,                       // IVT[0x75] = f000:ff00
            0xc7, 0x06, 0xd6, 0x01, 0x00, 0xf0,
            0xe4, 0xa1, 0x24, 0xdf, 0xe6, 0xa1,                       // unmask IRQ 13 on the slave
            0xdb, 0xe3,                                               // fninit
            0xc7, 0x06, 0x00, 0x05, 0x7b, 0x03,                       // control word: zero-divide unmasked
            0xd9, 0x2e, 0x00, 0x05,                                   // fldcw [0x500]
            0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9,                       // fld1 ; fldz ; fdivp -> #Z pending
            0x9b,                                                     // fwait: FERR#
            0xfb, 0xf4, 0xeb, 0xfd};                                  // sti ; hlt
        Path p = program(dir, "ferr.bin", main, handler);
        VmExitStatus st = run(p, true);
        assertEquals((0x13 << 1) | 1, st.status(), st.reason());
    }

    /** The A20 gate: closed through the i8042 output port, addresses wrap at 1 MiB; port 0x92 opens it again. */
    @Test
    void a20GateWrapsAtOneMegabyte(@TempDir Path dir) throws Exception {
        int[] main = {
            0x31, 0xc0, 0x8e, 0xd8,                                   // ds = 0
            0xb8, 0xff, 0xff, 0x8e, 0xc0,                             // es = 0xffff
            0xb0, 0xd1, 0xe6, 0x64, 0xb0, 0xcd, 0xe6, 0x60,           // i8042: write output port, A20 off
            0xc6, 0x06, 0x00, 0x00, 0x11,                             // mov byte [0], 0x11
            0x26, 0xc6, 0x06, 0x10, 0x00, 0x22,                       // mov byte [es:0x10], 0x22 (linear 1 MiB)
            0xa0, 0x00, 0x00, 0x3c, 0x22, 0x75, 0x15,                 // [0] must now be 0x22, else fail
            0xb0, 0x02, 0xe6, 0x92,                                   // port 0x92: A20 on
            0x26, 0xc6, 0x06, 0x10, 0x00, 0x33,                       // mov byte [es:0x10], 0x33
            0xa0, 0x00, 0x00, 0x3c, 0x22, 0x75, 0x04,                 // [0] must still be 0x22, else fail
            0xb0, 0x00, 0xe6, 0xf4,                                   // pass
            0xb0, 0x01, 0xe6, 0xf4};                                  // fail
        Path p = program(dir, "a20.bin", main);
        VmExitStatus st = run(p, true);
        assertEquals(1, st.status(), st.reason());
    }
}
