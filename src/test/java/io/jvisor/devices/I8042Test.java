package io.jvisor.devices;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class I8042Test {
    static final class RecordingIrq implements IrqLine {
        boolean high;
        int rises;

        @Override
        public void set(boolean level) {
            if (level && !high) {
                rises++;
            }
            high = level;
        }
    }

    RecordingIrq irq1;
    RecordingIrq irq12;
    AtomicInteger resets;
    List<Integer> a20;
    I8042 kbc;

    @BeforeEach
    void setUp() {
        irq1 = new RecordingIrq();
        irq12 = new RecordingIrq();
        resets = new AtomicInteger();
        a20 = new ArrayList<>();
        kbc = new I8042(irq1, irq12, resets::incrementAndGet, a20::add);
    }

    int status() {
        return kbc.in(0x64, 1);
    }

    int read() {
        return kbc.in(0x60, 1);
    }

    void cmd(int c) {
        kbc.out(0x64, 1, c);
    }

    void data(int v) {
        kbc.out(0x60, 1, v);
    }

    /** Like Linux's __i8042_command: command, parameters to 0x60, then {@code replies} bytes read. */
    int[] command(int c, int replies, int... params) {
        assertEquals(0, status() & I8042.STR_IBF);
        cmd(c);
        for (int p : params) {
            assertEquals(0, status() & I8042.STR_IBF);
            data(p);
        }
        int[] r = new int[replies];
        for (int i = 0; i < replies; i++) {
            assertEquals(I8042.STR_OBF, status() & I8042.STR_OBF, "reply " + i + " to command 0x" + Integer.toHexString(c));
            r[i] = read();
        }
        return r;
    }

    /** Sends bytes to the keyboard, reading the answers after each as a driver would. */
    List<Integer> kbd(int... bytes) {
        List<Integer> got = new ArrayList<>();
        for (int b : bytes) {
            data(b);
            got.addAll(drain());
        }
        return got;
    }

    /** Sends bytes to the mouse (each through 0xd4), reading the answers after each. */
    List<Integer> aux(int... bytes) {
        List<Integer> got = new ArrayList<>();
        for (int b : bytes) {
            cmd(0xd4);
            data(b);
            got.addAll(drain());
        }
        return got;
    }

    List<Integer> drain() {
        List<Integer> got = new ArrayList<>();
        while ((status() & I8042.STR_OBF) != 0) {
            got.add(read());
            assertTrue(got.size() < 1000);
        }
        return got;
    }

    // ---------------------------------------------------------------- controller

    @Test
    void powerOnState() {
        assertEquals(I8042.STR_UNLOCKED | I8042.STR_SYS, status());
        assertEquals(0x65, command(0x20, 1)[0]);
        assertEquals(0xcf, command(0xd0, 1)[0]);
        assertTrue(kbc.a20Enabled());
        assertTrue(a20.isEmpty(), "no callback without a change");
        assertFalse(irq1.high);
        assertFalse(irq12.high);
    }

    @Test
    void linuxI8042ProbeSequence() {
        // i8042_controller_check: flush finds nothing
        assertEquals(List.of(), drain());
        // i8042_controller_selftest
        assertEquals(0x55, command(0xaa, 1)[0]);
        // i8042_controller_init: two identical CTR reads, then write it back changed
        int ctr1 = command(0x20, 1)[0];
        int ctr2 = command(0x20, 1)[0];
        assertEquals(ctr1, ctr2);
        assertEquals(I8042.STR_UNLOCKED, status() & I8042.STR_UNLOCKED, "no keylock");
        int ctr = (ctr1 | I8042.CTR_KBDDIS) & ~I8042.CTR_KBDINT;
        command(0x60, 0, ctr);
        assertEquals(ctr, command(0x20, 1)[0]);
        assertEquals(List.of(), drain());
        // i8042_check_mux: the third loop byte must come back changed for a mux; ours is plain
        for (int b : new int[] {0xf0, 0x56, 0xa4}) {
            cmd(0xd3);
            data(b);
            assertEquals(I8042.STR_OBF | I8042.STR_AUXDATA, status() & 0x21, "AUX_LOOP data is aux data");
            assertEquals(b, read());
        }
        // i8042_check_aux: loop test, then the AUXDIS bit follows 0xa7/0xa8
        assertEquals(0x5a, command(0xd3, 1, 0x5a)[0]);
        command(0xa7, 0);
        assertEquals(I8042.CTR_AUXDIS, command(0x20, 1)[0] & I8042.CTR_AUXDIS);
        command(0xa8, 0);
        assertEquals(0, command(0x20, 1)[0] & I8042.CTR_AUXDIS);
        // AUX IRQ delivery test: enable aux interrupt, loop 0xa5, expect IRQ 12 with aux data
        ctr = command(0x20, 1)[0];
        command(0x60, 0, (ctr | I8042.CTR_AUXINT) & ~I8042.CTR_AUXDIS);
        cmd(0xd3);
        data(0xa5);
        assertTrue(irq12.high);
        assertFalse(irq1.high);
        assertEquals(I8042.STR_OBF | I8042.STR_AUXDATA, status() & 0x21);
        assertEquals(0xa5, read());
        assertFalse(irq12.high);
        // interface tests
        assertEquals(0x00, command(0xab, 1)[0]);
        assertEquals(0x00, command(0xa9, 1)[0]);
        // i8042_enable_kbd_port
        ctr = command(0x20, 1)[0];
        command(0x60, 0, (ctr | I8042.CTR_KBDINT) & ~I8042.CTR_KBDDIS);
        // atkbd_probe and activation, as interrupts would deliver the bytes
        assertEquals(List.of(0xfa, 0xaa), kbd(0xff));
        assertEquals(List.of(0xfa, 0xab, 0x41), kbd(0xf2), "translated ID: 0x83 becomes 0x41");
        assertEquals(List.of(0xfa), kbd(0xf5));
        assertEquals(List.of(0xfa, 0xfa), kbd(0xed, 0x00));
        assertEquals(List.of(0xfa, 0xfa), kbd(0xf3, 0x2b));
        assertEquals(List.of(0xfa), kbd(0xf4));
        // psmouse: reset and ID
        assertEquals(List.of(0xfa, 0xaa, 0x00), aux(0xff));
        assertEquals(List.of(0xfa, 0x00), aux(0xf2));
        assertEquals(List.of(0xfa), aux(0xf4));
    }

    @Test
    void untranslatedKeyboardIdAndScanSet() {
        command(0x60, 0, 0x01);
        assertEquals(List.of(0xfa, 0xab, 0x83), kbd(0xf2));
        assertEquals(List.of(0xfa, 0xfa, 0x02), kbd(0xf0, 0x00));
        assertEquals(List.of(0xfa, 0xfa), kbd(0xf0, 0x03));
        assertEquals(3, kbc.scancodeSet());
        assertEquals(List.of(0xfa, 0xfa, 0x03), kbd(0xf0, 0x00));
        assertEquals(List.of(0xfa, 0xfe), kbd(0xf0, 0x07), "no set 7");
        assertEquals(List.of(0xfa, 0xaa), kbd(0xff));
        assertEquals(2, kbc.scancodeSet(), "reset goes back to set 2");
    }

    @Test
    void statusCommandDataBit() {
        cmd(0xae);
        assertEquals(I8042.STR_CMD, status() & I8042.STR_CMD);
        data(0xee);
        assertEquals(0, status() & I8042.STR_CMD);
        assertEquals(0xee, read(), "echo");
    }

    @Test
    void selfTestSetsSystemFlag() {
        command(0x60, 0, 0x00);
        assertEquals(0, status() & I8042.STR_SYS);
        assertEquals(0x55, command(0xaa, 1)[0]);
        assertEquals(I8042.STR_SYS, status() & I8042.STR_SYS);
    }

    @Test
    void internalRamReadWrite() {
        command(0x61, 0, 0x42);
        command(0x7f, 0, 0x99);
        assertEquals(0x42, command(0x21, 1)[0]);
        assertEquals(0x99, command(0x3f, 1)[0]);
        assertEquals(0x65, command(0x20, 1)[0], "command byte untouched");
    }

    @Test
    void miscControllerReplies() {
        assertEquals(0xf1, command(0xa4, 1)[0]);
        assertEquals(I8042.INPUT_PORT, command(0xc0, 1)[0]);
        assertEquals(0x00, command(0xe0, 1)[0]);
        cmd(0xa1); // unsupported: nothing
        assertEquals(0, status() & I8042.STR_OBF);
    }

    @Test
    void readingEmptyBufferRepeatsLastByte() {
        assertEquals(0x55, command(0xaa, 1)[0]);
        assertEquals(0, status() & 1);
        assertEquals(0x55, read());
    }

    @Test
    void pulseResetLine() {
        cmd(0xff);
        assertEquals(0, resets.get(), "0xff pulses nothing");
        cmd(0xfe);
        assertEquals(1, resets.get());
        cmd(0xfd); // pulses bit 1 only
        assertEquals(1, resets.get());
    }

    @Test
    void outputPortWriteDrivesA20AndReset() {
        command(0xd1, 0, 0xcd); // A20 off
        assertEquals(List.of(0), a20);
        assertFalse(kbc.a20Enabled());
        assertEquals(0xcd, command(0xd0, 1)[0]);
        command(0xd1, 0, 0xdf); // A20 on (the classic bootloader value)
        assertEquals(List.of(0, 1), a20);
        assertEquals(0, resets.get());
        command(0xd1, 0, 0xde); // bit 0 clear: reset
        assertEquals(1, resets.get());
        assertEquals(List.of(0, 1), a20);
    }

    @Test
    void outputPortShowsBufferFullBits() {
        command(0x60, 0, 0x00);
        cmd(0xd2);
        data(0x11);
        cmd(0xd0); // the reply waits behind the byte already in the buffer
        assertEquals(0x11, read());
        assertEquals(0xcf | I8042.OUT_KBD_OBF, read());
    }

    @Test
    void a20Commands() {
        cmd(0xdd);
        assertEquals(List.of(0), a20);
        cmd(0xdd);
        assertEquals(List.of(0), a20, "only changes are reported");
        cmd(0xdf);
        assertEquals(List.of(0, 1), a20);
    }

    @Test
    void writeOutputBufferCommands() {
        command(0x60, 0, I8042.CTR_KBDINT | I8042.CTR_AUXINT | I8042.CTR_XLATE);
        cmd(0xd2);
        data(0x1c);
        assertTrue(irq1.high);
        assertEquals(I8042.STR_OBF, status() & 0x21);
        assertEquals(0x1c, read(), "0xd2 data is not translated");
        assertFalse(irq1.high);
        cmd(0xd3);
        data(0x77);
        assertTrue(irq12.high);
        assertFalse(irq1.high);
        assertEquals(0x21, status() & 0x21);
        assertEquals(0x77, read());
        assertFalse(irq12.high);
    }

    @Test
    void interruptsFollowCommandByte() {
        command(0x60, 0, 0x00);
        kbc.keyboardInput((byte) 0x1c);
        kbc.advance(0);
        assertEquals(1, status() & 1);
        assertFalse(irq1.high, "KBDINT clear");
        command(0x60, 0, I8042.CTR_KBDINT);
        assertTrue(irq1.high, "enabling the interrupt with data waiting raises it");
        assertEquals(0x1c, read());
        assertFalse(irq1.high);
    }

    @Test
    void everyByteGetsItsOwnEdge() {
        command(0x60, 0, I8042.CTR_KBDINT);
        int before = irq1.rises;
        assertEquals(List.of(0xfa, 0xab, 0x83), kbd(0xf2));
        assertEquals(before + 3, irq1.rises);
        assertFalse(irq1.high);
    }

    @Test
    void disabledKeyboardPortHoldsInput() {
        cmd(0xad);
        kbc.keyboardInput((byte) 0x1c, (byte) 0xf0, (byte) 0x1c);
        kbc.advance(0);
        assertFalse(kbc.inputPending());
        assertEquals(0, status() & 1);
        cmd(0xae);
        assertEquals(List.of(0x1e, 0x9e), drain(), "translated make and break of A");
    }

    @Test
    void writingToKeyboardReenablesItsPort() {
        cmd(0xad);
        assertEquals(I8042.CTR_KBDDIS, command(0x20, 1)[0] & I8042.CTR_KBDDIS);
        assertEquals(List.of(0xfa), kbd(0xf4));
        assertEquals(0, command(0x20, 1)[0] & I8042.CTR_KBDDIS);
    }

    @Test
    void translationOfMakeBreakAndExtendedCodes() {
        // A, then Up arrow (E0 75), then F7 (0x83), released
        kbc.keyboardInput((byte) 0x1c, (byte) 0xf0, (byte) 0x1c,
                (byte) 0xe0, (byte) 0x75, (byte) 0xe0, (byte) 0xf0, (byte) 0x75,
                (byte) 0x83, (byte) 0xf0, (byte) 0x83);
        kbc.advance(0);
        assertEquals(List.of(0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8, 0x41, 0xc1), drain());
    }

    @Test
    void noTranslationWhenBitClear() {
        command(0x60, 0, 0x00);
        kbc.keyboardInput((byte) 0x1c, (byte) 0xf0, (byte) 0x1c);
        kbc.advance(0);
        assertEquals(List.of(0x1c, 0xf0, 0x1c), drain());
    }

    @Test
    void translationTableCoversTheMainBlock() {
        // "qwertyuiop" in set 2 and set 1
        int[] set2 = {0x15, 0x1d, 0x24, 0x2d, 0x2c, 0x35, 0x3c, 0x43, 0x44, 0x4d};
        for (int i = 0; i < set2.length; i++) {
            assertEquals(0x10 + i, I8042.translate(set2[i]));
        }
        // "asdfghjkl"
        int[] home = {0x1c, 0x1b, 0x23, 0x2b, 0x34, 0x33, 0x3b, 0x42, 0x4b};
        for (int i = 0; i < home.length; i++) {
            assertEquals(0x1e + i, I8042.translate(home[i]));
        }
        // "zxcvbnm"
        int[] bottom = {0x1a, 0x22, 0x21, 0x2a, 0x32, 0x31, 0x3a};
        for (int i = 0; i < bottom.length; i++) {
            assertEquals(0x2c + i, I8042.translate(bottom[i]));
        }
        // digits 1-0
        int[] digits = {0x16, 0x1e, 0x26, 0x25, 0x2e, 0x36, 0x3d, 0x3e, 0x46, 0x45};
        for (int i = 0; i < digits.length; i++) {
            assertEquals(0x02 + i, I8042.translate(digits[i]));
        }
        // F1-F10 are 0x3b-0x44 in set 1
        int[] fkeys = {0x05, 0x06, 0x04, 0x0c, 0x03, 0x0b, 0x83, 0x0a, 0x01, 0x09};
        for (int i = 0; i < fkeys.length; i++) {
            assertEquals(0x3b + i, I8042.translate(fkeys[i]));
        }
        assertEquals(0x01, I8042.translate(0x76), "Esc");
        assertEquals(0x1c, I8042.translate(0x5a), "Enter");
        assertEquals(0x39, I8042.translate(0x29), "Space");
        assertEquals(0xfa, I8042.translate(0xfa), "replies pass");
        assertEquals(0xe0, I8042.translate(0xe0));
        // distinct set 2 keys never collide in set 1
        boolean[] seen = new boolean[256];
        int assigned = 0;
        for (int c = 0; c < 0x80; c++) {
            int t = I8042.translate(c);
            if (t != c) {
                assertFalse(seen[t], "set 1 code 0x" + Integer.toHexString(t) + " twice");
                seen[t] = true;
                assigned++;
            }
        }
        assertTrue(assigned >= 80);
    }

    @Test
    void keysDroppedWhileScanningDisabled() {
        assertEquals(List.of(0xfa), kbd(0xf5));
        kbc.keyboardInput((byte) 0x1c);
        kbc.advance(0);
        assertEquals(List.of(), drain());
        assertFalse(kbc.keyboardScanning());
        assertEquals(List.of(0xfa), kbd(0xf4));
        kbc.keyboardInput((byte) 0x32);
        kbc.advance(0);
        assertEquals(List.of(0x30), drain());
    }

    @Test
    void ledsAndTypematic() {
        assertEquals(List.of(0xfa, 0xfa), kbd(0xed, 0x07));
        assertEquals(7, kbc.leds());
        assertEquals(List.of(0xfa, 0xfa), kbd(0xed, 0x02));
        assertEquals(2, kbc.leds());
        assertEquals(List.of(0xfa, 0xfa), kbd(0xf3, 0x00));
    }

    @Test
    void commandWhileWaitingForParameterStartsOver() {
        data(0xed);
        assertEquals(List.of(0xfa), drain());
        assertEquals(List.of(0xfa, 0xab, 0x41), kbd(0xf2), "0xf2 is a command, not an LED byte");
        assertEquals(List.of(0xfe), kbd(0x01), "with nothing waiting for it, 0x01 is an unknown command");
    }

    @Test
    void unknownKeyboardCommandAndResend() {
        assertEquals(List.of(0xfe), kbd(0xef));
        data(0xf2);
        assertEquals(0xfa, read());
        assertEquals(0xab, read());
        assertEquals(0x41, read());
        assertEquals(List.of(0x41), kbd(0xfe), "resend repeats the last byte (translated)");
    }

    @Test
    void newCommandDropsUnreadReplies() {
        command(0x60, 0, 0x00);
        data(0xf2);
        assertEquals(0xfa, read());
        // 0xab 0x83 not read yet: the first is in the buffer, the next still in the keyboard
        data(0xf4);
        assertEquals(List.of(0xab, 0xfa), drain());
    }

    // ---------------------------------------------------------------- mouse

    @Test
    void mouseStreamPackets() {
        command(0x60, 0, I8042.CTR_KBDINT | I8042.CTR_AUXINT | I8042.CTR_XLATE);
        assertEquals(List.of(0xfa), aux(0xf4));
        assertTrue(kbc.mouseReporting());
        kbc.mouseInput(5, -3, 1);
        kbc.advance(0);
        assertTrue(irq12.high);
        assertEquals(List.of(0x08 | 0x01 | 0x20, 5, 0xfd), drain());
        kbc.mouseInput(-300, 10, 4);
        kbc.advance(0);
        assertEquals(List.of(0x08 | 0x04 | 0x10, 0x01, 10, 0x08 | 0x04 | 0x10, 0xd3, 0), drain(),
                "split into -255 and -45");
    }

    @Test
    void mouseMovementDroppedUnlessReporting() {
        kbc.mouseInput(1, 1, 0);
        command(0x60, 0, I8042.CTR_AUXINT);
        kbc.advance(0);
        assertEquals(List.of(), drain());
        assertEquals(List.of(0xfa), aux(0xf0)); // remote mode
        assertEquals(List.of(0xfa), aux(0xf4));
        kbc.mouseInput(1, 1, 2);
        kbc.advance(0);
        assertEquals(List.of(), drain(), "remote mode sends nothing on its own");
        assertEquals(List.of(0xfa, 0x08 | 0x02, 0, 0), aux(0xeb), "read data gives buttons");
    }

    @Test
    void mouseStatusRequest() {
        command(0x60, 0, 0x00);
        assertEquals(List.of(0xfa, 0xfa, 0xfa, 0xfa), aux(0xe8, 0x03, 0xf3, 0x28));
        assertEquals(List.of(0xfa), aux(0xe7));
        assertEquals(List.of(0xfa), aux(0xf4));
        assertEquals(List.of(0xfa, 0x30, 0x03, 0x28), aux(0xe9));
        assertEquals(List.of(0xfa), aux(0xf6));
        assertEquals(List.of(0xfa, 0x00, 0x02, 100), aux(0xe9), "defaults");
    }

    @Test
    void mouseWrapModeEchoes() {
        assertEquals(List.of(0xfa), aux(0xee));
        assertEquals(List.of(0x12, 0xf2), aux(0x12, 0xf2));
        assertEquals(List.of(0xfa), aux(0xec));
        assertEquals(List.of(0xfa, 0x00), aux(0xf2));
    }

    @Test
    void mouseUnknownCommand() {
        assertEquals(List.of(0xfe), aux(0x00));
        assertEquals(List.of(0xfe), aux(0xfe), "resend repeats it");
    }

    @Test
    void mouseScaling21() {
        command(0x60, 0, 0x00);
        aux(0xe7);
        aux(0xf4);
        kbc.mouseInput(4, -5, 0);
        kbc.advance(0);
        assertEquals(List.of(0x08 | 0x20, 6, 0xf7), drain());
    }

    @Test
    void keyboardAndMouseTakeTurns() {
        command(0x60, 0, 0x00);
        aux(0xf4);
        kbc.keyboardInput((byte) 0x1c, (byte) 0x32);
        kbc.mouseInput(1, 1, 0);
        kbc.advance(0);
        List<Integer> sources = new ArrayList<>();
        while ((status() & 1) != 0) {
            sources.add(status() & I8042.STR_AUXDATA);
            read();
        }
        assertEquals(List.of(0, 0x20, 0, 0x20, 0x20), sources);
    }

    // ---------------------------------------------------------------- host side

    @Test
    void inputListenerPendingAndDeadline() throws InterruptedException {
        AtomicInteger wakes = new AtomicInteger();
        kbc.setInputListener(wakes::incrementAndGet);
        assertFalse(kbc.inputPending());
        assertEquals(Long.MAX_VALUE, kbc.nextDeadline());
        Thread t = new Thread(() -> kbc.keyboardInput((byte) 0x1c));
        t.start();
        t.join();
        assertEquals(1, wakes.get());
        assertTrue(kbc.inputPending());
        assertEquals(Long.MIN_VALUE, kbc.nextDeadline());
        kbc.advance(123);
        assertTrue(irq1.high);
        assertFalse(kbc.inputPending());
        assertEquals(0x1e, read());
    }

    @Test
    void statusReadPullsInput() {
        kbc.keyboardInput((byte) 0x1c);
        assertEquals(1, status() & 1, "a polling guest sees keys without advance()");
    }

    // ---------------------------------------------------------------- reset, snapshots

    @Test
    void resetRestoresPowerOnState() {
        command(0x60, 0, 0x00);
        command(0xd1, 0, 0xcd);
        kbd(0xf5, 0xed, 0x04);
        kbc.reset();
        assertEquals(List.of(0, 1), a20);
        assertEquals(0x65, command(0x20, 1)[0]);
        assertTrue(kbc.keyboardScanning());
        assertEquals(0, kbc.leds());
    }

    @Test
    void stateRoundTrip() {
        command(0x60, 0, 0x47);
        kbd(0xed, 0x05);
        aux(0xf3, 0x50, 0xe8, 0x01, 0xf4);
        command(0xd1, 0, 0xcd);
        data(0xf2); // leave replies in flight
        I8042.State s = kbc.state();

        RecordingIrq k = new RecordingIrq();
        RecordingIrq a = new RecordingIrq();
        List<Integer> a20b = new ArrayList<>();
        I8042 copy = new I8042(k, a, () -> { }, a20b::add);
        copy.restore(s);
        assertEquals(s, copy.state());
        assertEquals(List.of(0), a20b);
        assertEquals(irq1.high, k.high);
        assertEquals(irq12.high, a.high);
        List<Integer> rest = drain();
        List<Integer> restCopy = new ArrayList<>();
        while ((copy.in(0x64, 1) & 1) != 0) {
            restCopy.add(copy.in(0x60, 1));
        }
        assertEquals(rest, restCopy);
        assertEquals(List.of(0xfa, 0xab, 0x41), rest);
        assertEquals(5, copy.leds());
    }

    // ---------------------------------------------------------------- port 0x92

    @Test
    void portA92FastA20AndReset() {
        AtomicInteger r = new AtomicInteger();
        List<Integer> gate = new ArrayList<>();
        PortA92 p = new PortA92(r::incrementAndGet, gate::add);
        assertEquals(0, p.in(0x92, 1));
        p.out(0x92, 1, 0x02);
        assertEquals(List.of(1), gate);
        assertTrue(p.a20Enabled());
        assertEquals(0x02, p.in(0x92, 1));
        p.out(0x92, 1, 0x02);
        assertEquals(List.of(1), gate, "no change, no callback");
        assertEquals(0, r.get());
        p.out(0x92, 1, 0x03);
        assertEquals(1, r.get());
        p.out(0x92, 1, 0x03);
        assertEquals(1, r.get(), "reset on the rising edge only");
        p.out(0x92, 1, 0x00);
        assertEquals(List.of(1, 0), gate);
        p.out(0x92, 1, 0xc9);
        assertEquals(2, r.get());
        assertEquals(0xc9, p.in(0x92, 1));
        PortA92.State s = p.state();
        p.reset();
        assertEquals(0, p.in(0x92, 1));
        p.restore(s);
        assertEquals(0xc9, p.in(0x92, 1));
        assertEquals(2, r.get(), "restore never resets");
    }
}
