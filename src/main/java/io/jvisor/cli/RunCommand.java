package io.jvisor.cli;

import io.jvisor.boot.BootException;
import io.jvisor.engine.EngineOptions;
import io.jvisor.memory.PhysicalMemory;
import io.jvisor.vm.VirtualMachine;
import io.jvisor.vm.VmConfig;
import io.jvisor.vm.VmExitStatus;
import io.jvisor.vm.VmSupervisor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * {@code jvisor run} (also {@code jvisor -kernel ...}, as qemu-system-i386 is typed): boots
 * one VM from a kernel or a BIOS image and runs it to the end. jvisor's long options and
 * QEMU's single-dash spellings both work; QEMU options for devices jvisor does not have yet
 * are recognised and refused by name.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a VM from a Linux bzImage, a multiboot kernel or a ROM image.",
            "Exit status: 0 clean end, 1 bad input, (V<<1)|1 guest debug-exit, 2 triple fault, 4 hung, "
                + "6 guest panic, 8 reset loop, 10 internal error, 12 ended by a signal."})
final class RunCommand implements Callable<Integer> {
    @Option(names = {"--kernel", "-kernel"}, paramLabel = "FILE",
            description = "Linux bzImage (boot protocol 2.06+) or multiboot kernel (ELF or a.out kludge).")
    Path kernel;

    @Option(names = {"--initrd", "-initrd"}, paramLabel = "FILE", split = ",",
            description = "Linux initrd, or multiboot modules (comma-separated).")
    List<Path> initrd = new ArrayList<>();

    @Option(names = {"--append", "-append"}, paramLabel = "CMDLINE", description = "Kernel command line.")
    String append = "";

    @Option(names = {"--bios", "-bios"}, paramLabel = "FILE",
            description = "ROM image mapped below 1 MiB and 4 GiB; the CPU starts at the reset vector.")
    Path bios;

    @Option(names = {"--memory", "-m"}, paramLabel = "[size=]SIZE",
            description = "Guest RAM (e.g. 128M, 1G; a bare number is MiB). Default: 128M.")
    String memory;

    @Option(names = {"--serial", "-serial"}, paramLabel = "BACKEND",
            description = "COM1: stdio (default; raw terminal, Ctrl-A x quits), mon:stdio (with the monitor on "
                    + "Ctrl-A c), file:PATH (or a bare PATH), none.")
    String serial;

    @Option(names = {"--debugcon", "-debugcon"}, paramLabel = "BACKEND",
            description = "Port 0xe9 output: stdio (default), file:PATH (or a bare PATH), none.")
    String debugcon;

    @Option(names = {"--monitor", "-monitor"}, paramLabel = "BACKEND",
            description = "The monitor: stdio, unix:PATH,server,nowait, none. Default: on Ctrl-A c.")
    String monitor;

    @Option(names = {"--nographic", "-nographic"},
            description = "No display (jvisor has none): COM1 and the monitor share the terminal (mon:stdio).")
    boolean nographic;

    @Option(names = {"--display", "-display"}, paramLabel = "none", description = "Only 'none': jvisor has no display.")
    String display;

    @Option(names = {"--no-reboot", "-no-reboot"}, description = "End the VM when the guest resets.")
    boolean noReboot;

    @Option(names = {"--no-shutdown", "-no-shutdown"},
            description = "When the guest powers off, stop the VM instead of exiting (the monitor stays).")
    boolean noShutdown;

    @Option(names = {"--name", "-name"}, paramLabel = "NAME", description = "The VM's name in messages.")
    String name;

    @Option(names = {"--smp", "-smp"}, paramLabel = "N", description = "vCPUs, 1 to 16 (QEMU's [cpus=]N[,sockets=,"
            + "cores=,threads=]); each runs on a host thread of its own.")
    String smp;

    @Option(names = {"--cpu", "-cpu"}, paramLabel = "MODEL", description = "core2duo or max (the one model).")
    String cpuModel;

    @Option(names = {"--accel", "-accel"}, paramLabel = "tcg|interp",
            description = "tcg (or jit): the translator, the default; interp: the interpreter.")
    String accel;

    @Option(names = {"--machine", "-machine", "-M"}, paramLabel = "pc[,accel=..]", description = "Only pc.")
    String machine;

    @Option(names = "--engine", paramLabel = "interp|jit",
            description = "Execution tier: the decoded-block interpreter, or the translator to JVM bytecode (default).")
    String engine;

    @Option(names = {"-S"}, description = "Do not start the CPU: wait for 'cont' from the monitor or a debugger.")
    boolean startStopped;

    @Option(names = {"-s"}, description = "gdb stub on tcp::1234 (as -gdb tcp::1234).")
    boolean gdbDefault;

    @Option(names = {"--gdb", "-gdb"}, paramLabel = "tcp::PORT", description = "gdb remote stub on a TCP port.")
    String gdb;

    @Option(names = {"-D"}, paramLabel = "FILE", description = "Write the log (-d, --verbose) to FILE.")
    Path logFile;

    @Option(names = {"-d"}, paramLabel = "ITEM,...", description = "Log items: guest_errors, unimp, cpu_reset (help: list).")
    String logItems;

    @Option(names = {"--device", "-device"}, paramLabel = "DEV",
            description = "pvpanic (the guest-panic port 0x505), pc-testdev (QEMU's x86 test device) or pci-testdev (QEMU's PCI test device); other devices"
                    + " are not supported yet.")
    List<String> devices = new ArrayList<>();

    @Option(names = "--clock", paramLabel = "real|deterministic",
            description = "VM time: the host clock (default), or 1 ns per guest instruction with idle time skipped "
                    + "(repeatable runs; the TSC calibrates exactly against the PIT).")
    String clock = "real";

    @Option(names = "--stats", description = "Print exit counters, instructions retired and run time at the end.")
    boolean stats;

    @Option(names = {"--quiet", "-q"}, description = "No start line on standard error.")
    boolean quiet;

    @Option(names = "--verbose", description = "Log device events (POST codes, unclaimed ports): -d guest_errors,unimp.")
    boolean verbose;

    @Option(names = {"-drive", "-hda", "-hdb", "-hdc", "-hdd", "-cdrom", "-fda", "-fdb", "-sd", "-mtdblock",
        "-pflash", "-blockdev", "-snapshot", "-loadvm", "-boot"}, arity = "0..1", hidden = true, paramLabel = "ARG")
    void disks(String value) {
        throw new BadInput("disks are not supported yet (no disk controllers): boot with -kernel and -initrd");
    }

    @Option(names = {"-netdev", "-nic", "-net"}, arity = "0..1", hidden = true, paramLabel = "ARG")
    void network(String value) {
        throw new BadInput("networking is not supported yet (no network devices)");
    }

    @Option(names = {"-vga", "-audiodev", "-soundhw", "-usb", "-usbdevice", "-spice", "-vnc"}, arity = "0..1",
            hidden = true, paramLabel = "ARG")
    void graphics(String value) {
        if (value != null && value.equals("none")) {
            return;
        }
        throw new BadInput("display, sound and USB devices are not supported (jvisor's console is the serial port)");
    }

    @Option(names = {"-chardev", "-object", "-virtfs", "-fsdev", "-incoming", "-icount", "-rtc", "-global",
        "-numa", "-mem-path", "-overcommit"}, hidden = true, paramLabel = "ARG")
    void otherOptions(String value) {
        throw new BadInput("this QEMU option is not supported yet (see jvisor run --help for what is)");
    }

    @Option(names = {"-enable-kvm", "--enable-kvm"}, hidden = true)
    void kvm(boolean on) {
        throw new BadInput("-enable-kvm: KVM is not available: jvisor is a software VMM (-accel tcg is the default)");
    }

    @Parameters(arity = "0..*", hidden = true)
    List<String> positional = new ArrayList<>();

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!positional.isEmpty()) {
            throw new BadInput("unexpected argument '" + positional.get(0) + "' (disk images are not supported yet;"
                    + " boot with -kernel FILE or -bios FILE)");
        }
        if (logItems != null && QemuOptions.logItems(logItems).contains("help")) {
            System.out.println("Log items (-d ITEM,...):");
            QemuOptions.LOG_ITEMS.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                    .forEach(e -> System.out.printf("%-14s %s%n", e.getKey(), e.getValue()));
            return VmExitStatus.CLEAN;
        }
        Set<String> log = logItems == null ? Set.of() : QemuOptions.logItems(logItems);
        if (verbose) {
            log = Set.of("guest_errors", "unimp", "cpu_reset");
        }
        if (kernel == null && !initrd.isEmpty()) {
            throw new BadInput("-initrd is only allowed with -kernel");
        }
        if (kernel == null && !append.isEmpty()) {
            throw new BadInput("-append is only allowed with -kernel");
        }
        long ram = memory == null ? VmConfig.DEFAULT_MEMORY : MemorySize.parse(QemuOptions.memorySize(memory));
        if (display != null) {
            QemuOptions.checkDisplay(display);
        }
        int cpus = smp == null ? 1 : QemuOptions.smp(smp);
        if (cpuModel != null) {
            QemuOptions.checkCpu(cpuModel);
        }
        String engineName = "jit";
        String machineAccel = machine == null ? null : QemuOptions.machine(machine);
        if (machineAccel != null) {
            engineName = QemuOptions.engineForAccel(machineAccel);
        }
        if (accel != null) {
            engineName = QemuOptions.engineForAccel(accel);
        }
        if (engine != null) {
            engineName = engine;
        }
        EngineOptions tier = EngineOptions.named(engineName);
        if (tier == null) {
            throw new BadInput("--engine must be 'interp' or 'jit', not '" + engineName + "'");
        }
        if (!clock.equals("real") && !clock.equals("deterministic")) {
            throw new BadInput("--clock must be 'real' or 'deterministic', not '" + clock + "'");
        }
        if (clock.equals("deterministic") && cpus > 1) {
            throw new BadInput("--clock deterministic needs -smp 1: several vCPUs interleave as the host schedules"
                    + " their threads, so runs cannot repeat exactly");
        }
        boolean pvpanic = false, pcTestdev = false, pciTestdev = false;
        for (String d : devices) {
            String type = QemuOptions.props(d, "driver").getOrDefault("driver", "");
            if (type.equals("pvpanic")) {
                pvpanic = true;
            } else if (type.equals("pc-testdev")) {
                pcTestdev = true;
            } else if (type.equals("pci-testdev")) {
                pciTestdev = true;
            } else {
                throw new BadInput("-device " + type + " is not supported yet (available: pvpanic, pc-testdev,"
                        + " pci-testdev)");
            }
        }
        int gdbPort = -1;
        if (gdbDefault) {
            gdbPort = GdbStub.DEFAULT_PORT;
        }
        if (gdb != null) {
            gdbPort = GdbStub.parsePort(gdb);
        }
        CharBackend serialTo = serial != null ? CharBackend.parse("-serial", serial, false)
                : nographic ? new CharBackend(CharBackend.Kind.MON_STDIO, null) : CharBackend.STDIO;
        CharBackend debugTo = debugcon == null ? CharBackend.STDIO : CharBackend.parse("-debugcon", debugcon, false);
        if (debugTo.kind() == CharBackend.Kind.MON_STDIO) {
            throw new BadInput("-debugcon mon:stdio: the monitor shares the terminal with the serial port only");
        }
        CharBackend monitorTo = monitor == null ? null : CharBackend.parse("-monitor", monitor, true);
        if (monitorTo != null && monitorTo.kind() == CharBackend.Kind.FILE) {
            throw new BadInput("-monitor " + monitor + ": the monitor needs stdio or unix:PATH,server,nowait");
        }
        if (monitorTo != null && monitorTo.kind() == CharBackend.Kind.MON_STDIO) {
            monitorTo = CharBackend.STDIO;
        }
        boolean monitorOnStdio = monitorTo != null && monitorTo.kind() == CharBackend.Kind.STDIO;
        if (monitorOnStdio && serialTo.kind() == CharBackend.Kind.MON_STDIO) {
            throw new BadInput("-monitor stdio and -serial mon:stdio both want the terminal's input; use one");
        }
        Path serialFile = switch (serialTo.kind()) {
            case FILE -> serialTo.path();
            case NONE -> Path.of("/dev/null");
            default -> null;
        };
        Path debugFile = switch (debugTo.kind()) {
            case FILE -> debugTo.path();
            case NONE -> Path.of("/dev/null");
            default -> null;
        };
        VmConfig cfg = new VmConfig(ram, kernel, initrd, append, bios, debugFile, noReboot, serialFile,
                clock.equals("deterministic"), tier, name, pvpanic, cpus, pcTestdev, pciTestdev);
        Launch launch = new Launch(cfg, stats, log, logFile, serialFile == null && !monitorOnStdio, quiet, monitorTo,
                startStopped, noShutdown, gdbPort);
        return launch.run();
    }

    /** Runs the configuration with the given front-end settings (used by {@code demo} too). */
    record Launch(VmConfig cfg, boolean stats, Set<String> log, Path logFile, boolean attachTerminal, boolean quiet,
                  CharBackend monitor, boolean startPaused, boolean noShutdown, int gdbPort) {
        /** A plain run: no monitor backend of its own, no debugger. */
        Launch(VmConfig cfg, boolean stats, Set<String> log, Path logFile, boolean attachTerminal, boolean quiet) {
            this(cfg, stats, log, logFile, attachTerminal, quiet, null, false, false, -1);
        }

        int run() {
            PrintStream logOut = System.err;
            if (logFile != null) {
                try {
                    logOut = new PrintStream(Files.newOutputStream(logFile), true);
                } catch (IOException e) {
                    throw new BadInput("-D " + logFile + ": cannot write the log file (" + io.jvisor.vm.IoErrors.reason(e) + ")");
                }
            }
            PrintStream logTo = logOut;
            boolean deviceLog = log.contains("guest_errors") || log.contains("unimp");
            Consumer<String> deviceEvents = msg -> {
                if (deviceLog) {
                    logTo.println("jvisor: " + msg);
                }
            };
            try {
                return new Session(this, logTo, deviceEvents).run();
            } finally {
                if (logTo != System.err) {
                    logTo.close();
                }
            }
        }
    }

    static String describeRam(long bytes) {
        return bytes % (1L << 30) == 0 ? (bytes >> 30) + " GiB" : (bytes >> 20) + " MiB";
    }

    /** The memory-size range jvisor accepts, for messages. */
    static String ramRange() {
        return "2M to " + (PhysicalMemory.MAX_RAM >> 20) + "M";
    }

    /** One supervised run: the console, signals, the start line, stats. */
    private static final class Session implements VmSupervisor.Listener {
        private final Launch launch;
        private final PrintStream log;
        private final VmSupervisor supervisor;
        private TerminalConsole console;
        private ConsoleInput input;

        Session(Launch launch, PrintStream log, Consumer<String> deviceEvents) {
            this.launch = launch;
            this.log = log;
            this.supervisor = new VmSupervisor(launch.cfg(), System.out, deviceEvents, this);
        }

        int run() {
            supervisor.startPaused(launch.startPaused());
            supervisor.holdOnPowerOff(launch.noShutdown());
            Monitor monitor = new Monitor(supervisor);
            CharBackend m = launch.monitor();
            UnixMonitorServer unixMonitor = null;
            GdbStub gdb = null;
            SignalStop signals = SignalStop.install(supervisor);
            input = launch.attachTerminal() ? new ConsoleInput(supervisor) : null;
            try {
                if (input != null) {
                    // the monitor is on Ctrl-A c unless it has a backend of its own
                    ConsoleMux mux = new ConsoleMux(input, m == null ? monitor : null, System.out);
                    console = TerminalConsole.forStdin(mux, () -> supervisor.stop(VmExitStatus.CLEAN,
                            "quit from the console"), mux::toggle).start();
                }
                if (m != null && m.kind() == CharBackend.Kind.STDIO) {
                    MonitorSession.start(monitor, System.in, System.out, "jvisor-monitor-stdio");
                } else if (m != null && m.kind() == CharBackend.Kind.UNIX) {
                    unixMonitor = new UnixMonitorServer(m.path(), monitor);
                    if (!m.noWait()) {
                        unixMonitor.awaitClient();
                    }
                }
                if (launch.gdbPort() >= 0) {
                    gdb = new GdbStub(supervisor, launch.gdbPort());
                }
                VmExitStatus st;
                try {
                    st = supervisor.run();
                } catch (BootException e) {
                    throw new BadInput(e.getMessage());
                }
                System.out.flush();
                if (console != null) {
                    console.close();
                }
                if (st.abnormal() || st.status() == VmExitStatus.BAD_INPUT && st.reason().startsWith("cannot")) {
                    System.err.println("jvisor: VM stopped: " + st.reason());
                    if (!st.report().isEmpty()) {
                        System.err.println(st.report());
                    }
                }
                return st.status();
            } finally {
                if (console != null) {
                    console.close();
                }
                if (unixMonitor != null) {
                    unixMonitor.close();
                }
                if (gdb != null) {
                    gdb.close();
                }
                signals.uninstall();
            }
        }

        @Override
        public void started(VirtualMachine vm, int boot) {
            if (input != null) {
                input.flushPending();
            }
            if (boot == 1 && !launch.quiet()) {
                VmConfig c = launch.cfg();
                String who = c.name() == null ? "VM" : "VM '" + QemuOptions.props(c.name(), "guest").get("guest") + "'";
                System.err.println("jvisor: starting " + who + ": " + vm.bootDescription() + ", "
                        + describeRam(c.memoryBytes()) + " RAM, " + (c.cpus() > 1 ? c.cpus() + " vCPUs, " : "")
                        + c.engine().name() + " engine"
                        + (console != null && console.interactive() ? " (Ctrl-A h: help, Ctrl-A x: quit)" : ""));
            }
        }

        @Override
        public void ended(VirtualMachine vm, VmExitStatus st, long runNanos) {
            if (st.reset() && launch.log().contains("cpu_reset")) {
                log.println("jvisor: " + st.reason() + "; CPU state before the reset:");
                log.println(io.jvisor.engine.CpuReport.registers(vm.cpu()));
            }
            if (launch.stats()) {
                System.err.print(StatsTable.render(vm.cpus(), runNanos, vm.engine()));
                System.err.print(StatsTable.renderEngine(vm.engine()));
            }
        }
    }
}
