package io.jvisor.conformance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reader for the MOO v1 per-instruction test format of the SingleStepTests suites
 * (chunked, little-endian; see ../shared/testdata/singlesteptests-80286/README.md).
 */
public final class MooFile {
    /** Register order of REGS chunks: ax bx cx dx cs ss ds es sp bp si di ip flags. */
    public static final String[] REG_NAMES = {"ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di",
        "ip", "flags"};
    public static final int NREGS = 14;

    /** A register set: value per register, and which are present. */
    public record Regs(int[] values, boolean[] present) { }

    /** One memory byte. */
    public record Ram(long[] addresses, int[] values) { }

    public record State(Regs regs, Regs mask, Ram ram) { }

    public record Test(int index, String name, byte[] bytes, State initial, State fin, int exception,
                       long exceptionFlagsAddress, String hash) { }

    public final String cpu;
    public final List<Test> tests;
    /** File-wide register masks (RMSK at top level), or null. */
    public final Regs fileMask;

    private MooFile(String cpu, List<Test> tests, Regs fileMask) {
        this.cpu = cpu;
        this.tests = tests;
        this.fileMask = fileMask;
    }

    public static MooFile read(Path path) throws IOException {
        byte[] data;
        try (InputStream in = path.toString().endsWith(".gz") ? new GZIPInputStream(Files.newInputStream(path))
                : Files.newInputStream(path)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            data = out.toByteArray();
        }
        return parse(data, path.getFileName().toString());
    }

    static MooFile parse(byte[] data, String what) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        String cpu = "";
        Regs fileMask = null;
        List<Test> tests = new ArrayList<>();
        try {
            while (b.remaining() >= 8) {
                String id = id(b);
                int len = b.getInt();
                int end = b.position() + len;
                switch (id) {
                    case "MOO " -> {
                        b.position(b.position() + 8);
                        byte[] c = new byte[4];
                        b.get(c);
                        cpu = new String(c, StandardCharsets.US_ASCII);
                    }
                    case "RMSK" -> fileMask = regs(b);
                    case "TEST" -> tests.add(test(b, end));
                    default -> { }
                }
                b.position(end);
            }
        } catch (RuntimeException e) {
            throw new IOException(what + ": malformed MOO data (" + e.getMessage() + ")");
        }
        return new MooFile(cpu, tests, fileMask);
    }

    private static String id(ByteBuffer b) {
        byte[] c = new byte[4];
        b.get(c);
        return new String(c, StandardCharsets.US_ASCII);
    }

    private static Test test(ByteBuffer b, int end) {
        int index = b.getInt();
        String name = "";
        byte[] bytes = new byte[0];
        State init = null, fin = null;
        int exc = -1;
        long excAddr = -1;
        String hash = "";
        while (b.position() < end) {
            String id = id(b);
            int len = b.getInt();
            int cend = b.position() + len;
            switch (id) {
                case "NAME" -> {
                    byte[] s = new byte[b.getInt()];
                    b.get(s);
                    name = new String(s, StandardCharsets.US_ASCII);
                }
                case "BYTS" -> {
                    bytes = new byte[b.getInt()];
                    b.get(bytes);
                }
                case "INIT" -> init = state(b, cend);
                case "FINA" -> fin = state(b, cend);
                case "EXCP" -> {
                    exc = b.get() & 0xff;
                    excAddr = b.getInt() & 0xffffffffL;
                }
                case "HASH" -> {
                    byte[] h = new byte[20];
                    b.get(h);
                    hash = HexFormat.of().formatHex(h);
                }
                default -> { }
            }
            b.position(cend);
        }
        return new Test(index, name, bytes, init, fin, exc, excAddr, hash);
    }

    private static State state(ByteBuffer b, int end) {
        Regs regs = null, mask = null;
        Ram ram = new Ram(new long[0], new int[0]);
        while (b.position() < end) {
            String id = id(b);
            int len = b.getInt();
            int cend = b.position() + len;
            switch (id) {
                case "REGS" -> regs = regs(b);
                case "RMSK" -> mask = regs(b);
                case "RAM " -> {
                    int n = b.getInt();
                    long[] a = new long[n];
                    int[] v = new int[n];
                    for (int k = 0; k < n; k++) {
                        a[k] = b.getInt() & 0xffffffffL;
                        v[k] = b.get() & 0xff;
                    }
                    ram = new Ram(a, v);
                }
                default -> { }
            }
            b.position(cend);
        }
        return new State(regs, mask, ram);
    }

    private static Regs regs(ByteBuffer b) {
        int bits = b.getShort() & 0xffff;
        int[] v = new int[NREGS];
        boolean[] p = new boolean[NREGS];
        for (int k = 0; k < NREGS; k++) {
            if ((bits & (1 << k)) != 0) {
                v[k] = b.getShort() & 0xffff;
                p[k] = true;
            }
        }
        return new Regs(v, p);
    }
}
