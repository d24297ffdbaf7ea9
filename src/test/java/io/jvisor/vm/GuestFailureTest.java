package io.jvisor.vm;

import io.jvisor.boot.BootException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Guests that fail are reported, never left looping silently: reset loops and kernel panics. */
class GuestFailureTest {
    /** mov al, 6; mov dx, 0xcf9; out dx, al: a hard reset at the reset vector. */
    static final int[] RESET_AT_ONCE = {0xb0, 0x06, 0xba, 0xf9, 0x0c, 0xee, 0xeb, 0xfe};
    /** Prints the NUL-terminated string at F000:E100 on COM1, then spins (jmp $). */
    static final int[] PRINT_AND_SPIN = {
        0x0e, 0x1f,                     // push cs; pop ds
        0xbe, 0x00, 0xe1,               // mov si, 0xe100
        0xba, 0xf8, 0x03,               // mov dx, 0x3f8
        0xac,                           // lodsb
        0x84, 0xc0,                     // test al, al
        0x74, 0x03,                     // jz +3 (to the spin)
        0xee,                           // out dx, al
        0xeb, 0xf8,                     // jmp back to lodsb
        0xeb, 0xfe};                    // jmp $

    static VmSupervisor supervisor(VmConfig cfg, ByteArrayOutputStream console) {
        return new VmSupervisor(cfg, console, m -> { }, new VmSupervisor.Listener() { });
    }

    @Test
    void aGuestThatResetsAgainAndAgainIsStopped(@TempDir Path dir) throws Exception {
        Path rom = PlatformPowerTest.program(dir, "reset.rom", RESET_AT_ONCE);
        VmConfig cfg = new VmConfig(16L << 20, null, List.of(), "", rom, null, false);
        VmExitStatus st = supervisor(cfg, new ByteArrayOutputStream()).run();
        assertEquals(VmExitStatus.RESET_LOOP, st.status(), st.reason());
        assertTrue(st.reason().contains("reset " + VmSupervisor.RESET_LOOP_COUNT + " times in a row"), st.reason());
    }

    @Test
    void aLinuxPanicLineOnTheConsoleEndsTheVmWithThePanicStatus(@TempDir Path dir) throws Exception {
        Path rom = romWithMessage(dir, "[    1.234567] Kernel panic - not syncing: VFS: Unable to mount root fs\n");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        VmConfig cfg = new VmConfig(16L << 20, null, List.of(), "", rom, null, false);
        VmExitStatus st = supervisor(cfg, console).run();
        assertEquals(VmExitStatus.PANIC, st.status(), st.reason());
        assertEquals("guest kernel panic: VFS: Unable to mount root fs", st.reason());
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("Kernel panic"), "the line still reaches the console");
    }

    @Test
    void ordinaryConsoleOutputIsNotAPanic(@TempDir Path dir) throws Exception {
        Path rom = romWithMessage(dir, "Kernel: no panic here\n");
        VmConfig cfg = new VmConfig(16L << 20, null, List.of(), "", rom, null, false);
        VmSupervisor sup = supervisor(cfg, new ByteArrayOutputStream());
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(1500);   // longer than the panic grace period
            } catch (InterruptedException ignored) {
                // stop now
            }
            sup.stop(VmExitStatus.CLEAN, "test over");
        });
        VmExitStatus st = sup.run();
        t.join();
        assertEquals(VmExitStatus.CLEAN, st.status(), st.reason());
        assertEquals("test over", st.reason());
    }

    @Test
    void aWriteToThePvpanicPortEndsTheVmWithThePanicStatus(@TempDir Path dir) throws Exception {
        // mov dx, 0x505; mov al, 1; out dx, al; jmp $
        Path rom = PlatformPowerTest.program(dir, "pvpanic.rom", new int[] {0xba, 0x05, 0x05, 0xb0, 0x01, 0xee, 0xeb, 0xfe});
        VmConfig cfg = new VmConfig(16L << 20, null, List.of(), "", rom, null, false).withPvpanic(true);
        VmExitStatus st = supervisor(cfg, new ByteArrayOutputStream()).run();
        assertEquals(VmExitStatus.PANIC, st.status(), st.reason());
        assertTrue(st.reason().contains("pvpanic"), st.reason());
    }

    @Test
    void aRomThatCannotBeReadStopsTheRestartWithBadInput(@TempDir Path dir) throws Exception {
        Path rom = PlatformPowerTest.program(dir, "gone.rom", RESET_AT_ONCE);
        VmConfig cfg = new VmConfig(16L << 20, null, List.of(), "", rom, null, false);
        VmSupervisor sup = new VmSupervisor(cfg, new ByteArrayOutputStream(), m -> { }, new VmSupervisor.Listener() {
            @Override
            public void ended(VirtualMachine vm, VmExitStatus status, long runNanos) {
                try {
                    java.nio.file.Files.delete(rom);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        VmExitStatus st = sup.run();
        assertEquals(VmExitStatus.BAD_INPUT, st.status(), st.reason());
        assertTrue(st.reason().startsWith("cannot restart the VM"), st.reason());
    }

    @Test
    void badInputOnTheFirstBootIsThrownBeforeAnythingRuns(@TempDir Path dir) {
        VmConfig cfg = new VmConfig(16L << 20, null, List.of(), "", dir.resolve("missing.rom"), null, false);
        org.junit.jupiter.api.Assertions.assertThrows(BootException.class,
                () -> supervisor(cfg, new ByteArrayOutputStream()).run());
    }

    private static Path romWithMessage(Path dir, String message) throws Exception {
        Path rom = PlatformPowerTest.program(dir, "msg.rom", PRINT_AND_SPIN);
        byte[] img = java.nio.file.Files.readAllBytes(rom);
        byte[] m = message.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(m, 0, img, 0xe100, m.length);
        img[0xe100 + m.length] = 0;
        java.nio.file.Files.write(rom, img);
        return rom;
    }
}
