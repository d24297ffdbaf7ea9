package io.jvisor.vm;

import io.jvisor.boot.BootException;
import io.jvisor.boot.LinuxLoader;
import io.jvisor.boot.MultibootLoader;
import io.jvisor.cpu.Cpu;
import io.jvisor.devices.DebugConsole;
import io.jvisor.devices.DebugExit;
import io.jvisor.devices.PostCodes;
import io.jvisor.engine.CpuReport;
import io.jvisor.engine.ExecutionEngine;
import io.jvisor.memory.IoBus;
import io.jvisor.memory.PhysicalMemory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One virtual machine: its RAM, port bus, devices and one vCPU, built from a
 * {@link VmConfig}. Everything is validated and loaded in {@link #create} before the
 * guest runs; {@link #run} executes it on the calling thread until it ends.
 */
public final class VirtualMachine implements AutoCloseable {
    private final VmConfig config;
    private final PhysicalMemory mem;
    private final IoBus io = new IoBus();
    private final Cpu cpu;
    private final ExecutionEngine engine;
    private final DebugConsole debugcon;
    private final OutputStream debugOut;
    private final byte[] biosImage;
    private volatile Integer exitStatus;
    private final Consumer<String> log;

    private VirtualMachine(VmConfig config, OutputStream debugOut, Consumer<String> log, byte[] biosImage) {
        this.config = config;
        this.log = log;
        this.mem = new PhysicalMemory(config.memoryBytes());
        this.cpu = new Cpu(mem, io);
        this.engine = new ExecutionEngine(cpu);
        this.debugOut = debugOut;
        this.biosImage = biosImage;
        io.setLog(log);
        debugcon = new DebugConsole(debugOut);
        io.register(DebugConsole.PORT, 1, debugcon);
        io.register(DebugExit.PORT, 1, new DebugExit(status -> {
            exitStatus = status;
            engine.requestStop();
        }));
        PostCodes post = new PostCodes(log);
        io.register(0x80, 1, post);
        io.register(0x190, 1, post);
    }

    /** Validates the configuration, reads the images, builds the VM and loads the guest. */
    public static VirtualMachine create(VmConfig config, OutputStream stdout, Consumer<String> log)
            throws BootException {
        if (config.memoryBytes() < (2 << 20) || config.memoryBytes() > PhysicalMemory.MAX_RAM
                || (config.memoryBytes() & 0xfff) != 0) {
            throw new BootException(String.format("memory size %d MiB is out of range (2 MiB to %d MiB)",
                    config.memoryBytes() >> 20, PhysicalMemory.MAX_RAM >> 20));
        }
        if ((config.kernel() == null) == (config.bios() == null)) {
            throw new BootException("give exactly one of --kernel and --bios");
        }
        byte[] kernel = config.kernel() == null ? null : readImage(config.kernel(), "kernel");
        byte[] bios = config.bios() == null ? null : readImage(config.bios(), "BIOS image");
        if (bios != null && (bios.length == 0 || bios.length > (1 << 20) || (bios.length & 0xffff) != 0
                && bios.length > 0x10000)) {
            throw new BootException(config.bios() + ": a BIOS image must be 64 KiB or a multiple of 64 KiB up to 1 MiB");
        }
        List<MultibootLoader.Module> modules = new ArrayList<>();
        for (Path p : config.modules()) {
            modules.add(new MultibootLoader.Module(p.getFileName().toString(), readImage(p, "initrd/module"),
                    p.getFileName().toString()));
        }
        OutputStream dout;
        try {
            dout = config.debugcon() == null ? stdout
                    : new BufferedOutputStream(Files.newOutputStream(config.debugcon()));
        } catch (IOException e) {
            throw new BootException("cannot open debug console file " + config.debugcon() + ": " + e.getMessage());
        }
        VirtualMachine vm = new VirtualMachine(config, dout, log, bios);
        try {
            if (kernel != null && LinuxLoader.isBzImage(kernel)) {
                if (modules.size() > 1) {
                    throw new BootException("a Linux kernel takes one initrd; " + modules.size() + " were given");
                }
                LinuxLoader.load(vm.mem, vm.cpu, kernel, modules.isEmpty() ? null : modules.get(0).data(),
                        config.cmdline());
            } else if (kernel != null) {
                MultibootLoader.load(vm.mem, vm.cpu, kernel, config.cmdline() == null ? "" : config.cmdline(), modules);
            } else {
                vm.mapBios();
            }
        } catch (BootException | RuntimeException e) {
            vm.close();
            throw e;
        }
        return vm;
    }

    private static byte[] readImage(Path p, String what) throws BootException {
        try {
            if (!Files.isRegularFile(p)) {
                throw new BootException(what + " " + p + " is not a readable file");
            }
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new BootException("cannot read " + what + " " + p + ": " + e.getMessage());
        }
    }

    /**
     * A BIOS boot: the image is mapped so that it ends at the top of the first MiB and at
     * the top of the 4 GiB space (as on a PC), and the CPU starts at the reset vector
     * F000:FFF0 in real mode.
     */
    private void mapBios() {
        byte[] img = biosImage;
        int low = Math.min(img.length, 0x20000);
        byte[] lowPart = java.util.Arrays.copyOfRange(img, img.length - low, img.length);
        // the low copy shadows RAM from 1 MiB - size up to 1 MiB
        mem.addRom(0x100000L - low, lowPart);
        mem.addRom(0x1_0000_0000L - img.length, img);
        cpu.reset();
    }

    public Cpu cpu() {
        return cpu;
    }

    public ExecutionEngine engine() {
        return engine;
    }

    public PhysicalMemory memory() {
        return mem;
    }

    /** Runs the guest until it ends; returns how. */
    public VmExitStatus run() {
        try {
            while (true) {
                ExecutionEngine.Exit exit = engine.run(Long.MAX_VALUE / 4);
                switch (exit) {
                    case STOPPED -> {
                        if (exitStatus != null) {
                            return new VmExitStatus(exitStatus, "guest wrote to the debug-exit port", "");
                        }
                        return new VmExitStatus(0, "stopped", "");
                    }
                    case HALTED -> {
                        // no interrupt controller yet: nothing can wake a halted vCPU
                        return new VmExitStatus(VmExitStatus.HUNG,
                                "guest halted with no interrupt source to wake it (" + (cpu.interruptsEnabled()
                                        ? "interrupts enabled" : "interrupts disabled") + ") at "
                                        + CpuReport.location(cpu), CpuReport.registers(cpu));
                    }
                    case SHUTDOWN -> {
                        if (config.noReboot() || config.kernel() != null) {
                            return new VmExitStatus(VmExitStatus.SHUTDOWN, engine.report(), CpuReport.registers(cpu));
                        }
                        log.accept("guest reset (" + engine.report() + ")");
                        cpu.reset();
                    }
                    case INTERNAL_ERROR -> {
                        return new VmExitStatus(VmExitStatus.INTERNAL_ERROR, "VM stopped on an internal error",
                                engine.report());
                    }
                    default -> { }
                }
            }
        } finally {
            debugcon.flush();
        }
    }

    @Override
    public void close() {
        try {
            debugOut.flush();
        } catch (IOException ignored) {
            // nothing more to do for a console that is gone
        }
        mem.close();
    }
}
