package io.jvisor.cli;

import io.jvisor.vm.VmExitStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.Set;

/**
 * The {@code jvisor} command. Options without a command run a VM, as qemu-system-i386 is
 * typed ({@code jvisor -kernel bzImage -m 256M} is {@code jvisor run -kernel ...}). Single-dash
 * options are never clustered: {@code -hda} is one option, never -h -d -a.
 */
@Command(name = "jvisor", mixinStandardHelpOptions = true, version = "jvisor 0.1.0",
        description = {"A software virtual machine monitor for x86 guests, in pure Java.",
            "Options without a command run a VM, as with qemu-system-i386: jvisor -kernel bzImage -m 256M ..."},
        subcommands = {RunCommand.class, DemoCommand.class, ConformanceCommand.class})
public final class Main implements Runnable {
    private static final Set<String> OWN_OPTIONS = Set.of("-h", "--help", "-V", "--version");

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit status (bad input: one line on stderr, status 1). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setPosixClusteredShortOptionsAllowed(false);
        if (args.length == 0) {
            cl.usage(System.err);
            return VmExitStatus.BAD_INPUT;
        }
        if (!OWN_OPTIONS.contains(args[0]) && !cl.getSubcommands().containsKey(args[0])) {
            String[] run = new String[args.length + 1];
            run[0] = "run";
            System.arraycopy(args, 0, run, 1, args.length);
            args = run;
        }
        cl.setParameterExceptionHandler((ex, a) -> {
            BadInput bad = badInput(ex);
            String hint = ex.getCommandLine() == null ? "jvisor --help"
                    : ex.getCommandLine().getCommandSpec().qualifiedName() + " --help";
            System.err.println("jvisor: " + (bad != null ? bad.getMessage() : ex.getMessage() + " (see " + hint + ")"));
            return VmExitStatus.BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            BadInput bad = badInput(ex);
            if (bad != null) {
                System.err.println("jvisor: " + bad.getMessage());
                return VmExitStatus.BAD_INPUT;
            }
            System.err.println("jvisor: internal error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            return VmExitStatus.INTERNAL_ERROR;
        });
        return cl.execute(args);
    }

    private static BadInput badInput(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof BadInput b) {
                return b;
            }
        }
        return null;
    }
}
