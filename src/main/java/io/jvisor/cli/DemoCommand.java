package io.jvisor.cli;

import io.jvisor.vm.VmConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code jvisor demo}: boots the built-in demonstration guest (guests/demo, assembled into
 * the jar) and prints the exit-counter table at the end.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Boot the built-in demo guest: it walks through the software-VMM challenges and reports what it sees.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = {"--memory", "-m"}, paramLabel = "SIZE", converter = MemorySize.class, description = "Guest RAM (default 32M).")
    long memory = 32L << 20;

    @Override
    public Integer call() throws IOException {
        Path tmp = Files.createTempFile("jvisor-demo", ".elf");
        try (InputStream in = DemoCommand.class.getResourceAsStream("/guests/demo.elf")) {
            if (in == null) {
                System.err.println("jvisor: the demo guest is missing from this build");
                return 1;
            }
            Files.write(tmp, in.readAllBytes());
            VmConfig cfg = new VmConfig(memory, tmp, List.of(), "demo", null, null, true);
            int st = RunCommand.runVm(cfg, true, false);
            // the demo ends through the debug-exit port with 0 (status 1) when every check passed
            return st == 1 ? 0 : st;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
