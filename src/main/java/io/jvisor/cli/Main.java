package io.jvisor.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jvisor} command. */
@Command(name = "jvisor", mixinStandardHelpOptions = true, version = "jvisor 0.1.0",
        description = "A software virtual machine monitor for x86 guests, in pure Java.",
        subcommands = {RunCommand.class, DemoCommand.class, ConformanceCommand.class})
public final class Main implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit status (bad usage: one line on stderr, status 2). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, a) -> {
            System.err.println("jvisor: " + ex.getMessage());
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            System.err.println("jvisor: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            return 1;
        });
        return cl.execute(args);
    }
}
