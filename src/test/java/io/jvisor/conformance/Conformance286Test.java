package io.jvisor.conformance;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every SingleStepTests 80286 vector (real mode, hardware-captured) against the
 * interpreter, with the documented exclusion list. Skipped, visibly, where ../shared is absent.
 */
class Conformance286Test {
    static final Path DIR = Path.of("..", "shared", "testdata", "singlesteptests-80286", "v1_real_mode");

    @Test
    void allVectorsPass() throws Exception {
        assumeTrue(Files.isDirectory(DIR), "vector set not present at " + DIR.toAbsolutePath());
        Exclusions ex;
        try (InputStream in = getClass().getResourceAsStream("/conformance/80286-exclusions.txt")) {
            ex = Exclusions.parse(in, "80286-exclusions.txt");
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int failed = Conformance286.runAll(DIR, ex, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, failed, out);
        String summary = out.lines().reduce((a, b) -> b).orElse("");
        // the bulk of the set must actually run: exclusions stay a small minority
        int passed = Integer.parseInt(summary.substring(0, summary.indexOf(' ')));
        assertTrue(passed > 300_000, summary);
    }

    @Test
    void exclusionFileRejectsUnknownRules() {
        var in = new java.io.ByteArrayInputStream("frobnicate 00 *\n".getBytes(StandardCharsets.UTF_8));
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> Exclusions.parse(in, "x"));
        assertTrue(e.getMessage().contains("unknown rule"));
    }
}
