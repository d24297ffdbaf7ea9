package io.jvisor.cli;

import io.jvisor.boot.BootException;
import io.jvisor.engine.EngineOptions;
import io.jvisor.vm.VirtualMachine;
import io.jvisor.vm.VmConfig;
import io.jvisor.vm.VmExitStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code jvisor run}: boots one VM from a kernel or a BIOS image and runs it to the end. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a VM. Exits with the guest's debug-exit status, 0 on a clean end, or an error status.")
final class RunCommand implements Callable<Integer> {
    @Option(names = {"--kernel", "-kernel"}, paramLabel = "FILE", description = "Multiboot kernel (ELF or a.out kludge).")
    Path kernel;

    @Option(names = {"--initrd", "-initrd"}, paramLabel = "FILE", split = ",",
            description = "Multiboot modules (comma-separated).")
    List<Path> initrd = new ArrayList<>();

    @Option(names = {"--append", "-append"}, paramLabel = "CMDLINE", description = "Kernel command line.")
    String append = "";

    @Option(names = {"--bios", "-bios"}, paramLabel = "FILE",
            description = "ROM image mapped below 1 MiB and 4 GiB; the CPU starts at the reset vector.")
    Path bios;

    @Option(names = {"--memory", "-m"}, paramLabel = "SIZE", converter = MemorySize.class,
            description = "Guest RAM (e.g. 128M, 1G; a bare number is MiB). Default: 128M.")
    long memory = VmConfig.DEFAULT_MEMORY;

    @Option(names = {"--debugcon", "-debugcon"}, paramLabel = "FILE",
            description = "Where port 0xe9 output goes (default: standard output).")
    Path debugcon;

    @Option(names = "--no-reboot", description = "End the VM when the guest resets instead of restarting it.")
    boolean noReboot;

    @Option(names = {"--serial", "-serial"}, paramLabel = "stdio|FILE|none",
            description = "Where COM1 goes: the terminal (default; raw mode, Ctrl-A x quits), a file, or nowhere.")
    String serial = "stdio";

    @Option(names = "--clock", paramLabel = "real|deterministic",
            description = "VM time: the host clock (default), or 1 ns per guest instruction with idle time skipped "
                    + "(repeatable runs; the TSC calibrates exactly against the PIT).")
    String clock = "real";

    @Option(names = "--stats", description = "Print exit counters, instructions retired and run time at the end.")
    boolean stats;

    @Option(names = "--engine", paramLabel = "interp|jit",
            description = "Execution tier: the decoded-block interpreter, or the translator to JVM bytecode (default).")
    String engine = "jit";

    @Option(names = "--verbose", description = "Log device events (POST codes, unclaimed ports).")
    boolean verbose;

    @Override
    public Integer call() {
        if (debugcon != null && debugcon.toString().equals("stdio")) {
            debugcon = null;
        }
        Path serialFile = null;
        boolean serialToTerminal = serial.equals("stdio");
        if (serial.equals("none")) {
            serialFile = Path.of("/dev/null");
        } else if (!serialToTerminal) {
            serialFile = Path.of(serial);
        }
        if (!clock.equals("real") && !clock.equals("deterministic")) {
            System.err.println("jvisor: --clock must be 'real' or 'deterministic', not '" + clock + "'");
            return 2;
        }
        EngineOptions tier = EngineOptions.named(engine);
        if (tier == null) {
            System.err.println("jvisor: --engine must be 'interp' or 'jit', not '" + engine + "'");
            return 2;
        }
        VmConfig cfg = new VmConfig(memory, kernel, initrd, append, bios, debugcon, noReboot, serialFile,
                clock.equals("deterministic"), tier);
        return runVm(cfg, stats, verbose, serialToTerminal);
    }

    static int runVm(VmConfig cfg, boolean stats, boolean verbose) {
        return runVm(cfg, stats, verbose, false);
    }

    /** Runs the VM (restarting it when the guest resets, unless --no-reboot) and returns the exit status. */
    static int runVm(VmConfig cfg, boolean stats, boolean verbose, boolean attachTerminal) {
        while (true) {
            VirtualMachine vm;
            try {
                vm = VirtualMachine.create(cfg, System.out, msg -> {
                    if (verbose) {
                        System.err.println("jvisor: " + msg);
                    }
                });
            } catch (BootException e) {
                System.err.println("jvisor: " + e.getMessage());
                return 1;
            }
            TerminalConsole console = null;
            VmExitStatus st;
            long t0 = System.nanoTime(), t1;
            try (vm) {
                if (attachTerminal) {
                    console = TerminalConsole.forStdin(vm.serialPort(), () -> vm.stop("quit from the console")).start();
                }
                st = vm.run();
                t1 = System.nanoTime();
                System.out.flush();
                if (console != null) {
                    console.close();
                }
                if (st.status() == VmExitStatus.SHUTDOWN || st.status() == VmExitStatus.INTERNAL_ERROR
                        || st.status() == VmExitStatus.HUNG) {
                    System.err.println("jvisor: VM stopped: " + st.reason());
                    if (!st.report().isEmpty()) {
                        System.err.println(st.report());
                    }
                }
                if (stats) {
                    System.err.print(StatsTable.render(vm.cpu(), t1 - t0, vm.engine()));
                    System.err.print(StatsTable.renderEngine(vm.engine()));
                }
            }
            if (!st.reset()) {
                return st.status();
            }
            if (verbose) {
                System.err.println("jvisor: " + st.reason() + "; restarting the VM");
            }
        }
    }
}
