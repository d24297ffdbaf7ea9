package io.jvisor.cli;

import io.jvisor.conformance.Conformance286;
import io.jvisor.conformance.Exclusions;
import io.jvisor.engine.EngineOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jvisor conformance DIR}: runs per-instruction hardware vectors on either engine. */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = "Run every SingleStepTests MOO vector file in DIR; print a line per failing opcode "
                + "and 'N passed, M failed'. Exit status 0 if nothing failed, 2 if a vector failed, 1 for bad input.")
final class ConformanceCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Directory of XX.MOO.gz files (e.g. ../shared/testdata/singlesteptests-80286/v1_real_mode).")
    Path dir;

    @Option(names = "--exclusions", paramLabel = "FILE",
            description = "Exclusion file (default: the built-in list of documented 286-vs-i686 differences).")
    Path exclusionsFile;

    @Option(names = "--engine", paramLabel = "interp|jit",
            description = "Engine that runs the vectors (default jit: every vector's code is translated before it runs).")
    String engine = "jit";

    @Override
    public Integer call() throws IOException {
        EngineOptions tier = EngineOptions.named(engine);
        if (tier == null) {
            System.err.println("jvisor: --engine must be 'interp' or 'jit', not '" + engine + "'");
            return 1;
        }
        if (tier.jit()) {
            tier = new EngineOptions(true, 0, true, EngineOptions.DEFAULT_MAX_TRANSLATIONS);   // each vector runs once: translate it first
        }
        if (!Files.isDirectory(dir)) {
            System.err.println("jvisor: " + dir + " is not a directory");
            return 1;
        }
        if (Conformance286.files(dir).isEmpty()) {
            System.err.println("jvisor: no *.MOO.gz vector files in " + dir);
            return 1;
        }
        Exclusions ex;
        if (exclusionsFile != null) {
            try (InputStream in = Files.newInputStream(exclusionsFile)) {
                ex = Exclusions.parse(in, exclusionsFile.toString());
            }
        } else {
            try (InputStream in = ConformanceCommand.class.getResourceAsStream("/conformance/80286-exclusions.txt")) {
                ex = Exclusions.parse(in, "80286-exclusions.txt");
            }
        }
        return Conformance286.runAll(dir, ex, System.out, tier) == 0 ? 0 : 2;   // 1 is bad input
    }
}
