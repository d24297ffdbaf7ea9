package io.jvisor.cli;

import io.jvisor.vm.VmConfig;
import io.jvisor.vm.VmExitStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code jvisor demo}: boots the built-in demonstration guest (guests/demo, assembled into
 * the jar); {@code --stats} adds the exit-counter table at the end.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Boot the built-in demo guest: it walks through the software-VMM challenges and reports what it sees.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = {"--memory", "-m"}, paramLabel = "SIZE", description = "Guest RAM (default 32M).")
    String memory = "32M";

    @Option(names = "--stats", description = "Print exit counters, instructions retired and run time at the end.")
    boolean stats;

    @Override
    public Integer call() throws IOException {
        long ram = MemorySize.parse(memory);
        Path tmp = Files.createTempFile("jvisor-demo", ".elf");
        try (InputStream in = DemoCommand.class.getResourceAsStream("/guests/demo.elf")) {
            if (in == null) {
                System.err.println("jvisor: the demo guest is missing from this build");
                return VmExitStatus.INTERNAL_ERROR;
            }
            Files.write(tmp, in.readAllBytes());
            VmConfig cfg = new VmConfig(ram, tmp, List.of(), "", null, null, true).withName("demo");
            int st = new RunCommand.Launch(cfg, stats, Set.of(), null, false, true).run();
            // the demo ends through the debug-exit port with 0 (status 1) when every check passed
            return st == 1 ? VmExitStatus.CLEAN : st;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
