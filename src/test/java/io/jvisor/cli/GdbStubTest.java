package io.jvisor.cli;

import io.jvisor.vm.VmConfig;
import io.jvisor.vm.VmExitStatus;
import io.jvisor.vm.VmSupervisor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The gdb stub's protocol, driven packet by packet: what Debian's gdb does in
 * FrontEndProcessTest, plus Ctrl-C, detach, register writes and physical memory mode.
 */
class GdbStubTest {
    static Path echo;

    @BeforeAll
    static void guest() throws Exception {
        assumeTrue(JvisorProcess.haveTool("nasm") && JvisorProcess.haveTool("ld"), "nasm and ld build the guest");
        echo = JvisorProcess.guest("echo");
    }

    @Test
    void interruptInspectWriteAndDetach() throws Exception {
        VmConfig cfg = new VmConfig(16L << 20, echo, List.of(), "", null, null, false);
        VmSupervisor sup = new VmSupervisor(cfg, new ByteArrayOutputStream(), m -> { }, new VmSupervisor.Listener() { });
        try (GdbStub stub = new GdbStub(sup, 0)) {
            CompletableFuture<VmExitStatus> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return sup.run();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), stub.port())) {
                GdbConnection gdb = new GdbConnection(s.getInputStream(), s.getOutputStream());
                gdb.packet("qSupported:swbreak+");
                assertTrue(gdb.read().contains("swbreak+"));
                gdb.packet("?");
                assertEquals("T05", gdb.read());   // attaching stops the VM
                gdb.packet("c");
                Thread.sleep(200);                   // the guest polls COM1 for input
                s.getOutputStream().write(0x03);    // Ctrl-C
                s.getOutputStream().flush();
                assertEquals("T02", gdb.read());
                gdb.packet("g");
                String regs = gdb.read();
                assertEquals(16 * 8, regs.length(), regs);
                int eip = Integer.reverseBytes(Integer.parseUnsignedInt(regs.substring(64, 72), 16));
                assertTrue(eip >= 0x100000 && eip < 0x101000, "in the guest's code: " + Integer.toHexString(eip));
                gdb.packet("P0=78563412");           // eax = 0x12345678
                assertEquals("OK", gdb.read());
                gdb.packet("p0");
                assertEquals("78563412", gdb.read());
                gdb.packet("m100000,4");             // the multiboot magic, linear (paging is off: the same)
                assertEquals("02b0ad1b", gdb.read());
                gdb.packet("Qqemu.PhyMemMode:1");
                assertEquals("OK", gdb.read());
                gdb.packet("qqemu.PhyMemMode");
                assertEquals("1", gdb.read());
                gdb.packet("M200000,2:abcd");        // physical write, read back
                assertEquals("OK", gdb.read());
                gdb.packet("m200000,2");
                assertEquals("abcd", gdb.read());
                gdb.packet("mfff00000,4");           // above RAM: no memory there
                assertEquals("E14", gdb.read());
                gdb.packet("Z0,100026,1");
                assertEquals("OK", gdb.read());
                gdb.packet("D");
                assertEquals("OK", gdb.read());
            }
            // detached: breakpoints gone, the VM runs on by itself; end it as an operator would
            Thread.sleep(200);
            assertTrue(!sup.current().pauseRequested(), "running after detach");
            sup.stop(VmExitStatus.CLEAN, "test over");
            VmExitStatus st = run.get(30, TimeUnit.SECONDS);
            assertEquals(VmExitStatus.CLEAN, st.status(), st.reason());
        }
    }

    @Test
    void portSpellings() {
        assertEquals(1234, GdbStub.parsePort("tcp::1234"));
        assertEquals(4321, GdbStub.parsePort("tcp:localhost:4321"));
        assertEquals(99, GdbStub.parsePort("99"));
        org.junit.jupiter.api.Assertions.assertThrows(BadInput.class, () -> GdbStub.parsePort("unix:/x"));
        org.junit.jupiter.api.Assertions.assertThrows(BadInput.class, () -> GdbStub.parsePort("tcp::0x10"));
    }
}
