package io.jvisor.vm;

import io.jvisor.boot.BiosDataArea;
import io.jvisor.boot.BootException;
import io.jvisor.boot.RomImage;
import io.jvisor.boot.LinuxLoader;
import io.jvisor.boot.MultibootLoader;
import io.jvisor.cpu.Cpu;
import io.jvisor.devices.LocalApic;
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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * One virtual machine: its RAM, port bus, PC platform devices and its vCPUs, built from a
 * {@link VmConfig}. Everything is validated and loaded in {@link #create} before the guest
 * runs; {@link #run} executes the bootstrap processor on the calling thread until the VM
 * ends, and each application processor on a host thread of its own (started in
 * wait-for-SIPI, as on a PC). The bootstrap processor's thread gives the shared devices
 * their time between instruction slices; each vCPU advances its own local APIC's timer. A
 * halted vCPU sleeps until the next deadline, an interrupt or host input.
 */
public final class VirtualMachine implements AutoCloseable {
    private final VmConfig config;
    private final PhysicalMemory mem;
    private final IoBus io = new IoBus();
    /** The bootstrap processor's state and engine (vCPU 0). */
    private final Cpu cpu;
    private final CodeCache code;
    private final ExecutionEngine engine;
    /** Every vCPU, the bootstrap processor first. */
    private final List<Vcpu> vcpus = new ArrayList<>();
    /** Set when the VM's run ends: the application processors' threads leave. */
    private volatile boolean over;
    /** How an application processor ended the VM (a triple fault, an internal error), for the BSP to return. */
    private volatile VmExitStatus apExit;
    private final PcPlatform platform;
    private final PausableClock clock;
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
    private final long createdNanos = System.nanoTime();
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
        int n = config.cpus();
        Cpu[] cpus = new Cpu[n];
        for (int k = 0; k < n; k++) {
            cpus[k] = new Cpu(mem, io);
            cpus[k].smp = n > 1;
        }
        this.cpu = cpus[0];
        if (config.deterministicClock()) {
            deterministic = new DeterministicClock(() -> cpu.instructions);
            clock = new PausableClock(deterministic);
        } else {
            deterministic = null;
            clock = new PausableClock(VmClock.real());
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
        }, log, enabled -> {
            for (Cpu c : cpus) {
                c.setA20(enabled);
            }
        }, config.pvpanic(), k -> cpus[k]::tsc, n);
        if (config.pcTestdev()) {
            platform.addPcTestdev(mem, io);
        }
        if (config.pciTestdev()) {
            platform.addPciTestdev(mem, io);
        }
        for (int k = 0; k < n; k++) {
            Cpu c = cpus[k];
            c.interrupts = platform.lapics[k];   // the BSP's: the 8259 pair reaches it through LINT0 (ExtINT)
            c.apic = platform.lapics[k];
            c.fpu.ferr = platform.fpuError::ferr;   // CR0.NE = 0: x87 errors reach the guest as IRQ 13
            c.tscSource = clock::nanos;   // a 1 GHz TSC on the VM's clock, the same for every vCPU
            Vcpu v = new Vcpu(k, c, k == 0 ? engine : new ExecutionEngine(c, code), platform.lapics[k]);
            platform.lapics[k].setWake(k == 0 ? this::wake : v::wake);
            vcpus.add(v);
        }
        platform.com1.setInputListener(this::wake);
        platform.kbc.setInputListener(this::wake);
    }

    private void end(int status, String reason, boolean reset) {
        if (exitStatus < 0) {
            exitStatus = status;
            exitReason = reason;
            resetRequested = reset;
        }
        for (Vcpu v : vcpus) {
            v.engine.requestStop();
            v.wake();
        }
    }

    /**
     * Guest RAM is native memory that the JVM counts against its direct-memory limit
     * (-XX:MaxDirectMemorySize, by default the maximum heap size): refuse a size over the
     * limit before anything is allocated. (An allocation that still fails, because other VMs
     * hold the rest, is refused the same way in {@link #create}.)
     */
    private static void checkMemoryRoom(long ramBytes) throws BootException {
        long limit = maxDirectMemory();
        if (ramBytes > limit) {
            throw new BootException(String.format("%d MiB of guest RAM exceed the JVM's direct-memory limit (%d MiB);"
                    + " give the JVM more, e.g. JAVA_OPTS=-XX:MaxDirectMemorySize=%dm", ramBytes >> 20, limit >> 20,
                    (ramBytes >> 20) + 256));
        }
    }

    /** The JVM's direct-memory limit: -XX:MaxDirectMemorySize, or the maximum heap size when not set. */
    private static long maxDirectMemory() {
        try {
            var bean = java.lang.management.ManagementFactory.getPlatformMXBean(
                    com.sun.management.HotSpotDiagnosticMXBean.class);
            long v = bean == null ? 0 : Long.parseLong(bean.getVMOption("MaxDirectMemorySize").getValue());
            return v > 0 ? v : Runtime.getRuntime().maxMemory();
        } catch (RuntimeException e) {
            return Runtime.getRuntime().maxMemory();
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
        if (config.cpus() < 1 || config.cpus() > VmConfig.MAX_CPUS) {
            throw new BootException(String.format("vCPU count %d is out of range (1 to %d)", config.cpus(),
                    VmConfig.MAX_CPUS));
        }
        if ((config.kernel() == null) == (config.bios() == null)) {
            throw new BootException("give exactly one of --kernel and --bios");
        }
        checkMemoryRoom(config.memoryBytes());
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
        VirtualMachine vm;
        try {
            vm = new VirtualMachine(config, serialOut, debugOut, log, bios);
        } catch (OutOfMemoryError e) {
            closeQuietly(serialOut, stdout);
            closeQuietly(debugOut, stdout);
            throw new BootException(String.format("%d MiB of guest RAM could not be allocated (%s); give the JVM"
                    + " more, e.g. JAVA_OPTS=-XX:MaxDirectMemorySize=%dm", config.memoryBytes() >> 20, e.getMessage(),
                    (config.memoryBytes() >> 20) * 2 + 256));
        }
        if (serialOut != stdout) {
            vm.opened.add(serialOut);
        }
        if (debugOut != stdout) {
            vm.opened.add(debugOut);
        }
        vm.bootDescription = describe(config, kernel, bios, linux);
        try {
            if (kernel != null) {
                // a direct kernel boot skips the firmware: leave the devices as a BIOS would
                vm.platform.firmwareState(vm.io);
                BiosDataArea.write(vm.mem);
            }
            if (kernel != null) {
                vm.platform.fwCfg.setCommandLine(config.cmdline() == null ? "" : config.cmdline());
            }
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

    private static void closeQuietly(OutputStream o, OutputStream stdout) {
        if (o != stdout) {
            try {
                o.close();
            } catch (IOException ignored) {
                // nothing was written yet
            }
        }
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

    /** Every vCPU's state, the bootstrap processor first. */
    public List<Cpu> cpus() {
        return vcpus.stream().map(v -> v.cpu).toList();
    }

    /** True while vCPU {@code k} is an application processor waiting for a start-up IPI. */
    public boolean waitingForSipi(int k) {
        return vcpus.get(k).waitingForSipi;
    }

    public PhysicalMemory memory() {
        return mem;
    }

    /** The interrupt controllers, for inspection (the monitor's info pic). */
    public io.jvisor.devices.DualPic pic() {
        return platform.pic;
    }

    /** Host time (System.nanoTime) when the VM was built. */
    public long createdNanos() {
        return createdNanos;
    }

    /** The configuration the VM was built from. */
    public VmConfig config() {
        return config;
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
        Vcpu bsp = vcpus.get(0);
        bsp.thread = vcpuThread;
        over = false;
        for (Vcpu v : vcpus.subList(1, vcpus.size())) {
            Thread t = new Thread(() -> runAp(v), threadName(v));
            t.setDaemon(true);
            v.thread = t;
            t.start();
        }
        try {
            while (true) {
                ExecutionEngine.Exit exit = serviceControl();
                if (exit == null) {
                    long now = clock.nanos();
                    platform.advance(now);
                    bsp.lapic.advance(now);
                    exit = bsp.runSlice(now, Math.min(platform.nextDeadline(), bsp.lapic.nextDeadline()), clock::nanos,
                            deterministic != null);
                }
                if (panicWatch.reason() != null && exit != ExecutionEngine.Exit.INTERNAL_ERROR) {
                    if (panicSeenAt < 0) {
                        panicSeenAt = clock.nanos();
                    }
                    // ended at once when the guest resets, halts for good or stops; else after a grace period
                    boolean over = exit != ExecutionEngine.Exit.BUDGET && exit != ExecutionEngine.Exit.HALTED
                            && exit != ExecutionEngine.Exit.DEBUG
                            || exit == ExecutionEngine.Exit.HALTED && !cpu.interruptsEnabled()
                            || clock.nanos() - panicSeenAt >= PANIC_GRACE_NANOS;
                    boolean stoppedOtherwise = exit == ExecutionEngine.Exit.STOPPED && !resetRequested
                            && exitStatus >= 0;
                    if (over && !stoppedOtherwise) {
                        return new VmExitStatus(VmExitStatus.PANIC, "guest kernel panic: " + panicWatch.reason(),
                                "");
                    }
                }
                VmExitStatus end = handle(exit);
                if (end != null) {
                    return end;
                }
            }
        } finally {
            stopAps();
            platform.flush();
            vcpuThread = null;
            clock.resume();
        }
    }

    private String threadName(Vcpu v) {
        return "jvisor-" + (config.name() == null ? "vm" : config.name()) + "-vcpu" + v.index;
    }

    /** Ends the application processors' threads (the VM's run is over). */
    private void stopAps() {
        over = true;
        for (Vcpu v : vcpus.subList(1, vcpus.size())) {
            v.engine.requestStop();
            v.wake();
        }
        for (Vcpu v : vcpus.subList(1, vcpus.size())) {
            Thread t = v.thread;
            if (t != null) {
                try {
                    t.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                v.thread = null;
            }
        }
    }

    /**
     * An application processor's thread: wait-for-SIPI after power-on and INIT, then guest
     * code in slices aimed at its local APIC's timer, sleeping while halted or paused. An
     * AP that triple-faults or hits an internal error ends the whole VM (a PC shuts down).
     */
    private void runAp(Vcpu v) {
        try {
            while (!over && exitStatus < 0) {
                if (v.lapic.takeInit()) {
                    v.init();
                }
                if (v.waitingForSipi) {
                    int vector = v.lapic.takeSipi();
                    if (vector < 0) {
                        sleepAp(v);
                        continue;
                    }
                    v.startAt(vector);
                } else {
                    v.lapic.takeSipi();   // SDM 8.4.4.1: a start-up IPI to a running processor is ignored
                }
                if (pauseRequested) {
                    LockSupport.parkNanos(this, 20_000_000L);
                    continue;
                }
                long now = clock.nanos();
                v.lapic.advance(now);
                ExecutionEngine.Exit exit = v.runSlice(now, v.lapic.nextDeadline(), clock::nanos, deterministic != null);
                switch (exit) {
                    case BUDGET, DEBUG -> { }
                    case STOPPED -> {
                        if (exitStatus < 0 && !over) {
                            v.engine.clearStop();   // a pause or an operator task, not an end
                            if (exitStatus >= 0 || over) {
                                v.engine.requestStop();
                            }
                        }
                    }
                    case HALTED -> sleepAp(v);
                    case SHUTDOWN -> apEnded(config.noReboot() || multiboot
                            ? new VmExitStatus(VmExitStatus.SHUTDOWN, "vCPU " + v.index + ": " + v.engine.report(),
                                    CpuReport.registers(v.cpu))
                            : new VmExitStatus(0, "guest reset (vCPU " + v.index + ": " + v.engine.report() + ")", "",
                                    true));
                    case INTERNAL_ERROR -> apEnded(new VmExitStatus(VmExitStatus.INTERNAL_ERROR,
                            "VM stopped on an internal error on vCPU " + v.index, v.engine.report()));
                    default -> throw new IllegalStateException("unexpected engine exit " + exit);
                }
            }
        } catch (RuntimeException | Error e) {
            // never let a vCPU thread die silently: the VM ends with the report
            apEnded(new VmExitStatus(VmExitStatus.INTERNAL_ERROR, "VM stopped on an internal error on vCPU "
                    + v.index, e.toString()));
        }
    }

    /** An AP ends the VM: the BSP returns {@code status} from {@link #run}. */
    private void apEnded(VmExitStatus status) {
        synchronized (this) {
            if (apExit == null && exitStatus < 0) {
                apExit = status;
            }
        }
        for (Vcpu v : vcpus) {
            v.engine.requestStop();
            v.wake();
        }
    }

    /**
     * A halted AP (or one waiting for a SIPI) sleeps until its APIC has something for it
     * (an interrupt it can take, an NMI, INIT or SIPI), its timer's deadline, or the VM ends.
     */
    private void sleepAp(Vcpu v) {
        while (!over && exitStatus < 0 && apExit == null && !v.lapic.hasStartupEvent()) {
            boolean halted = !v.waitingForSipi;
            long now = clock.nanos();
            v.lapic.advance(now);
            if (halted && (v.cpu.interrupts.nmiPending()
                    || v.cpu.interruptsEnabled() && v.cpu.interrupts.hasInterrupt())) {
                return;
            }
            if (pauseRequested && halted) {
                return;   // the main loop holds it while paused
            }
            long deadline = halted ? v.lapic.nextDeadline() : Long.MAX_VALUE;
            long wait = deadline == Long.MAX_VALUE ? 50_000_000L : Math.max(0, Math.min(deadline - now, 50_000_000L));
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
            }
        }
    }

    /** What an engine exit means for the VM: how it ended, or null to go on. */
    private VmExitStatus handle(ExecutionEngine.Exit exit) {
        switch (exit) {
            case BUDGET -> {
                return null;
            }
            case STOPPED -> {
                if (apExit != null) {
                    return apExit;
                }
                if (exitStatus < 0) {
                    // an operator request (pause, a task), not an end: serviceControl() takes it
                    engine.clearStop();
                    if (exitStatus >= 0) {
                        engine.requestStop();
                    }
                    return null;
                }
                return new VmExitStatus(Math.max(exitStatus, 0), exitReason.isEmpty() ? "stopped" : exitReason,
                        "", resetRequested && !config.noReboot());
            }
            case DEBUG -> {
                pauseRequested = true;
                pendingStop = debugStop(DebugStop.Kind.BREAKPOINT);
                return null;
            }
            case HALTED -> {
                if (!cpu.interruptsEnabled()) {
                    return new VmExitStatus(VmExitStatus.HUNG,
                            "guest halted with interrupts disabled at " + CpuReport.location(cpu),
                            CpuReport.registers(cpu));
                }
                waitForEvent();
                return null;
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

    // =====================================================================================
    // Operator control: the monitor and the gdb stub act on the vCPU thread, between instructions

    /** Why a paused VM stopped, for a debugger. */
    public record DebugStop(Kind kind, int address) {
        public enum Kind { PAUSED, BREAKPOINT, STEP, WRITE_WATCH, READ_WATCH, ACCESS_WATCH }
    }

    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private volatile boolean pauseRequested;
    private volatile boolean paused;
    private volatile boolean stepRequested;
    private volatile DebugStop pendingStop;
    private volatile Consumer<DebugStop> debugListener = s -> { };

    /** Who hears about debug stops (called on the vCPU thread; must not block). */
    public void setDebugListener(Consumer<DebugStop> l) {
        debugListener = l == null ? s -> { } : l;
    }

    /** Stops running guest code at the next instruction boundary; VM time stops too. Any thread. */
    public void pause() {
        pauseRequested = true;
        for (Vcpu v : vcpus) {
            v.engine.requestStop();
            v.wake();
        }
    }

    /** Lets a paused VM run again. Any thread. */
    public void resume() {
        pauseRequested = false;
        for (Vcpu v : vcpus) {
            v.wake();
        }
    }

    /** Executes one instruction of a paused VM (no interrupts delivered), then reports a STEP stop. */
    public void step() {
        stepRequested = true;
        wake();
    }

    /** True once the vCPU has stopped for a pause (or the VM is not running). */
    public boolean isPaused() {
        return paused || vcpuThread == null;
    }

    /** True when a pause was asked for (it may not have taken effect yet). */
    public boolean pauseRequested() {
        return pauseRequested;
    }

    /**
     * Runs {@code action} on the vCPU thread between two instructions and returns its result,
     * so that it sees and changes a consistent machine state; directly when the VM is not
     * running. Throws IllegalStateException if the vCPU does not get to it within 10 s.
     */
    public <T> T onVcpu(java.util.function.Supplier<T> action) {
        Thread t = vcpuThread;
        if (t == null || t == Thread.currentThread()) {
            synchronized (tasks) {
                return action.get();
            }
        }
        java.util.concurrent.FutureTask<T> task = new java.util.concurrent.FutureTask<>(action::get);
        tasks.add(task);
        engine.requestStop();
        wake();
        try {
            return task.get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the vCPU");
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            if (vcpuThread == null) {
                synchronized (tasks) {
                    return action.get();
                }
            }
            throw new IllegalStateException("the vCPU did not answer within 10 s");
        }
    }

    /** Asks for a guest reset, as the reset button does (the supervisor restarts the VM). */
    public void requestReset(String reason) {
        end(0, reason, true);
    }

    /** Raises an NMI at the vCPU, as the monitor's nmi command does (any thread). */
    public void injectNmi() {
        platform.lapic.deliverNmi();
    }

    /** Presses the ACPI power button (the guest decides what to do). */
    public void pressPowerButton() {
        onVcpu(() -> {
            synchronized (io) {   // the lock of the devices behind ports: other vCPUs may be at the PM block
                platform.acpi.pressPowerButton();
            }
            return null;
        });
    }

    /** The stop a debugger hears: the watchpoint the last instruction hit, else {@code otherwise} at CS:EIP. */
    private DebugStop debugStop(DebugStop.Kind otherwise) {
        Cpu.HostWatch w = cpu.hostWatchHit;
        cpu.hostWatchHit = null;
        if (w == null) {
            return new DebugStop(otherwise, cpu.segBase[Cpu.CS] + cpu.eip);
        }
        DebugStop.Kind k = w.onWrite() && !w.onRead() ? DebugStop.Kind.WRITE_WATCH
                : w.onRead() && !w.onWrite() ? DebugStop.Kind.READ_WATCH : DebugStop.Kind.ACCESS_WATCH;
        return new DebugStop(k, cpu.hostWatchAddress);
    }

    private void wake() {
        Thread t = vcpuThread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    private void runTasks() {
        Runnable r;
        while ((r = tasks.poll()) != null) {
            synchronized (tasks) {
                r.run();
            }
        }
    }

    /**
     * Runs queued operator tasks and, while a pause is wanted, holds the vCPU (VM time
     * stopped), running tasks and single steps. Returns an engine exit produced by a step that
     * ended the VM's normal course (a triple fault), or null.
     */
    private ExecutionEngine.Exit serviceControl() {
        runTasks();
        if (!pauseRequested || exitStatus >= 0) {
            return null;
        }
        clock.pause();
        paused = true;
        DebugStop why = pendingStop;
        pendingStop = null;
        debugListener.accept(why != null ? why : new DebugStop(DebugStop.Kind.PAUSED, cpu.segBase[Cpu.CS] + cpu.eip));
        try {
            while (pauseRequested && exitStatus < 0) {
                runTasks();
                if (stepRequested) {
                    stepRequested = false;
                    engine.clearStop();
                    ExecutionEngine.Exit e = engine.stepForDebugger();
                    if (e != ExecutionEngine.Exit.DEBUG && e != ExecutionEngine.Exit.HALTED
                            && e != ExecutionEngine.Exit.STOPPED) {
                        return e;
                    }
                    debugListener.accept(debugStop(DebugStop.Kind.STEP));
                    continue;
                }
                LockSupport.parkNanos(this, 20_000_000L);
            }
        } finally {
            paused = false;
            clock.resume();
            engine.clearStop();
            if (exitStatus >= 0) {
                engine.requestStop();
            }
        }
        return null;
    }

    /** A halted vCPU with interrupts enabled: sleep until a device deadline, host input, or a stop. */
    private void waitForEvent() {
        LocalApic lapic = vcpus.get(0).lapic;
        while (!cpu.interrupts.hasInterrupt() && !cpu.interrupts.nmiPending() && exitStatus < 0 && !pauseRequested
                && tasks.isEmpty() && apExit == null) {
            long now = clock.nanos();
            platform.advance(now);
            lapic.advance(now);
            if (cpu.interrupts.hasInterrupt() || cpu.interrupts.nmiPending()) {
                return;
            }
            long deadline = Math.min(platform.nextDeadline(), lapic.nextDeadline());
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
