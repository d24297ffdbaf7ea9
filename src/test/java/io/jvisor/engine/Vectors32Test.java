package io.jvisor.engine;

import io.jvisor.cpu.Cpu;
import io.jvisor.cpu.Fault;
import io.jvisor.memory.IoBus;
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
import java.util.HexFormat;
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
    static final int CODE = 0x1000, DATA = 0x200000, STACK = 0x300000;
    static final int GDT = 0x100000, IDT = 0x101000, TSS = 0x102000, HANDLERS = 0x103000, STACK0 = 0x180000;

    private final PhysicalMemory mem = new PhysicalMemory(4L << 20);
    private final Cpu cpu = new Cpu(mem, new IoBus());
    private final ExecutionEngine engine = new ExecutionEngine(cpu);

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

    private void setUp() {
        cpu.reset();
        // GDT: null, code0, data0, code3, data3, TSS
        long[] gdt = {0, 0x00cf9b000000ffffL, 0x00cf93000000ffffL, 0x00cffb000000ffffL, 0x00cff3000000ffffL,
            0x0000890000000067L | ((long) (TSS & 0xffffff) << 16)};
        for (int i = 0; i < gdt.length; i++) {
            mem.write64(GDT + 8L * i, gdt[i]);
        }
        for (int v = 0; v < 32; v++) {
            int h = HANDLERS + v * 4;
            mem.write8(h, 0xf4);
            mem.write32(IDT + 8L * v, (h & 0xffff) | (0x08 << 16));
            mem.write32(IDT + 8L * v + 4, (h & 0xffff0000) | 0xee00);
        }
        mem.write32(TSS + 4, STACK0);
        mem.write32(TSS + 8, 0x10);
        mem.write16(TSS + 0x66, 0x68);
        cpu.gdtBase = GDT;
        cpu.gdtLimit = 6 * 8 - 1;
        cpu.idtBase = IDT;
        cpu.idtLimit = 32 * 8 - 1;
        cpu.writeCr(0, cpu.cr0 | Cpu.CR0_PE);
        cpu.setSegmentCache(Cpu.TR, 0x28, TSS, 0x67, 0x8b);
        cpu.setCpl(3);
        cpu.setSegmentCache(Cpu.CS, 0x1b, 0, -1, 0xc0fb);
        for (int s : new int[] {Cpu.SS, Cpu.DS, Cpu.ES, Cpu.FS, Cpu.GS}) {
            cpu.setSegmentCache(s, 0x23, 0, -1, 0xc0f3);
        }
    }

    private static int hex(String s) {
        return Integer.parseUnsignedInt(s, 16);
    }

    /** Returns null when the line matches, else what differs. */
    String runLine(String[] f) {
        setUp();
        byte[] code = HexFormat.of().parseHex(f[0]);
        for (int i = 0; i < 4096; i++) {
            mem.write8(CODE + i, i < code.length ? code[i] : 0xcc);
        }
        byte[] data = HexFormat.of().parseHex(f[10]);
        byte[] stack = HexFormat.of().parseHex(f[11]);
        for (int i = 0; i < 64; i++) {
            mem.write8(DATA + i, data[i]);
            mem.write8(STACK + i, stack[i]);
        }
        for (int k = 0; k < 8; k++) {
            cpu.r[k] = hex(f[1 + k]);
        }
        cpu.setEflags(hex(f[9]));
        cpu.eip = CODE;
        Fault fault = engine.stepWithoutDelivery();
        int vector = fault == null ? -1 : fault.vector;
        int eip = cpu.eip;
        int[] regs = cpu.r.clone();
        int flags = cpu.getEflags();
        if (fault == null && cpu.cpl == 0) {
            // a trap delivered inside the instruction (INTO): the frame holds the user state
            int sp = cpu.r[Cpu.ESP];
            vector = (mem.read32(sp) == 0 ? -1 : (cpu.eip - HANDLERS) / 4);
            eip = mem.read32(sp);
            flags = mem.read32(sp + 8);
            regs[Cpu.ESP] = mem.read32(sp + 12);
        }
        StringBuilder d = new StringBuilder();
        int expVector = Integer.parseInt(f[24], 16);
        int expDelta = Integer.parseInt(f[23], 16);
        if (vector != expVector) {
            d.append(" vector=").append(vector).append(" (expected ").append(expVector).append(')');
        }
        if (eip - CODE != expDelta) {
            d.append(String.format(" eipdelta=%x (expected %x)", eip - CODE, expDelta));
        }
        int regMask = hex(f[26]);
        String[] names = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
        for (int k = 0; k < 8; k++) {
            int exp = hex(f[12 + k]);
            if ((regMask & (1 << k)) != 0 && regs[k] != exp) {
                d.append(String.format(" %s=%08x (expected %08x)", names[k], regs[k], exp));
            }
        }
        int flagMask = hex(f[25]);
        int expFlags = hex(f[20]);
        if (((flags ^ expFlags) & flagMask) != 0) {
            d.append(String.format(" eflags=%08x (expected %08x, mask %x)", flags, expFlags, flagMask));
        }
        byte[] expData = HexFormat.of().parseHex(f[21]);
        byte[] expStack = HexFormat.of().parseHex(f[22]);
        for (int i = 0; i < 64; i++) {
            if ((byte) mem.read8(DATA + i) != expData[i]) {
                d.append(String.format(" [data+%x]=%02x (expected %02x)", i, mem.read8(DATA + i), expData[i]));
            }
            if ((byte) mem.read8(STACK + i) != expStack[i]) {
                d.append(String.format(" [stack+%x]=%02x (expected %02x)", i, mem.read8(STACK + i), expStack[i]));
            }
        }
        return d.isEmpty() ? null : d.toString().strip();
    }
}
