package io.jvisor.devices;

import io.jvisor.memory.PhysicalMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AcpiTablesTest {
    static final long RAM = 128L << 20;
    PhysicalMemory mem;
    AcpiTables tables;

    @BeforeEach
    void setUp() {
        mem = new PhysicalMemory(RAM);
        tables = new AcpiTables(RAM);
    }

    @AfterEach
    void tearDown() {
        mem.close();
    }

    // ---- reading guest memory ----

    String sig(long pa, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) mem.read8(pa + i);
        }
        return new String(b, StandardCharsets.US_ASCII);
    }

    int sum(long pa, int len) {
        int s = 0;
        for (int i = 0; i < len; i++) {
            s += mem.read8(pa + i);
        }
        return s & 0xff;
    }

    long u32(long pa) {
        return mem.read32(pa) & 0xffff_ffffL;
    }

    byte[] bytes(long pa, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) mem.read8(pa + i);
        }
        return b;
    }

    /** What Linux's acpi_find_root_pointer does over 0xE0000-0xFFFFF. */
    long scanForRsdp() {
        for (long pa = 0xe0000; pa < 0x100000; pa += 16) {
            if (sig(pa, 8).equals("RSD PTR ") && sum(pa, 20) == 0) {
                return pa;
            }
        }
        return -1;
    }

    /** Checks a standard table header and checksum; returns its length. */
    int checkTable(long pa, String signature) {
        assertEquals(signature, sig(pa, 4));
        int len = (int) u32(pa + 4);
        assertTrue(len >= 36, signature + " length");
        assertEquals(0, sum(pa, len), signature + " checksum");
        assertEquals("JVISOR", sig(pa + 10, 6));
        assertEquals("JVISORPC", sig(pa + 16, 8));
        return len;
    }

    // ---- tests ----

    @Test
    void rsdpFoundByLinuxScan() {
        AcpiTables.Layout l = tables.install(mem);
        long rsdp = scanForRsdp();
        assertEquals(l.rsdp(), rsdp);
        assertEquals(0xe0000, rsdp);
        assertEquals(0, sum(rsdp, 20), "ACPI 1.0 checksum");
        assertEquals(0, sum(rsdp, 36), "extended checksum");
        assertEquals(2, mem.read8(rsdp + 15), "revision 2");
        assertEquals(36, u32(rsdp + 20));
        assertEquals(l.rsdt(), u32(rsdp + 16));
        assertEquals(l.xsdt(), mem.read64(rsdp + 24));
        assertEquals("JVISOR", sig(rsdp + 9, 6));
    }

    @Test
    void rsdtAndXsdtListOnlyTheFadt() {
        AcpiTables.Layout l = tables.install(mem);
        assertEquals(40, checkTable(l.rsdt(), "RSDT"));
        assertEquals(l.fadt(), u32(l.rsdt() + 36));
        assertEquals(44, checkTable(l.xsdt(), "XSDT"));
        assertEquals(l.fadt(), mem.read64(l.xsdt() + 36));
        // no MADT anywhere: Linux must stay with the 8259
        for (long pa = l.reserved().getFirst().start(); pa < l.reserved().getFirst().end(); pa++) {
            assertNotEquals("APIC", sig(pa, 4));
        }
    }

    @Test
    void fadtDescribesAcpiPm() {
        AcpiTables.Layout l = tables.install(mem);
        long f = l.fadt();
        assertEquals(244, checkTable(f, "FACP"));
        assertEquals(3, mem.read8(f + 8), "revision");
        assertEquals(l.facs(), u32(f + 36));
        assertEquals(l.dsdt(), u32(f + 40));
        assertEquals(9, mem.read16(f + 46), "SCI_INT");
        assertEquals(0, u32(f + 48), "SMI_CMD: always ACPI mode");
        assertEquals(0x600, u32(f + 56), "PM1a_EVT_BLK");
        assertEquals(0, u32(f + 60), "PM1b_EVT_BLK");
        assertEquals(0x604, u32(f + 64), "PM1a_CNT_BLK");
        assertEquals(0, u32(f + 68), "PM1b_CNT_BLK");
        assertEquals(0x608, u32(f + 76), "PM_TMR_BLK");
        assertEquals(0, u32(f + 80), "GPE0_BLK");
        assertEquals(4, mem.read8(f + 88), "PM1_EVT_LEN");
        assertEquals(2, mem.read8(f + 89), "PM1_CNT_LEN");
        assertEquals(4, mem.read8(f + 91), "PM_TMR_LEN");
        assertEquals(0x0003, mem.read16(f + 109), "IAPC_BOOT_ARCH: legacy devices, 8042");
        int flags = mem.read32(f + 112);
        assertTrue((flags & 1 << 10) != 0, "RESET_REG_SUP");
        assertEquals(0, flags & 1 << 8, "24-bit timer: TMR_VAL_EXT clear");
        assertEquals(0, flags & 1 << 4, "fixed power button");
        assertTrue((flags & 1) != 0, "WBINVD");
        // RESET_REG: system I/O, 8 bits, port 0xCF9; RESET_VALUE 6
        assertEquals(1, mem.read8(f + 116));
        assertEquals(8, mem.read8(f + 117));
        assertEquals(0, mem.read8(f + 118));
        assertEquals(0xcf9, mem.read64(f + 120));
        assertEquals(0x06, mem.read8(f + 128));
        // 64-bit fields agree with the 32-bit ones
        assertEquals(l.facs(), mem.read64(f + 132));
        assertEquals(l.dsdt(), mem.read64(f + 140));
        assertGas(f + 148, 32, 0x600);
        assertGas(f + 172, 16, 0x604);
        assertGas(f + 208, 32, 0x608);
        assertEquals(0, mem.read64(f + 160 + 4), "X_PM1b_EVT_BLK");
        assertEquals(0, mem.read64(f + 220 + 4), "X_GPE0_BLK");
    }

    void assertGas(long pa, int bits, long address) {
        assertEquals(1, mem.read8(pa), "system I/O");
        assertEquals(bits, mem.read8(pa + 1));
        assertEquals(address, mem.read64(pa + 4));
    }

    @Test
    void facs() {
        AcpiTables.Layout l = tables.install(mem);
        assertEquals(0, l.facs() & 63, "64-byte aligned");
        assertEquals("FACS", sig(l.facs(), 4));
        assertEquals(64, u32(l.facs() + 4));
        assertEquals(0, u32(l.facs() + 16), "global lock free");
        assertEquals(1, mem.read8(l.facs() + 32), "version");
    }

    @Test
    void layoutFitsTheReservedRange() {
        AcpiTables.Layout l = tables.install(mem);
        assertEquals(1, l.reserved().size());
        AcpiTables.Range r = l.reserved().getFirst();
        assertEquals(0xe0000, r.start());
        assertTrue(r.end() <= 0xe1000, "under 4 KiB: " + Long.toHexString(r.end()));
        int dsdtLen = (int) u32(l.dsdt() + 4);
        for (long[] t : new long[][] {{l.rsdp(), 36}, {l.rsdt(), 40}, {l.xsdt(), 44}, {l.fadt(), 244},
                                      {l.facs(), 64}, {l.dsdt(), dsdtLen}}) {
            assertTrue(t[0] >= r.start() && t[0] + t[1] <= r.end());
        }
        // tables do not overlap each other
        long[][] spans = {{l.rsdp(), 36}, {l.facs(), 64}, {l.fadt(), 244}, {l.rsdt(), 40}, {l.xsdt(), 44}, {l.dsdt(), dsdtLen}};
        for (int i = 1; i < spans.length; i++) {
            assertTrue(spans[i - 1][0] + spans[i - 1][1] <= spans[i][0]);
        }
    }

    @Test
    void splitPlacementAtTopOfRam() {
        long top = RAM - 0x10000;
        AcpiTables.Layout l = tables.install(mem, 0xf0000, top);
        assertEquals(0xf0000, scanForRsdp());
        assertEquals(List.of(new AcpiTables.Range(0xf0000, 0xf0040), new AcpiTables.Range(top, l.reserved().get(1).end())),
                l.reserved());
        assertTrue(l.reserved().get(1).end() <= RAM);
        assertEquals(top, l.facs());
        checkTable(l.fadt(), "FACP");
        checkTable(l.dsdt(), "DSDT");
        assertEquals(l.dsdt(), u32(l.fadt() + 40));
        assertEquals(l.rsdt(), u32(0xf0000 + 16));
        assertThrows(IllegalArgumentException.class, () -> tables.build(0xf0008, top));
        assertThrows(IllegalArgumentException.class, () -> tables.build(0xf0000, top + 16));
        assertThrows(IllegalArgumentException.class, () -> tables.build(top + 0x100, top));
    }

    @Test
    void dsdtParsesAndSaysWhatAcpiPmDecodes() {
        AcpiTables.Layout l = tables.install(mem);
        int len = checkTable(l.dsdt(), "DSDT");
        assertEquals(2, mem.read8(l.dsdt() + 8), "revision 2: 64-bit integers");
        byte[] aml = bytes(l.dsdt() + 36, len - 36);
        Map<String, Object> ns = new AmlReader(aml).parse();

        assertEquals(List.of(5L, 5L, 0L, 0L), ns.get("\\_S5_"));
        assertEquals((long) AcpiPm.SLP_TYP_S5, ((List<?>) ns.get("\\_S5_")).getFirst());
        assertEquals(List.of(0L, 0L, 0L, 0L), ns.get("\\_S0_"));
        assertEquals(0x030a_d041L, ns.get("\\_SB_.PCI0._HID"));
        assertEquals(0L, ns.get("\\_SB_.PCI0._UID"));
        assertEquals(List.of("\\_S0_", "\\_S5_", "\\_SB_.PCI0", "\\_SB_.PCI0._HID", "\\_SB_.PCI0._UID",
                "\\_SB_.PCI0._CRS", "\\_SB_.PCI0._PRT"), List.copyOf(ns.keySet()));
    }

    @Test
    void prtMatchesTheBridgeRouting() {
        Map<String, Object> ns = new AmlReader(dsdtAml()).parse();
        List<?> prt = assertInstanceOf(List.class, ns.get("\\_SB_.PCI0._PRT"));
        assertEquals(128, prt.size());
        for (int i = 0; i < 128; i++) {
            int slot = i / 4;
            int pin = i % 4;
            assertEquals(List.of((long) slot << 16 | 0xffff, (long) pin, 0L, (long) PciHostBridge.intxIrq(slot, pin)),
                    prt.get(i));
        }
    }

    @Test
    void crsDescribesTheRootBridgeWindows() {
        Map<String, Object> ns = new AmlReader(dsdtAml()).parse();
        byte[] crs = assertInstanceOf(byte[].class, ns.get("\\_SB_.PCI0._CRS"));
        List<String> found = new ArrayList<>();
        int p = 0;
        while (true) {
            int tag = crs[p] & 0xff;
            if (tag == 0x79) {                                   // small end tag, length 1
                assertEquals(p + 2, crs.length, "end tag is last");
                break;
            }
            if (tag == 0x47) {                                   // small I/O port descriptor, length 7
                found.add(String.format("io %x-%x", le(crs, p + 2, 2), le(crs, p + 4, 2) + (crs[p + 7] & 0xff) - 1));
                p += 8;
            } else if (tag == 0x88 || tag == 0x87) {             // large word/dword address space
                int n = (int) le(crs, p + 1, 2);
                int w = tag == 0x88 ? 2 : 4;
                long min = le(crs, p + 6 + w, w);
                long max = le(crs, p + 6 + 2 * w, w);
                long length = le(crs, p + 6 + 4 * w, w);
                assertEquals(max - min + 1, length);
                assertEquals(0x0c, crs[p + 4], "producer, min and max fixed");
                found.add(String.format("%s %x-%x", new String[] {"mem", "io", "bus"}[crs[p + 3]], min, max));
                p += 3 + n;
            } else {
                throw new AssertionError("unexpected descriptor " + tag);
            }
        }
        assertEquals(List.of("bus 0-ff", "io cf8-cff", "io 0-cf7", "io d00-ffff", "mem a0000-bffff",
                "mem 8000000-febfffff"), found);
    }

    static long le(byte[] b, int off, int n) {
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (b[off + i] & 0xffL) << (8 * i);
        }
        return v;
    }

    byte[] dsdtAml() {
        byte[] d = tables.dsdt();
        assertEquals(0, AcpiTables.checksum(d, 0, d.length));
        byte[] aml = new byte[d.length - 36];
        System.arraycopy(d, 36, aml, 0, aml.length);
        return aml;
    }

    // ---- the AML helper ----

    @Test
    void amlIntegers() {
        assertArrayEquals(new byte[] {0x00}, AcpiTables.Aml.integer(0));
        assertArrayEquals(new byte[] {0x01}, AcpiTables.Aml.integer(1));
        assertArrayEquals(new byte[] {0x0a, 0x05}, AcpiTables.Aml.integer(5));
        assertArrayEquals(new byte[] {0x0a, (byte) 0xff}, AcpiTables.Aml.integer(0xff));
        assertArrayEquals(new byte[] {0x0b, 0x00, 0x01}, AcpiTables.Aml.integer(0x100));
        assertArrayEquals(new byte[] {0x0c, 0x41, (byte) 0xd0, 0x0a, 0x03}, AcpiTables.Aml.integer(0x030a_d041L));
        assertArrayEquals(new byte[] {0x0e, 0, 0, 0, 0, 1, 0, 0, 0}, AcpiTables.Aml.integer(1L << 32));
    }

    @Test
    void amlPkgLength() {
        assertArrayEquals(new byte[] {0x01}, AcpiTables.Aml.pkgLength(0));
        assertArrayEquals(new byte[] {0x3f}, AcpiTables.Aml.pkgLength(62));
        // 63 bytes of content: 65 with a two-byte PkgLength = 0x41 -> lead 0x41, next 0x04
        assertArrayEquals(new byte[] {0x41, 0x04}, AcpiTables.Aml.pkgLength(63));
        assertArrayEquals(new byte[] {0x4f, (byte) 0xff}, AcpiTables.Aml.pkgLength(0xffd));    // total 0xfff
        assertArrayEquals(new byte[] {(byte) 0x81, 0x00, 0x01}, AcpiTables.Aml.pkgLength(0xffe));  // total 0x1001
        assertArrayEquals(new byte[] {(byte) 0xc4, 0x00, 0x00, 0x01}, AcpiTables.Aml.pkgLength(0x100000)); // total 0x100004
        for (int n : new int[] {0, 1, 61, 62, 63, 64, 100, 4093, 4094, 4095, 70000, 1 << 20, (1 << 28) - 5}) {
            byte[] enc = AcpiTables.Aml.pkgLength(n);
            int[] decoded = AmlReader.pkgLength(enc, 0);
            assertEquals(n + enc.length, decoded[0], "round trip " + n);
            assertEquals(enc.length, decoded[1]);
        }
        assertThrows(IllegalArgumentException.class, () -> AcpiTables.Aml.pkgLength(1 << 28));
    }

    @Test
    void amlNamesAndObjects() {
        assertArrayEquals("\\_S5_".getBytes(StandardCharsets.US_ASCII), AcpiTables.Aml.nameString("\\_S5"));
        assertArrayEquals(new byte[] {'\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'},
                AcpiTables.Aml.nameString("\\_SB.PCI0"));
        assertArrayEquals(new byte[] {0x2f, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '_', '_', '_'},
                AcpiTables.Aml.nameString("A.B.C"));
        assertArrayEquals(new byte[] {'^', 'F', 'O', 'O', '_'}, AcpiTables.Aml.nameString("^FOO"));
        assertThrows(IllegalArgumentException.class, () -> AcpiTables.Aml.nameString("1ABC"));
        assertThrows(IllegalArgumentException.class, () -> AcpiTables.Aml.nameString("ABCDE"));
        assertThrows(IllegalArgumentException.class, () -> AcpiTables.Aml.nameString("abc"));
        // Name (\_S5_, Package (4) {5, 5, 0, 0})
        byte[] s5 = AcpiTables.Aml.name("\\_S5_", AcpiTables.Aml.pkg(AcpiTables.Aml.integer(5),
                AcpiTables.Aml.integer(5), AcpiTables.Aml.integer(0), AcpiTables.Aml.integer(0)));
        assertArrayEquals(new byte[] {0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00}, s5);
        assertArrayEquals(new byte[] {0x11, 0x05, 0x0a, 0x02, 0x79, 0x00}, AcpiTables.Aml.buffer(new byte[] {0x79, 0}));
        assertArrayEquals(new byte[] {0x5b, (byte) 0x82, 0x05, 'P', 'C', 'I', '0'}, AcpiTables.Aml.device("PCI0"));
        assertArrayEquals(new byte[] {0x10, 0x06, '\\', '_', 'S', 'B', '_'}, AcpiTables.Aml.scope("\\_SB_"));
    }

    @Test
    void eisaIds() {
        assertEquals(0x030a_d041L, AcpiTables.Aml.eisaIdValue("PNP0A03"));
        assertEquals(0x0303_d041L, AcpiTables.Aml.eisaIdValue("PNP0303"));
        assertEquals(0x0105_d041L, AcpiTables.Aml.eisaIdValue("PNP0501"));
        assertThrows(IllegalArgumentException.class, () -> AcpiTables.Aml.eisaIdValue("pnp0A03"));
    }

    @Test
    void pciWindowFollowsRamSize() {
        Map<String, Object> ns = new AmlReader(amlOf(new AcpiTables(0xc000_0000L).dsdt())).parse();
        byte[] crs = (byte[]) ns.get("\\_SB_.PCI0._CRS");
        String hex = java.util.HexFormat.of().formatHex(crs);
        assertTrue(hex.contains("000000c0ffffbffe"), hex);        // min 0xC0000000, max 0xFEBFFFFF
        assertThrows(IllegalArgumentException.class, () -> new AcpiTables(0xfec0_0000L));
    }

    static byte[] amlOf(byte[] table) {
        byte[] aml = new byte[table.length - 36];
        System.arraycopy(table, 36, aml, 0, aml.length);
        return aml;
    }

    /**
     * Writes the tables as files for a by-hand check with ACPICA ({@code iasl -d *.dat},
     * {@code acpiexec}) when {@code -Djvisor.acpi.dump=DIR} is given; otherwise does nothing.
     */
    @Test
    void dumpForIasl() throws IOException {
        String dir = System.getProperty("jvisor.acpi.dump");
        if (dir == null) {
            return;
        }
        Path d = Files.createDirectories(Path.of(dir));
        AcpiTables.Layout l = tables.install(mem);
        Files.write(d.resolve("rsdp.dat"), bytes(l.rsdp(), 36));
        Files.write(d.resolve("rsdt.dat"), bytes(l.rsdt(), (int) u32(l.rsdt() + 4)));
        Files.write(d.resolve("xsdt.dat"), bytes(l.xsdt(), (int) u32(l.xsdt() + 4)));
        Files.write(d.resolve("facp.dat"), bytes(l.fadt(), (int) u32(l.fadt() + 4)));
        Files.write(d.resolve("facs.dat"), bytes(l.facs(), 64));
        Files.write(d.resolve("dsdt.dat"), bytes(l.dsdt(), (int) u32(l.dsdt() + 4)));
        assertTrue(Files.size(d.resolve("dsdt.dat")) > 36);
    }

    /**
     * Just enough of an AML reader to walk the DSDT: Name, Scope, Device, Package, Buffer and
     * integer constants. It builds a namespace of absolute names to values (Long, List, byte[],
     * or "Device") and fails on anything else or on a length that does not add up.
     */
    static final class AmlReader {
        final byte[] b;
        final Map<String, Object> ns = new LinkedHashMap<>();

        AmlReader(byte[] b) {
            this.b = b;
        }

        /** Decodes a PkgLength at {@code p}: {the length it states, the bytes it took}. */
        static int[] pkgLength(byte[] b, int p) {
            int lead = b[p] & 0xff;
            int extra = lead >>> 6;
            if (extra == 0) {
                return new int[] {lead & 0x3f, 1};
            }
            assertEquals(0, lead & 0x30, "reserved PkgLength bits");
            int v = lead & 0xf;
            for (int i = 1; i <= extra; i++) {
                v |= (b[p + i] & 0xff) << (4 + 8 * (i - 1));
            }
            return new int[] {v, 1 + extra};
        }

        Map<String, Object> parse() {
            int end = terms(0, b.length, "\\");
            assertEquals(b.length, end, "AML ends exactly at the table end");
            return ns;
        }

        int terms(int p, int end, String scope) {
            while (p < end) {
                int op = b[p] & 0xff;
                if (op == 0x08) {
                    int[] name = new int[1];
                    String n = nameString(p + 1, name);
                    Object[] v = new Object[1];
                    p = object(name[0], v);
                    put(scope, n, v[0]);
                } else if (op == 0x10 || (op == 0x5b && (b[p + 1] & 0xff) == 0x82)) {
                    int start = op == 0x10 ? p + 1 : p + 2;
                    int[] pl = pkgLength(b, start);
                    int bodyEnd = start + pl[0];
                    assertTrue(bodyEnd <= end, "scope/device fits its parent");
                    int[] after = new int[1];
                    String n = nameString(start + pl[1], after);
                    String full = absolute(scope, n);
                    if (op != 0x10) {
                        ns.put(full, "Device");
                    }
                    terms(after[0], bodyEnd, full);
                    p = bodyEnd;
                } else {
                    throw new AssertionError(String.format("unexpected opcode %02x at %d", op, p));
                }
            }
            assertEquals(end, p, "terms end exactly at their package end");
            return p;
        }

        void put(String scope, String name, Object v) {
            String full = absolute(scope, name);
            assertTrue(ns.put(full, v) == null, "duplicate " + full);
        }

        static String absolute(String scope, String name) {
            if (name.startsWith("\\")) {
                return name;
            }
            return scope.equals("\\") ? "\\" + name : scope + "." + name;
        }

        String nameString(int p, int[] next) {
            StringBuilder s = new StringBuilder();
            if (b[p] == '\\') {
                s.append('\\');
                p++;
            }
            int count;
            if (b[p] == 0x2e) {
                count = 2;
                p++;
            } else if (b[p] == 0x2f) {
                count = b[p + 1] & 0xff;
                p += 2;
            } else {
                count = 1;
            }
            for (int i = 0; i < count; i++) {
                if (i > 0) {
                    s.append('.');
                }
                s.append(new String(b, p, 4, StandardCharsets.US_ASCII));
                p += 4;
            }
            next[0] = p;
            return s.toString();
        }

        /** Reads one data object at {@code p} into {@code out[0]}; returns the position after it. */
        int object(int p, Object[] out) {
            int op = b[p] & 0xff;
            switch (op) {
                case 0x00 -> {
                    out[0] = 0L;
                    return p + 1;
                }
                case 0x01 -> {
                    out[0] = 1L;
                    return p + 1;
                }
                case 0x0a, 0x0b, 0x0c, 0x0e -> {
                    int n = op == 0x0a ? 1 : op == 0x0b ? 2 : op == 0x0c ? 4 : 8;
                    out[0] = le(b, p + 1, n);
                    return p + 1 + n;
                }
                case 0x12 -> {
                    int[] pl = pkgLength(b, p + 1);
                    int end = p + 1 + pl[0];
                    int count = b[p + 1 + pl[1]] & 0xff;
                    int q = p + 2 + pl[1];
                    List<Object> elems = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        Object[] e = new Object[1];
                        q = object(q, e);
                        elems.add(e[0]);
                    }
                    assertEquals(end, q, "package length");
                    out[0] = elems;
                    return end;
                }
                case 0x11 -> {
                    int[] pl = pkgLength(b, p + 1);
                    int end = p + 1 + pl[0];
                    Object[] size = new Object[1];
                    int q = object(p + 1 + pl[1], size);
                    int n = (int) (long) (Long) size[0];
                    assertEquals(end, q + n, "buffer length");
                    byte[] data = new byte[n];
                    System.arraycopy(b, q, data, 0, n);
                    out[0] = data;
                    return end;
                }
                default -> throw new AssertionError(String.format("unexpected data opcode %02x at %d", op, p));
            }
        }
    }

    @Test
    void madtDescribesTheApicsAndThePcOverrides() {
        AcpiTables.Layout l = new AcpiTables(RAM, false, true).install(mem);
        assertEquals(48, checkTable(l.rsdt(), "RSDT"), "RSDT lists the FADT, the MADT and the HPET table");
        assertEquals(60, checkTable(l.xsdt(), "XSDT"));
        long hpet = u32(l.rsdt() + 44);
        assertEquals(56, checkTable(hpet, "HPET"));
        assertEquals(0x8086_a201L, u32(hpet + 36), "block ID: vendor 8086, legacy capable, 64-bit, 3 timers, rev 1");
        assertEquals(0xfed0_0000L, mem.read64(hpet + 44));
        long madt = u32(l.rsdt() + 40);
        assertEquals(madt, mem.read64(l.xsdt() + 44));
        int len = checkTable(madt, "APIC");
        assertEquals(0xfee0_0000L, u32(madt + 36), "local APIC address");
        assertEquals(1, u32(madt + 40), "PCAT_COMPAT");
        // entries: type, length, ...
        long e = madt + 44;
        assertEquals(List.of(0, 8), List.of(mem.read8(e), mem.read8(e + 1)));
        assertEquals(1, mem.read8(e + 4), "processor enabled");
        e += 8;
        assertEquals(List.of(1, 12), List.of(mem.read8(e), mem.read8(e + 1)));
        assertEquals(0xfec0_0000L, u32(e + 4), "I/O APIC address");
        assertEquals(0, u32(e + 8), "GSI base");
        e += 12;
        assertEquals(List.of(2, 10, 0, 0), List.of(mem.read8(e), mem.read8(e + 1), mem.read8(e + 2), mem.read8(e + 3)));
        assertEquals(2, u32(e + 4), "IRQ 0 is on GSI 2");
        e += 10;
        assertEquals(9, mem.read8(e + 3));
        assertEquals(9, u32(e + 4));
        assertEquals(0x000d, mem.read16(e + 8), "SCI: level-triggered, active high");
        e += 10;
        assertEquals(List.of(4, 6, 0xff), List.of(mem.read8(e), mem.read8(e + 1), mem.read8(e + 2)));
        assertEquals(1, mem.read8(e + 5), "LINT1 is NMI");
        assertEquals(madt + len, e + 6, "nothing else");
    }
}
