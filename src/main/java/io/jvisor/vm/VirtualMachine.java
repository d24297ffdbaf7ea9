package io.jvisor.vm;

import io.jvisor.boot.BootException;
import io.jvisor.boot.RomImage;
import io.jvisor.boot.LinuxLoader;
import io.jvisor.boot.MultibootLoader;
import io.jvisor.cpu.Cpu;
import io.jvisor.devices.Uart16550;
import io.jvisor.devices.VmClock;
import io.jvisor.engine.CodeCache;
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
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * One virtual machine: its RAM, port bus, PC platform devices and one vCPU, built from a
 * {@link VmConfig}. Everything is validated and loaded in {@link #create} before the guest
 * runs; {@link #run} executes it on the calling thread until it ends. Devices get the VM's
 * time between instruction slices; a halted vCPU sleeps until the next device deadline or
 * host input.
 */
public final class VirtualMachine implements AutoCloseable {
    /** At most this many guest instructions run between two device-time updates. */
    static final long SLICE = 200_000;
    /** At least this many run per slice, so device bookkeeping stays a small share of the time. */
    static final long MIN_SLICE = 500;
    /** Measured guest instructions per VM nanosecond (an exponential average), to aim slices at deadlines. */
    private double rate = 0.05;

    private final VmConfig config;
    private final PhysicalMemory mem;
    private final IoBus io = new IoBus();
    private final Cpu cpu;
    private final CodeCache code;
    private final ExecutionEngine engine;
    private final PcPlatform platform;
    private final VmClock clock;
    /** Non-null when the VM runs on deterministic time. */
    private final DeterministicClock deterministic;
    private final List<OutputStream> opened = new ArrayList<>();
    private final byte[] biosImage;
    private volatile Thread vcpuThread;
    private volatile int exitStatus = -1;
    private volatile String exitReason = "";
    private volatile boolean resetRequested;
    /** A multiboot test kernel: a triple fault is reported as a failure, not turned into a reset. */
    private boolean multiboot;
    /** What was booted, for the operator: "Linux 6.1.0-28-686 (bzImage ...), initrd ...". */
    private String bootDescription = "";
    /** Watches the serial console for Linux's panic line. */
    private final PanicWatch panicWatch;
    /** VM time at which the panic line was seen (the guest gets a moment to finish its report), or -1. */
    private long panicSeenAt = -1;
    /** How long a panicked guest may go on printing (its stack dump) before the VM is ended: 1 s of VM time. */
    static final long PANIC_GRACE_NANOS = 1_000_000_000L;

    private VirtualMachine(VmConfig config, OutputStream serialOut, OutputStream debugOut, Consumer<String> log,
                           byte[] biosImage) {
        this.config = config;
        this.biosImage = biosImage;
        this.panicWatch = new PanicWatch(serialOut);
        this.mem = new PhysicalMemory(config.memoryBytes());
        this.cpu = new Cpu(mem, io);
        if (config.deterministicClock()) {
            deterministic = new DeterministicClock(() -> cpu.instructions);
            clock = deterministic;
        } else {
            deterministic = null;
            clock = VmClock.real();
        }
        // one code cache (decoded blocks, translations, SMC tracking) per VM: every vCPU's engine shares it
        this.code = new CodeCache(mem, config.engine());
        this.engine = new ExecutionEngine(cpu, code);
        io.setLog(log);
        platform = new PcPlatform(mem, io, clock, panicWatch, debugOut, new PcPlatform.Power() {
            @Override
            public void powerOff() {
                end(0, "guest powered off", false);
            }

            @Override
            public void reset() {
                end(0, "guest reset", true);
            }

            @Override
            public void debugExit(int status) {
                end(status, "guest wrote to the debug-exit port", false);
            }

            @Override
            public void panic() {
                end(VmExitStatus.PANIC, "guest kernel panic (reported through the pvpanic device)", false);
            }
        }, log, enabled -> cpu.setA20(enabled), config.pvpanic());
        cpu.interrupts = platform.pic;
        cpu.fpu.ferr = platform.fpuError::ferr;   // CR0.NE = 0: x87 errors reach the guest as IRQ 13
        cpu.tscSource = clock::nanos;   // a 1 GHz TSC on the VM's clock
        Runnable wake = () -> {
            Thread t = vcpuThread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        };
        platform.com1.setInputListener(wake);
        platform.kbc.setInputListener(wake);
    }

    private void end(int status, String reason, boolean reset) {
        if (exitStatus < 0) {
            exitStatus = status;
            exitReason = reason;
            resetRequested = reset;
        }
        engine.requestStop();
    }

    /**
     * Guest RAM lives on the Java heap: refuse a size the heap cannot hold before anything
     * is allocated, rather than failing half-way with an OutOfMemoryError.
     */
    private static void checkHeapRoom(long ramBytes) throws BootException {
        Runtime rt = Runtime.getRuntime();
        long margin = 64L << 20;   // the VM's own structures: code cache, translations, devices
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (ramBytes + margin > free) {
            // the heap's "used" includes garbage (an embedding service's, a previous VM's): collect before refusing
            System.gc();
            free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        }
        if (ramBytes + margin > free) {
            throw new BootException(String.format("%d MiB of guest RAM do not fit in the Java heap (%d MiB free of"
                    + " at most %d MiB); give the JVM more, e.g. JAVA_OPTS=-Xmx%dm", ramBytes >> 20, free >> 20,
                    rt.maxMemory() >> 20, ((ramBytes + margin) >> 20) + (rt.maxMemory() - free >> 20) + 256));
        }
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
        checkHeapRoom(config.memoryBytes());
        byte[] kernel = config.kernel() == null ? null : readImage(config.kernel(), "kernel");
        byte[] bios = config.bios() == null ? null : readImage(config.bios(), "BIOS image");
        if (bios != null) {
            RomImage.validate(bios, config.bios().toString());
        }
        List<MultibootLoader.Module> modules = new ArrayList<>();
        for (Path p : config.modules()) {
            modules.add(new MultibootLoader.Module(p.getFileName().toString(), readImage(p, "initrd/module"),
                    p.getFileName().toString()));
        }
        boolean linux = kernel != null && LinuxLoader.isBzImage(kernel);
        if (linux && modules.size() > 1) {
            throw new BootException("a Linux kernel takes one initrd; " + modules.size() + " were given");
        }
        OutputStream serialOut = open(config.serial(), stdout, "serial output");
        OutputStream debugOut = open(config.debugcon(), stdout, "debug console");
        VirtualMachine vm = new VirtualMachine(config, serialOut, debugOut, log, bios);
        if (serialOut != stdout) {
            vm.opened.add(serialOut);
        }
        if (debugOut != stdout) {
            vm.opened.add(debugOut);
        }
        vm.bootDescription = describe(config, kernel, bios, linux);
        try {
            if (linux) {
                LinuxLoader.load(vm.mem, vm.cpu, kernel, modules.isEmpty() ? null : modules.get(0).data(),
                        config.cmdline());
            } else if (kernel != null) {
                vm.multiboot = true;
                // as GRUB and QEMU: the kernel's file name is the command line's first word (argv[0])
                String args = config.cmdline() == null ? "" : config.cmdline();
                String cmdline = args.isEmpty() ? config.kernel().toString() : config.kernel() + " " + args;
                MultibootLoader.load(vm.mem, vm.cpu, kernel, cmdline, modules);
            } else {
                vm.mapBios();
            }
        } catch (BootException e) {
            vm.close();
            throw config.kernel() != null && !e.getMessage().startsWith("the ")
                    ? new BootException("kernel " + config.kernel() + ": " + e.getMessage()) : e;
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
        return vm;
    }

    private static String describe(VmConfig config, byte[] kernel, byte[] bios, boolean linux) {
        if (bios != null) {
            return "ROM " + config.bios() + " (" + (bios.length >> 10) + " KiB)";
        }
        StringBuilder b = new StringBuilder();
        if (linux) {
            String v = LinuxLoader.kernelVersion(kernel);
            b.append("Linux ").append(v == null ? "kernel" : v.split(" ")[0]).append(" (").append(config.kernel())
                    .append(')');
        } else {
            b.append("multiboot kernel ").append(config.kernel());
        }
        for (Path p : config.modules()) {
            b.append(linux ? ", initrd " : ", module ").append(p);
        }
        return b.toString();
    }

    /** What this VM boots, in a few words: "Linux 6.1.0-28-686 (guest/bzImage), initrd guest/initrd.gz". */
    public String bootDescription() {
        return bootDescription;
    }

    private static OutputStream open(Path p, OutputStream fallback, String what) throws BootException {
        if (p == null) {
            return fallback;
        }
        try {
            return new BufferedOutputStream(Files.newOutputStream(p));
        } catch (IOException e) {
            throw new BootException("cannot open " + what + " file " + p + ": " + IoErrors.reason(e));
        }
    }

    private static byte[] readImage(Path p, String what) throws BootException {
        try {
            if (!Files.isRegularFile(p)) {
                throw new BootException(what + " " + p + " is not a readable file");
            }
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new BootException("cannot read " + what + " " + p + ": " + IoErrors.reason(e));
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

    /** COM1, for attaching host input. */
    public Uart16550 serialPort() {
        return platform.com1;
    }

    /** Ends the VM from another thread (operator stop, Ctrl-A X) with a clean status. */
    public void stop(String reason) {
        end(VmExitStatus.CLEAN, reason, false);
    }

    /** Ends the VM from another thread with the given status (a {@link VmExitStatus} constant). */
    public void stop(int status, String reason) {
        end(status, reason, false);
    }

    /** Runs the guest until it ends; returns how. */
    public VmExitStatus run() {
        vcpuThread = Thread.currentThread();
        try {
            while (true) {
                long now = clock.nanos();
                platform.advance(now);
                ExecutionEngine.Exit exit = runSlice(now);
                if (panicWatch.reason() != null && exit != ExecutionEngine.Exit.INTERNAL_ERROR) {
                    if (panicSeenAt < 0) {
                        panicSeenAt = clock.nanos();
                    }
                    // ended at once when the guest resets, halts for good or stops; else after a grace period
                    boolean over = exit != ExecutionEngine.Exit.BUDGET && exit != ExecutionEngine.Exit.HALTED
                            || exit == ExecutionEngine.Exit.HALTED && !cpu.interruptsEnabled()
                            || clock.nanos() - panicSeenAt >= PANIC_GRACE_NANOS;
                    boolean stoppedOtherwise = exit == ExecutionEngine.Exit.STOPPED && !resetRequested
                            && exitStatus >= 0;
                    if (over && !stoppedOtherwise) {
                        return new VmExitStatus(VmExitStatus.PANIC, "guest kernel panic: " + panicWatch.reason(),
                                "");
                    }
                }
                switch (exit) {
                    case BUDGET -> { }
                    case STOPPED -> {
                        return new VmExitStatus(Math.max(exitStatus, 0), exitReason.isEmpty() ? "stopped" : exitReason,
                                "", resetRequested && !config.noReboot());
                    }
                    case HALTED -> {
                        if (!cpu.interruptsEnabled()) {
                            return new VmExitStatus(VmExitStatus.HUNG,
                                    "guest halted with interrupts disabled at " + CpuReport.location(cpu),
                                    CpuReport.registers(cpu));
                        }
                        waitForEvent();
                    }
                    case SHUTDOWN -> {
                        if (config.noReboot() || multiboot) {
                            return new VmExitStatus(VmExitStatus.SHUTDOWN, engine.report(), CpuReport.registers(cpu));
                        }
                        return new VmExitStatus(0, "guest reset (" + engine.report() + ")", "", true);
                    }
                    case INTERNAL_ERROR -> {
                        return new VmExitStatus(VmExitStatus.INTERNAL_ERROR, "VM stopped on an internal error",
                                engine.report());
                    }
                    default -> throw new IllegalStateException("unexpected engine exit " + exit);
                }
            }
        } finally {
            platform.flush();
            vcpuThread = null;
        }
    }

    /**
     * Runs guest code until about the next device deadline, so that a timer interrupt is
     * raised on time rather than once per fixed slice: the instruction budget is the time to
     * the deadline times the measured instruction rate (exact on deterministic time).
     */
    private ExecutionEngine.Exit runSlice(long now) {
        long deadline = platform.nextDeadline();
        long budget = SLICE;
        if (deadline != Long.MAX_VALUE) {
            double r = deterministic != null ? 1.0 : rate;
            budget = (long) Math.max(MIN_SLICE, Math.min(SLICE, (deadline - now) * r));
        }
        long i0 = cpu.instructions;
        ExecutionEngine.Exit exit = engine.run(budget);
        if (deterministic == null) {
            long dt = clock.nanos() - now;
            long di = cpu.instructions - i0;
            if (dt > 0 && di > 0 && exit == ExecutionEngine.Exit.BUDGET) {
                rate = 0.8 * rate + 0.2 * ((double) di / dt);
            }
        }
        return exit;
    }

    /** A halted vCPU with interrupts enabled: sleep until a device deadline, host input, or a stop. */
    private void waitForEvent() {
        while (!platform.pic.hasInterrupt() && exitStatus < 0) {
            long now = clock.nanos();
            platform.advance(now);
            if (platform.pic.hasInterrupt()) {
                return;
            }
            long deadline = platform.nextDeadline();
            if (deadline <= now) {
                continue;
            }
            if (deterministic != null && deadline != Long.MAX_VALUE) {
                deterministic.skipTo(deadline);   // idle time costs nothing on deterministic time
                continue;
            }
            long wait = deadline == Long.MAX_VALUE ? 50_000_000L : Math.min(deadline - now, 50_000_000L);
            LockSupport.parkNanos(this, wait);
        }
    }

    @Override
    public void close() {
        platform.flush();
        for (OutputStream o : opened) {
            try {
                o.close();
            } catch (IOException ignored) {
                // a console that is gone has nothing more to say
            }
        }
        mem.close();
    }
}
