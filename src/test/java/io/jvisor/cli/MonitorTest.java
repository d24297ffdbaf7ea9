package io.jvisor.cli;

import io.jvisor.vm.VmConfig;
import io.jvisor.vm.VmExitStatus;
import io.jvisor.vm.VmSupervisor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The monitor's commands on a running VM (in-process; FrontEndProcessTest drives the real process). */
class MonitorTest {
    /**
     * A 64 KiB ROM whose reset vector enables the ACPI power button (PM1_EN.PWRBTN_EN), polls
     * PM1_STS until the button was pressed, then enters S5.
     */
    static Path powerButtonRom(Path dir) throws Exception {
        byte[] img = new byte[0x10000];
        Arrays.fill(img, (byte) 0xf4);
        int[] code = {
            0xba, 0x02, 0x06, 0xb8, 0x00, 0x01, 0xef,     // mov dx, PM1_EN; mov ax, PWRBTN_EN; out dx, ax
            0xba, 0x00, 0x06, 0xed,                       // poll: mov dx, PM1_STS; in ax, dx
            0xa9, 0x00, 0x01, 0x74, 0xf7,                 // test ax, PWRBTN_STS; jz poll
            0xba, 0x04, 0x06, 0xb8, 0x00, 0x34, 0xef,     // mov dx, PM1_CNT; mov ax, S5 | SLP_EN; out dx, ax
            0xeb, 0xfe};                                  // jmp $
        for (int i = 0; i < code.length; i++) {
            img[0xe000 + i] = (byte) code[i];
        }
        int[] jump = {0xea, 0x00, 0xe0, 0x00, 0xf0};      // at the reset vector: jmp f000:e000
        for (int i = 0; i < jump.length; i++) {
            img[0xfff0 + i] = (byte) jump[i];
        }
        Path p = dir.resolve("button.rom");
        Files.write(p, img);
        return p;
    }

    /** Runs the supervisor on a thread of its own (not the common pool, which a stuck VM would block). */
    static CompletableFuture<VmExitStatus> runAsync(VmSupervisor sup) {
        CompletableFuture<VmExitStatus> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                f.complete(sup.run());
            } catch (Exception e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    @Test
    void startPausedThenInspectThenPowerButton(@TempDir Path dir) throws Exception {
        VmConfig cfg = new VmConfig(16L << 20, null, List.of(), "", powerButtonRom(dir), null, false);
        VmSupervisor sup = new VmSupervisor(cfg, new ByteArrayOutputStream(), m -> { }, new VmSupervisor.Listener() { });
        sup.startPaused(true);
        Monitor mon = new Monitor(sup);
        CompletableFuture<VmExitStatus> run = runAsync(sup);
        assertEquals("VM status: paused\n", mon.execute("info status"));
        String regs = mon.execute("info registers");
        assertTrue(regs.contains("EIP=0000fff0"), "-S: nothing ran yet: " + regs);
        assertEquals("0000ffff0: 0xea 0x00 0xe0 0x00\n", mon.execute("xp /4xb 0xffff0"));
        assertEquals("000ffff0: 0x00e000ea\n", mon.execute("x /1xw 0xffff0"));
        assertEquals("0000fe000: 698 -18426\n", mon.execute("xp /2dh 0xfe000"));   // ba 02, 06 b8
        assertEquals("0000fe000: \\xba \\x02 \\x06\n", mon.execute("xp /3c 0xfe000"));
        assertTrue(mon.execute("x /4q 0").contains("not supported"));
        assertTrue(mon.execute("xp 0x12345678").contains("cannot access physical address 12345678"));
        assertEquals("", mon.execute("cont"));
        Thread.sleep(100);
        assertEquals("VM status: running\n", mon.execute("info status"));
        assertTrue(mon.execute("info cpus").startsWith("* CPU #0: pc=0x0000e0"));
        assertEquals("", mon.execute("system_powerdown"));
        VmExitStatus st = run.get(30, TimeUnit.SECONDS);
        assertEquals(VmExitStatus.CLEAN, st.status(), st.reason());
        assertTrue(st.reason().contains("powered off"), st.reason());
    }

    @Test
    void unknownCommandsAndMissingArguments() {
        VmConfig cfg = new VmConfig(16L << 20, null, List.of(), "", Path.of("unused"), null, false);
        Monitor mon = new Monitor(new VmSupervisor(cfg, new ByteArrayOutputStream(), m -> { },
                new VmSupervisor.Listener() { }));
        assertTrue(mon.execute("frobnicate").startsWith("unknown command: 'frobnicate'"));
        assertTrue(mon.execute("help").contains("info registers"));
        assertEquals("", mon.execute("   "));
        assertTrue(mon.execute("x /4x").contains("an address is needed"));
        assertTrue(mon.execute("xp /4x zzz").contains("is not an address"));
    }

    @Test
    void nmiFromTheMonitorReachesAGuestWithInterruptsOff(@TempDir Path dir) throws Exception {
        byte[] img = new byte[0x10000];
        Arrays.fill(img, (byte) 0xf4);
        int[] main = {
            0x31, 0xc0, 0x8e, 0xd8,                         // xor ax, ax; mov ds, ax
            0xc7, 0x06, 0x08, 0x00, 0x00, 0xe1,             // mov word [8], 0xe100: IVT entry 2 (NMI)
            0xc7, 0x06, 0x0a, 0x00, 0x00, 0xf0,             // mov word [10], 0xf000
            0xfa, 0xeb, 0xfe};                              // cli; jmp $
        int[] handler = {0xb0, 0x21, 0xe6, 0xf4, 0xf4};     // mov al, 0x21; out 0xf4, al; hlt
        for (int i = 0; i < main.length; i++) {
            img[0xe000 + i] = (byte) main[i];
        }
        for (int i = 0; i < handler.length; i++) {
            img[0xe100 + i] = (byte) handler[i];
        }
        int[] jump = {0xea, 0x00, 0xe0, 0x00, 0xf0};
        for (int i = 0; i < jump.length; i++) {
            img[0xfff0 + i] = (byte) jump[i];
        }
        Path rom = dir.resolve("nmi.rom");
        Files.write(rom, img);
        VmConfig cfg = new VmConfig(16L << 20, null, List.of(), "", rom, null, true);
        VmSupervisor sup = new VmSupervisor(cfg, new ByteArrayOutputStream(), m -> { }, new VmSupervisor.Listener() { });
        Monitor mon = new Monitor(sup);
        CompletableFuture<VmExitStatus> run = runAsync(sup);
        try {
            String regs = "";
            for (int i = 0; i < 500 && !regs.contains("EIP=0000e011"); i++) {
                Thread.sleep(20);
                regs = mon.execute("info registers");   // until the guest spins in jmp $, its IVT entry set
            }
            assertTrue(regs.contains("EIP=0000e011") && regs.contains("EFLAGS=00000046"),
                    "spinning with IF = 0: " + regs);
            assertEquals("", mon.execute("nmi"));
            VmExitStatus st = run.get(30, TimeUnit.SECONDS);
            assertEquals((0x21 << 1) | 1, st.status(), st.reason());
        } finally {
            sup.stop(VmExitStatus.CLEAN, "test over");
        }
    }
}
