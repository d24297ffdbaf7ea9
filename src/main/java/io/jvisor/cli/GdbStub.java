package io.jvisor.cli;

import io.jvisor.cpu.Cpu;
import io.jvisor.vm.VirtualMachine;
import io.jvisor.vm.VmExitStatus;
import io.jvisor.vm.VmSupervisor;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A gdb remote stub (-s, -gdb tcp::PORT): one debugger at a time over TCP, on the VM the
 * supervisor runs now (and the next one after a guest reset). It reads and writes the
 * registers (gdb's i386 order: eax ecx edx ebx esp ebp esi edi eip eflags cs ss ds es fs gs)
 * and linear or physical memory (QEMU's {@code maintenance packet Qqemu.PhyMemMode:1}), sets breakpoints (software and hardware kinds are both
 * host-side: guest memory is never patched and the guest's DR registers are untouched) and
 * watchpoints, steps one instruction with interrupts held back, continues, stops on Ctrl-C,
 * and detaches. While a breakpoint or watchpoint is set the VM runs instruction by
 * instruction.
 */
final class GdbStub implements AutoCloseable, VmSupervisor.Listener {
    static final int DEFAULT_PORT = 1234;
    private static final int REGS = 16;

    private final VmSupervisor supervisor;
    private final ServerSocket server;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "jvisor-gdb-send");
        t.setDaemon(true);
        return t;
    });
    private final Set<Integer> breakpoints = new LinkedHashSet<>();
    private final List<Cpu.HostWatch> watches = new ArrayList<>();
    private volatile GdbConnection client;
    /** The debugger resumed the VM and waits for a stop reply. */
    private volatile boolean running;
    /** QEMU's Qqemu.PhyMemMode: memory packets address guest physical memory instead of linear. */
    private volatile boolean physical;

    GdbStub(VmSupervisor supervisor, int port) {
        this.supervisor = supervisor;
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        } catch (IOException e) {
            throw new BadInput("-gdb tcp::" + port + ": cannot listen on that port (" + e.getMessage() + ")");
        }
        supervisor.addListener(this);
        Thread.ofPlatform().daemon().name("jvisor-gdb-accept").start(this::acceptLoop);
    }

    /** The TCP port of tcp::PORT, tcp:HOST:PORT or a bare PORT. */
    static int parsePort(String spec) {
        String s = spec.strip();
        if (s.startsWith("tcp:")) {
            s = s.substring(s.lastIndexOf(':') + 1);
        } else if (s.contains(":")) {
            throw new BadInput("-gdb " + spec + ": only tcp::PORT is supported");
        }
        try {
            int p = Integer.parseInt(s);
            if (p < 1 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new BadInput("-gdb " + spec + ": the port must be a number from 1 to 65535");
        }
    }

    /** The port the stub listens on (for tests that ask for port 0). */
    int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
        sender.shutdown();   // stop replies already queued still go out
        try {
            sender.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sender.shutdownNow();
    }

    // ---- VM life cycle: a new VM after a reset keeps the debugger's settings

    @Override
    public void started(VirtualMachine vm, int boot) {
        vm.setDebugListener(this::stopped);
        applyDebugSettings(vm);
    }

    @Override
    public void ended(VirtualMachine vm, VmExitStatus status, long runNanos) {
        GdbConnection c = client;
        if (c != null && !status.reset()) {
            // sent here and now (not queued): the process may end right after, and the debugger must hear it
            try {
                c.packet(String.format("W%02x", status.status() & 0xff));
            } catch (IOException ignored) {
                // the debugger went away
            }
        }
    }

    private void applyDebugSettings(VirtualMachine vm) {
        int[] bps = breakpoints.stream().mapToInt(Integer::intValue).toArray();
        List<Cpu.HostWatch> ws = List.copyOf(watches);
        vm.onVcpu(() -> {
            vm.engine().setHostBreakpoints(bps);
            vm.cpu().setHostWatches(ws);
            return null;
        });
    }

    /** A debug stop from the vCPU thread: the answer to the debugger's continue or step. */
    private void stopped(VirtualMachine.DebugStop stop) {
        GdbConnection c = client;
        if (c == null || !running) {
            return;
        }
        running = false;
        String reply = switch (stop.kind()) {
            case PAUSED -> "T02";
            case STEP -> "T05";
            case BREAKPOINT -> "T05swbreak:;";
            case WRITE_WATCH -> String.format("T05watch:%x;", stop.address());
            case READ_WATCH -> String.format("T05rwatch:%x;", stop.address());
            case ACCESS_WATCH -> String.format("T05awatch:%x;", stop.address());
        };
        send(c, reply);
    }

    private void send(GdbConnection c, String packet) {
        sender.execute(() -> {
            try {
                c.packet(packet);
            } catch (IOException ignored) {
                // the debugger went away; the session loop notices
            }
        });
    }

    // ---- the session

    private void acceptLoop() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.setTcpNoDelay(true);
                GdbConnection c = new GdbConnection(s.getInputStream(), s.getOutputStream());
                session(c);
            } catch (IOException e) {
                // closed, or the client went away: wait for the next one
            }
        }
    }

    private VirtualMachine vm() {
        VirtualMachine vm = supervisor.awaitCurrent(10_000);
        if (vm == null) {
            throw new IllegalStateException("no VM is running");
        }
        return vm;
    }

    /** Stops the VM (the debugger expects a stopped target) and waits until it has stopped. */
    private void haltVm(VirtualMachine vm) {
        vm.pause();
        for (int i = 0; i < 1000 && !vm.isPaused(); i++) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void session(GdbConnection c) throws IOException {
        haltVm(vm());
        running = false;
        client = c;
        try {
            String p;
            while ((p = c.read()) != null) {
                if (p.equals(GdbConnection.INTERRUPT)) {
                    if (running) {
                        vm().pause();   // the PAUSED stop answers
                    }
                    continue;
                }
                String reply = handle(p);
                if (reply != null) {
                    c.packet(reply);
                }
                if (p.equals("D") || p.startsWith("D;") || p.equals("k")) {
                    return;
                }
            }
        } finally {
            client = null;
            if (running || supervisor.current() != null) {
                // a debugger that goes away leaves the VM running without its breakpoints
                breakpoints.clear();
                watches.clear();
                VirtualMachine vm = supervisor.current();
                if (vm != null) {
                    applyDebugSettings(vm);
                    vm.resume();
                }
            }
            running = false;
        }
    }

    /** The reply to one packet, or null when the reply comes later (a stop after continue or step). */
    private String handle(String p) {
        try {
            char cmd = p.isEmpty() ? ' ' : p.charAt(0);
            return switch (cmd) {
                case '?' -> "T05";
                case 'g' -> readRegisters();
                case 'G' -> writeRegisters(p.substring(1));
                case 'p' -> readRegister(Integer.parseInt(p.substring(1), 16));
                case 'P' -> writeRegister(p.substring(1));
                case 'm' -> readMemory(p.substring(1));
                case 'M' -> writeMemory(p.substring(1), false);
                case 'X' -> writeMemory(p.substring(1), true);
                case 'c' -> resume(false, p.substring(1));
                case 's' -> resume(true, p.substring(1));
                case 'Z' -> setPoint(p.substring(1), true);
                case 'z' -> setPoint(p.substring(1), false);
                case 'D' -> "OK";
                case 'k' -> {
                    supervisor.stop(VmExitStatus.CLEAN, "killed from the debugger");
                    vm().resume();
                    yield null;
                }
                case 'H', 'T' -> "OK";
                case 'q' -> query(p);
                case 'Q' -> p.startsWith("Qqemu.PhyMemMode:") ? physicalMode(p) : "";
                default -> "";
            };
        } catch (IllegalStateException | IllegalArgumentException | IndexOutOfBoundsException e) {
            return "E01";
        }
    }

    private String query(String p) {
        if (p.startsWith("qSupported")) {
            return "PacketSize=4000;swbreak+;hwbreak+";
        }
        if (p.equals("qqemu.PhyMemMode")) {
            return physical ? "1" : "0";
        }
        if (p.equals("qAttached")) {
            return "1";
        }
        if (p.equals("qC")) {
            return "QC1";
        }
        if (p.equals("qfThreadInfo")) {
            return "m1";
        }
        if (p.equals("qsThreadInfo")) {
            return "l";
        }
        return "";
    }

    private String physicalMode(String p) {
        physical = p.endsWith(":1");
        return "OK";
    }

    /** The physical address of a debugger address: linear through the guest's page tables, or as is. */
    private long address(VirtualMachine vm, long addr) {
        return physical ? addr : vm.cpu().probe((int) addr);
    }

    // ---- registers

    private static int reg(Cpu c, int n) {
        return switch (n) {
            case 0 -> c.r[Cpu.EAX];
            case 1 -> c.r[Cpu.ECX];
            case 2 -> c.r[Cpu.EDX];
            case 3 -> c.r[Cpu.EBX];
            case 4 -> c.r[Cpu.ESP];
            case 5 -> c.r[Cpu.EBP];
            case 6 -> c.r[Cpu.ESI];
            case 7 -> c.r[Cpu.EDI];
            case 8 -> c.eip;
            case 9 -> c.getEflags();
            case 10 -> c.segSel[Cpu.CS];
            case 11 -> c.segSel[Cpu.SS];
            case 12 -> c.segSel[Cpu.DS];
            case 13 -> c.segSel[Cpu.ES];
            case 14 -> c.segSel[Cpu.FS];
            case 15 -> c.segSel[Cpu.GS];
            default -> throw new IllegalArgumentException("register " + n);
        };
    }

    /** Writes general registers, EIP and EFLAGS; a segment register only if it keeps its selector. */
    private static void setReg(Cpu c, int n, int v) {
        switch (n) {
            case 0 -> c.r[Cpu.EAX] = v;
            case 1 -> c.r[Cpu.ECX] = v;
            case 2 -> c.r[Cpu.EDX] = v;
            case 3 -> c.r[Cpu.EBX] = v;
            case 4 -> c.r[Cpu.ESP] = v;
            case 5 -> c.r[Cpu.EBP] = v;
            case 6 -> c.r[Cpu.ESI] = v;
            case 7 -> c.r[Cpu.EDI] = v;
            case 8 -> c.eip = v;
            case 9 -> c.setEflags(v);
            default -> {
                if (n < 10 || n >= REGS) {
                    throw new IllegalArgumentException("register " + n);
                }
                if ((reg(c, n) & 0xffff) != (v & 0xffff)) {
                    throw new IllegalArgumentException("segment registers are not writable from the debugger");
                }
            }
        }
    }

    private static String hex32(int v) {
        return String.format("%02x%02x%02x%02x", v & 0xff, v >>> 8 & 0xff, v >>> 16 & 0xff, v >>> 24);
    }

    private static int parseHex32(String s) {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v |= Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16) << (8 * i);
        }
        return v;
    }

    private String readRegisters() {
        VirtualMachine vm = vm();
        return vm.onVcpu(() -> {
            StringBuilder b = new StringBuilder();
            for (int n = 0; n < REGS; n++) {
                b.append(hex32(reg(vm.cpu(), n)));
            }
            return b.toString();
        });
    }

    private String writeRegisters(String hex) {
        VirtualMachine vm = vm();
        return vm.onVcpu(() -> {
            for (int n = 0; n < REGS && hex.length() >= 8 * (n + 1); n++) {
                int v = parseHex32(hex.substring(8 * n));
                if (n < 10) {
                    setReg(vm.cpu(), n, v);
                }
            }
            return "OK";
        });
    }

    private String readRegister(int n) {
        VirtualMachine vm = vm();
        if (n >= REGS) {
            return "E45";
        }
        return vm.onVcpu(() -> hex32(reg(vm.cpu(), n)));
    }

    private String writeRegister(String arg) {
        int eq = arg.indexOf('=');
        int n = Integer.parseInt(arg.substring(0, eq), 16);
        int v = parseHex32(arg.substring(eq + 1));
        VirtualMachine vm = vm();
        return vm.onVcpu(() -> {
            setReg(vm.cpu(), n, v);
            return "OK";
        });
    }

    // ---- memory (linear addresses through the guest's page tables)

    private String readMemory(String arg) {
        String[] a = arg.split(",");
        long addr = Long.parseUnsignedLong(a[0], 16);
        int len = Integer.parseInt(a[1], 16);
        if (len > 0x1000) {
            return "E22";
        }
        VirtualMachine vm = vm();
        return vm.onVcpu(() -> {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < len; i++) {
                long pa = address(vm, addr + i);
                int v = pa < 0 ? -1 : vm.memory().peek(pa);
                if (v < 0) {
                    return i == 0 ? "E14" : b.toString();
                }
                b.append(String.format("%02x", v));
            }
            return b.toString();
        });
    }

    private String writeMemory(String arg, boolean binary) {
        int colon = arg.indexOf(':');
        String[] a = arg.substring(0, colon).split(",");
        long addr = Long.parseUnsignedLong(a[0], 16);
        int len = Integer.parseInt(a[1], 16);
        byte[] data;
        if (binary) {
            data = GdbConnection.unescape(arg.substring(colon + 1));
        } else {
            String hex = arg.substring(colon + 1);
            data = new byte[hex.length() / 2];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
            }
        }
        if (data.length < len) {
            return "E22";
        }
        VirtualMachine vm = vm();
        return vm.onVcpu(() -> {
            for (int i = 0; i < len; i++) {
                long pa = address(vm, addr + i);
                if (pa < 0 || !vm.memory().poke(pa, data[i])) {
                    return "E14";
                }
            }
            return "OK";
        });
    }

    // ---- execution

    private String resume(boolean step, String addr) {
        VirtualMachine vm = vm();
        vm.onVcpu(() -> {
            if (!addr.isEmpty()) {
                vm.cpu().eip = (int) Long.parseUnsignedLong(addr, 16);
            }
            // resuming from a breakpoint: its instruction runs instead of stopping again
            vm.engine().passBreakpointOnce(vm.cpu().segBase[Cpu.CS] + vm.cpu().eip);
            return null;
        });
        running = true;
        if (step) {
            vm.step();
        } else {
            vm.resume();
        }
        return null;
    }

    private String setPoint(String arg, boolean insert) {
        String[] a = arg.split(",");
        int type = Integer.parseInt(a[0]);
        int addr = (int) Long.parseUnsignedLong(a[1], 16);
        int len = a.length > 2 ? Integer.parseInt(a[2].split(";")[0], 16) : 1;
        switch (type) {
            case 0, 1 -> {
                if (insert) {
                    breakpoints.add(addr);
                } else {
                    breakpoints.remove(addr);
                }
            }
            case 2, 3, 4 -> {
                Cpu.HostWatch w = new Cpu.HostWatch(addr, Math.max(1, len), type != 2, type != 3);
                if (insert) {
                    watches.add(w);
                } else {
                    watches.remove(w);
                }
            }
            default -> {
                return "";
            }
        }
        applyDebugSettings(vm());
        return "OK";
    }
}
