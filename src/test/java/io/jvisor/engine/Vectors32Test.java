package io.jvisor.engine;

import io.jvisor.cpu.Cpu;
import io.jvisor.cpu.Fault;
import io.jvisor.memory.PhysicalMemory;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays the vectors captured natively on this project's x86 host (tools/vectors,
 * src/test/resources/vectors32): one user-mode instruction at CPL 3 in flat 32-bit
 * protected mode, compared with the real processor's registers, flags and memory.
 */
class Vectors32Test {
    private final VectorMachine m = new VectorMachine();
    private final PhysicalMemory mem = m.mem;
    private final Cpu cpu = m.cpu;

    @TestFactory
    Stream<DynamicTest> everyFamily() throws IOException, URISyntaxException {
        Path dir = Path.of(getClass().getResource("/vectors32").toURI());
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".txt.gz")).sorted().toList();
        }
        assertTrue(files.size() >= 30, "vector files missing");
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString().replace(".txt.gz", ""),
                () -> runFile(f)));
    }

    private void runFile(Path f) throws IOException {
        List<String> failures = new ArrayList<>();
        int count = 0;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(f));
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                count++;
                String diff = runLine(line.split(" "));
                if (diff != null && failures.size() < 10) {
                    failures.add(line.substring(0, line.indexOf(' ')) + ": " + diff);
                } else if (diff != null) {
                    failures.add("...");
                }
            }
        }
        assertTrue(count > 0);
        assertEquals(List.of(), failures.stream().distinct().toList(), "failures in " + f.getFileName());
    }

    /** Returns null when the line matches, else what differs. */
    String runLine(String[] f) {
        m.enterUserMode();
        m.load(f);
        Fault fault = m.engine.stepWithoutDelivery();
        int vector = fault == null ? -1 : fault.vector;
        int eip = cpu.eip;
        int[] regs = cpu.r.clone();
        int flags = cpu.getEflags();
        if (fault == null && cpu.cpl == 0) {
            // a trap delivered inside the instruction (INTO): the frame holds the user state
            int sp = cpu.r[Cpu.ESP];
            vector = (mem.read32(sp) == 0 ? -1 : (cpu.eip - VectorMachine.HANDLERS) / 4);
            eip = mem.read32(sp);
            flags = mem.read32(sp + 8);
            regs[Cpu.ESP] = mem.read32(sp + 12);
        }
        StringBuilder d = new StringBuilder();
        VectorMachine.compareRegisters(f, vector, eip, regs, flags, d);
        m.compareWindows(f, d);
        return d.isEmpty() ? null : d.toString().strip();
    }
}
