package io.jvisor.devices;

import io.jvisor.memory.PhysicalMemory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The ACPI tables of the PC platform, built in Java and written into guest memory for a
 * kernel booted without firmware.
 *
 * <p>The set is ACPI 2.0: an RSDP revision 2 pointing at an RSDT and an XSDT, which both list
 * one table, the FADT (revision 3), which points at the FACS and the DSDT. There is no MADT,
 * on purpose: without one Linux keeps the 8259 PICs and does not look for an IOAPIC. The
 * FADT describes {@link AcpiPm}: PM1a event block 0x600 (4 bytes), PM1a control block 0x604
 * (2 bytes), 24-bit PM timer 0x608 (4 bytes), SCI on IRQ 9, no SMI command port (the
 * machine is always in ACPI mode), a fixed power button, no fixed sleep button, and the
 * reset register: one byte at I/O port 0xCF9, value 0x06.
 *
 * <p>The DSDT, hand-assembled with {@link Aml}, holds (in ASL terms):
 * <pre>
 * DefinitionBlock ("", "DSDT", 2, "JVISOR", "JVISORPC", 1) {
 *     Name (\_S0_, Package (4) { 0, 0, 0, 0 })          // SLP_TYP 0 = working
 *     Name (\_S5_, Package (4) { 5, 5, 0, 0 })          // SLP_TYP 5 = soft off, see AcpiPm
 *     Scope (\_SB) {
 *         Device (PCI0) {                               // the root bridge, so Linux scans bus 0
 *             Name (_HID, EisaId ("PNP0A03"))
 *             Name (_UID, 0)
 *             Name (_CRS, ResourceTemplate () {
 *                 WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, 0, 0xFF, 0, 0x100)
 *                 IO (Decode16, 0xCF8, 0xCF8, 1, 8)     // the configuration ports themselves
 *                 WordIO (..., 0x0000, 0x0CF7, ...)     // I/O below and above them
 *                 WordIO (..., 0x0D00, 0xFFFF, ...)
 *                 DWordMemory (..., 0xA0000, 0xBFFFF, ...)              // legacy VGA window
 *                 DWordMemory (..., top of RAM, 0xFEBFFFFF, ...)        // the PCI hole
 *             })
 *             Name (_PRT, Package (128) {               // static INTx routing, PciHostBridge.intxIrq
 *                 Package (4) { 0xSSSSFFFF, pin, 0, irq }, ...
 *             })
 *         }
 *         Device (PEVT) {                               // only with the pvpanic device
 *             Name (_HID, "QEMU0001")
 *             Name (_CRS, ResourceTemplate () { IO (Decode16, 0x505, 0x505, 1, 1) })
 *         }
 *     }
 * }
 * </pre>
 *
 * <p>Placement: {@link #install(PhysicalMemory)} writes everything into RAM at 0xE0000 (well
 * under 4 KiB), where Linux scans for the RSDP on 16-byte boundaries; that range is inside
 * the 0xA0000-0xFFFFF hole Linux reserves anyway, but the e820 map should say reserved for
 * it too ({@link Layout#reserved}). {@link #install(PhysicalMemory, long, long)} puts the
 * RSDP and the other tables apart, e.g. the tables at the top of RAM; that range must then
 * be reserved in e820 (the FACS in it is written by the guest, so not reclaimable). The
 * tables go through {@link PhysicalMemory#load}, so the target must be RAM, not ROM.
 */
public final class AcpiTables {
    /** Where Linux scans for the RSDP (on 16-byte boundaries), end exclusive. */
    public static final long RSDP_SCAN_START = 0xe0000;
    public static final long RSDP_SCAN_END = 0x100000;
    public static final long DEFAULT_BASE = 0xe0000;

    public static final String OEM_ID = "JVISOR";
    public static final String OEM_TABLE_ID = "JVISORPC";
    public static final int OEM_REVISION = 1;
    public static final String CREATOR_ID = "JVSR";
    public static final int CREATOR_REVISION = 1;

    public static final int RSDP_LENGTH = 36;
    public static final int HEADER_LENGTH = 36;
    public static final int FADT_LENGTH = 244;
    public static final int FACS_LENGTH = 64;
    public static final int FADT_REVISION = 3;
    public static final int DSDT_REVISION = 2;

    /** FADT flags: WBINVD, PROC_C1, SLP_BUTTON (control method/absent), FIX_RTC, RESET_REG_SUP. */
    public static final int FADT_FLAGS = 1 << 0 | 1 << 2 | 1 << 5 | 1 << 6 | 1 << 10;
    /** FADT IAPC_BOOT_ARCH: LEGACY_DEVICES and 8042 (an ISA PC with a keyboard controller). */
    public static final int IAPC_BOOT_ARCH = 0x0003;
    /** Preferred PM profile: desktop. */
    public static final int PM_PROFILE_DESKTOP = 1;

    /** Highest address of the PCI memory window, just below the IOAPIC/HPET area. */
    public static final long PCI_HOLE_END = 0xfebf_ffffL;

    private static final int ADDRESS_SPACE_IO = 1;

    /** A range of guest physical addresses, end exclusive. */
    public record Range(long start, long end) {
        public long size() {
            return end - start;
        }
    }

    /** Where each table went, and what the e820 map must mark reserved. */
    public record Layout(long rsdp, long rsdt, long xsdt, long fadt, long facs, long dsdt, List<Range> reserved) {
        public Layout {
            reserved = List.copyOf(reserved);
        }
    }

    private final long pciHoleStart;
    private final boolean pvpanic;
    /** The machine has a local APIC and an I/O APIC: a MADT describes them. */
    private final boolean apic;
    /** Processors, each with a local APIC entry in the MADT. */
    private final int cpus;

    /**
     * Tables for a machine with {@code ramBelow4g} bytes of RAM from address 0: the PCI memory
     * window in the DSDT runs from there to {@link #PCI_HOLE_END}.
     */
    public AcpiTables(long ramBelow4g) {
        this(ramBelow4g, false);
    }

    /** As {@link #AcpiTables(long)}; with {@code pvpanic} the DSDT also declares QEMU's pvpanic device (PvPanic). */
    public AcpiTables(long ramBelow4g, boolean pvpanic) {
        this(ramBelow4g, pvpanic, false);
    }

    /** As {@link #AcpiTables(long, boolean)}; with {@code apic} the RSDT and XSDT also list a MADT. */
    public AcpiTables(long ramBelow4g, boolean pvpanic, boolean apic) {
        this(ramBelow4g, pvpanic, apic, 1);
    }

    /** As {@link #AcpiTables(long, boolean, boolean)}, for a machine with {@code cpus} processors (APIC IDs 0..cpus-1). */
    public AcpiTables(long ramBelow4g, boolean pvpanic, boolean apic, int cpus) {
        this.pvpanic = pvpanic;
        this.apic = apic;
        if (cpus < 1 || cpus > 255) {
            throw new IllegalArgumentException("processor count out of range: " + cpus);
        }
        this.cpus = cpus;
        if (ramBelow4g <= 0x100000 || ramBelow4g > PCI_HOLE_END) {
            throw new IllegalArgumentException("RAM size out of range: " + ramBelow4g);
        }
        this.pciHoleStart = ramBelow4g;
    }

    /** Writes all tables contiguously at {@link #DEFAULT_BASE}. */
    public Layout install(PhysicalMemory mem) {
        return install(mem, DEFAULT_BASE);
    }

    /** Writes all tables contiguously from {@code base}, RSDP first; base must be 16-aligned. */
    public Layout install(PhysicalMemory mem, long base) {
        Image img = build(base, base);
        mem.load(base, img.bytes, 0, img.bytes.length);
        return img.layout;
    }

    /**
     * Writes the RSDP at {@code rsdp} (16-aligned; in the scan area unless the kernel is told
     * where it is) and the other tables from {@code tables} (64-aligned); the two must not
     * overlap.
     */
    public Layout install(PhysicalMemory mem, long rsdp, long tables) {
        Image img = build(rsdp, tables);
        mem.load(rsdp, img.rsdp, 0, img.rsdp.length);
        mem.load(tables, img.tables, 0, img.tables.length);
        return img.layout;
    }

    /** The built tables: the RSDP, the block of other tables, and everything as one image when contiguous. */
    public record Image(Layout layout, byte[] rsdp, byte[] tables, byte[] bytes) { }

    /**
     * Builds the tables for the given addresses. With {@code rsdp == tables} the RSDP comes
     * first and the rest follow 64 bytes later, and {@link Image#bytes} is the whole block;
     * otherwise {@code bytes} is null.
     */
    public Image build(long rsdp, long tables) {
        if ((rsdp & 0xf) != 0) {
            throw new IllegalArgumentException("RSDP must be 16-byte aligned");
        }
        boolean contiguous = rsdp == tables;
        long start = contiguous ? rsdp + 64 : tables;
        if ((start & 0x3f) != 0) {
            throw new IllegalArgumentException("tables must be 64-byte aligned (FACS)");
        }
        // Block layout: FACS (64-aligned), FADT, RSDT, XSDT, DSDT, MADT (with an APIC), each 16-aligned.
        byte[] dsdt = dsdt();
        byte[] madt = apic ? madt() : new byte[0];
        byte[] hpet = apic ? hpet() : new byte[0];
        int entries = apic ? 3 : 1;
        long facs = start;
        long fadt = facs + FACS_LENGTH;
        long rsdt = align16(fadt + FADT_LENGTH);
        long xsdt = align16(rsdt + HEADER_LENGTH + 4 * entries);
        long dsdtAddr = align16(xsdt + HEADER_LENGTH + 8 * entries);
        long madtAddr = align16(dsdtAddr + dsdt.length);
        long hpetAddr = align16(madtAddr + madt.length);
        long end = align16(hpetAddr + hpet.length);
        if (end > 0x1_0000_0000L) {
            throw new IllegalArgumentException("tables must lie below 4 GiB");
        }
        if (!contiguous && rsdp + RSDP_LENGTH > start && end > rsdp) {
            throw new IllegalArgumentException("RSDP overlaps the tables");
        }

        byte[] block = new byte[(int) (end - start)];
        put(block, (int) (facs - start), facs());
        put(block, (int) (fadt - start), fadt(facs, dsdtAddr));
        long[] listed = apic ? new long[] {fadt, madtAddr, hpetAddr} : new long[] {fadt};
        put(block, (int) (rsdt - start), rsdt(listed));
        put(block, (int) (xsdt - start), xsdt(listed));
        put(block, (int) (dsdtAddr - start), dsdt);
        put(block, (int) (madtAddr - start), madt);
        put(block, (int) (hpetAddr - start), hpet);
        byte[] rsdpBytes = rsdp(rsdt, xsdt);

        List<Range> reserved = new ArrayList<>();
        byte[] whole = null;
        if (contiguous) {
            whole = new byte[(int) (end - rsdp)];
            put(whole, 0, rsdpBytes);
            put(whole, (int) (start - rsdp), block);
            reserved.add(new Range(rsdp, end));
        } else {
            reserved.add(new Range(rsdp, rsdp + 64));
            reserved.add(new Range(start, end));
        }
        Layout layout = new Layout(rsdp, rsdt, xsdt, fadt, facs, dsdtAddr, reserved);
        return new Image(layout, rsdpBytes, block, whole);
    }

    // ---- the tables ----

    /** RSDP revision 2: "RSD PTR ", checksum over 20 bytes, RSDT, length 36, XSDT, extended checksum. */
    byte[] rsdp(long rsdt, long xsdt) {
        byte[] b = new byte[RSDP_LENGTH];
        ascii(b, 0, "RSD PTR ", 8);
        ascii(b, 9, OEM_ID, 6);
        b[15] = 2;
        le(b, 16, rsdt, 4);
        le(b, 20, RSDP_LENGTH, 4);
        le(b, 24, xsdt, 8);
        b[8] = checksum(b, 0, 20);
        b[32] = checksum(b, 0, RSDP_LENGTH);
        return b;
    }

    byte[] rsdt(long... tables) {
        byte[] b = header("RSDT", HEADER_LENGTH + 4 * tables.length, 1);
        for (int i = 0; i < tables.length; i++) {
            le(b, 36 + 4 * i, tables[i], 4);
        }
        return finish(b);
    }

    byte[] xsdt(long... tables) {
        byte[] b = header("XSDT", HEADER_LENGTH + 8 * tables.length, 1);
        for (int i = 0; i < tables.length; i++) {
            le(b, 36 + 8 * i, tables[i], 8);
        }
        return finish(b);
    }

    /**
     * The HPET description table (IA-PC HPET specification 1.0a, "HPET", revision 1): the
     * event timer block ID (the low half of the capabilities register), the block's address
     * as a memory-space generic address, HPET number 0, no minimum tick, no page protection.
     */
    static byte[] hpet() {
        byte[] b = header("HPET", 56, 1);
        le(b, 36, Hpet.capabilities() & 0xffff_ffffL, 4);
        b[40] = 0;                    // GAS: system memory
        b[41] = 64;                   // register bit width
        b[42] = 0;                    // bit offset
        b[43] = 0;                    // access size: undefined (any)
        le(b, 44, Hpet.DEFAULT_BASE, 8);
        b[52] = 0;                    // HPET number
        le(b, 53, 0, 2);              // minimum clock tick in periodic mode
        b[55] = 0;                    // page protection: none
        return finish(b);
    }

    /** MADT flags: PCAT_COMPAT, the machine also has the 8259 pair. */
    public static final int MADT_PCAT_COMPAT = 1;
    /** MPS INTI flags of the SCI override: active high (01), level-triggered (11). */
    public static final int INTI_LEVEL_HIGH = 0x000d;

    /**
     * The MADT ("APIC", revision 1): the local APIC address and PCAT_COMPAT; an enabled
     * processor local APIC per processor (UID and APIC ID its number, the BSP first); the I/O APIC (ID 0, all 24 pins from GSI 0); the
     * interrupt source overrides of a PC (ISA IRQ 0, the PIT, on GSI 2; IRQ 9, the SCI,
     * level-triggered active high); and LINT1 of every processor as the NMI input.
     */
    byte[] madt() {
        byte[] processors = new byte[8 * cpus];
        for (int n = 0; n < cpus; n++) {
            // type 0, length 8, ACPI processor UID, APIC ID, flags (enabled)
            put(processors, 8 * n, new byte[] {0, 8, (byte) n, (byte) n, 1, 0, 0, 0});
        }
        byte[] entries = Aml.concat(
                processors,
                new byte[] {1, 12, 0, 0, 0, 0, (byte) 0xc0, (byte) 0xfe, 0, 0, 0, 0},   // I/O APIC at 0xfec00000
                new byte[] {2, 10, 0, 0, 2, 0, 0, 0, 0, 0},                      // IRQ 0 -> GSI 2
                new byte[] {2, 10, 0, 9, 9, 0, 0, 0, (byte) INTI_LEVEL_HIGH, 0}, // IRQ 9 -> GSI 9, level, high
                new byte[] {4, 6, (byte) 0xff, 0, 0, 1});                        // LINT1 is NMI
        byte[] b = header("APIC", HEADER_LENGTH + 8 + entries.length, 1);
        le(b, 36, LocalApic.DEFAULT_BASE, 4);
        le(b, 40, MADT_PCAT_COMPAT, 4);
        put(b, HEADER_LENGTH + 8, entries);
        return finish(b);
    }

    /** FACS, ACPI 2.0 layout (version 1): no checksum; the guest owns the lock and waking vector. */
    static byte[] facs() {
        byte[] b = new byte[FACS_LENGTH];
        ascii(b, 0, "FACS", 4);
        le(b, 4, FACS_LENGTH, 4);
        // 8 hardware signature, 12 firmware waking vector, 16 global lock, 20 flags: all zero
        // 24 X firmware waking vector: zero
        b[32] = 1;   // version
        return b;
    }

    /** FADT revision 3 (ACPI 2.0), 244 bytes; offsets as in the specification's table. */
    byte[] fadt(long facs, long dsdt) {
        byte[] b = header("FACP", FADT_LENGTH, FADT_REVISION);
        le(b, 36, facs, 4);                       // FIRMWARE_CTRL
        le(b, 40, dsdt, 4);                       // DSDT
        b[44] = 0;                                // reserved (ACPI 1.0 INT_MODEL: dual PIC)
        b[45] = PM_PROFILE_DESKTOP;               // Preferred_PM_Profile
        le(b, 46, AcpiPm.SCI_IRQ, 2);             // SCI_INT
        le(b, 48, 0, 4);                          // SMI_CMD: none, always in ACPI mode
        // 52 ACPI_ENABLE, 53 ACPI_DISABLE, 54 S4BIOS_REQ, 55 PSTATE_CNT: zero
        le(b, 56, AcpiPm.PM1_EVT, 4);             // PM1a_EVT_BLK
        le(b, 64, AcpiPm.PM1_CNT, 4);             // PM1a_CNT_BLK
        le(b, 76, AcpiPm.PM_TMR, 4);              // PM_TMR_BLK
        // 60 PM1b_EVT_BLK, 68 PM1b_CNT_BLK, 72 PM2_CNT_BLK, 80 GPE0_BLK, 84 GPE1_BLK: none
        b[88] = AcpiPm.PM1_EVT_LEN;               // PM1_EVT_LEN
        b[89] = AcpiPm.PM1_CNT_LEN;               // PM1_CNT_LEN
        b[91] = AcpiPm.PM_TMR_LEN;                // PM_TMR_LEN
        // 90 PM2_CNT_LEN, 92 GPE0_BLK_LEN, 93 GPE1_BLK_LEN, 94 GPE1_BASE, 95 CST_CNT: zero
        le(b, 96, 101, 2);                        // P_LVL2_LAT > 100: no C2
        le(b, 98, 1001, 2);                       // P_LVL3_LAT > 1000: no C3
        // 100 FLUSH_SIZE, 102 FLUSH_STRIDE, 104 DUTY_OFFSET, 105 DUTY_WIDTH: zero
        // 106 DAY_ALRM, 107 MON_ALRM, 108 CENTURY: zero (no RTC alarm or century register)
        le(b, 109, IAPC_BOOT_ARCH, 2);            // IAPC_BOOT_ARCH
        le(b, 112, FADT_FLAGS, 4);                // Flags
        gas(b, 116, ADDRESS_SPACE_IO, 8, AcpiPm.RESET_PORT);   // RESET_REG
        b[128] = AcpiPm.RESET_VALUE;              // RESET_VALUE
        le(b, 132, facs, 8);                      // X_FIRMWARE_CTRL
        le(b, 140, dsdt, 8);                      // X_DSDT
        gas(b, 148, ADDRESS_SPACE_IO, 8 * AcpiPm.PM1_EVT_LEN, AcpiPm.PM1_EVT);   // X_PM1a_EVT_BLK
        gas(b, 172, ADDRESS_SPACE_IO, 8 * AcpiPm.PM1_CNT_LEN, AcpiPm.PM1_CNT);   // X_PM1a_CNT_BLK
        gas(b, 208, ADDRESS_SPACE_IO, 8 * AcpiPm.PM_TMR_LEN, AcpiPm.PM_TMR);     // X_PM_TMR_BLK
        // 160 X_PM1b_EVT_BLK, 184 X_PM1b_CNT_BLK, 196 X_PM2_CNT_BLK, 220 X_GPE0_BLK,
        // 232 X_GPE1_BLK: all zero (not present)
        return finish(b);
    }

    /** The DSDT: header plus the AML described in the class comment. */
    public byte[] dsdt() {
        byte[] aml = Aml.concat(
                Aml.name("\\_S0_", Aml.pkg(Aml.integer(AcpiPm.SLP_TYP_S0), Aml.integer(AcpiPm.SLP_TYP_S0),
                        Aml.integer(0), Aml.integer(0))),
                Aml.name("\\_S5_", Aml.pkg(Aml.integer(AcpiPm.SLP_TYP_S5), Aml.integer(AcpiPm.SLP_TYP_S5),
                        Aml.integer(0), Aml.integer(0))),
                Aml.scope("\\_SB_",
                        Aml.device("PCI0",
                                Aml.name("_HID", Aml.eisaId("PNP0A03")),
                                Aml.name("_UID", Aml.integer(0)),
                                Aml.name("_CRS", Aml.buffer(rootBridgeResources())),
                                Aml.name("_PRT", routingTable())),
                        pvpanic ? Aml.device("PEVT",
                                Aml.name("_HID", Aml.string("QEMU0001")),
                                Aml.name("_CRS", Aml.buffer(Aml.concat(Res.io16(PvPanic.PORT, 1), Res.end()))))
                                : new byte[0]));
        byte[] b = header("DSDT", HEADER_LENGTH + aml.length, DSDT_REVISION);
        put(b, HEADER_LENGTH, aml);
        return finish(b);
    }

    /** _CRS of PCI0: the resources the root bridge decodes, as resource descriptors. */
    byte[] rootBridgeResources() {
        return Aml.concat(
                Res.wordAddress(Res.TYPE_BUS, 0, 0x00, 0xff),
                Res.io16(0xcf8, 8),
                Res.wordAddress(Res.TYPE_IO, Res.IO_ENTIRE_RANGE, 0x0000, 0x0cf7),
                Res.wordAddress(Res.TYPE_IO, Res.IO_ENTIRE_RANGE, 0x0d00, 0xffff),
                Res.dwordMemory(Res.MEM_CACHEABLE, 0xa0000, 0xbffff),
                Res.dwordMemory(Res.MEM_NON_CACHEABLE, pciHoleStart, PCI_HOLE_END),
                Res.end());
    }

    /** _PRT: one entry per slot (0..31) and pin (INTA..INTD), static, routed as the PIIX does. */
    static byte[] routingTable() {
        List<byte[]> entries = new ArrayList<>();
        for (int slot = 0; slot < 32; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                entries.add(Aml.pkg(
                        Aml.integer((long) slot << 16 | 0xffff),    // address: device, any function
                        Aml.integer(pin),
                        Aml.integer(0),                              // source: none, a GSI follows
                        Aml.integer(PciHostBridge.intxIrq(slot, pin))));
            }
        }
        return Aml.pkg(entries.toArray(new byte[0][]));
    }

    // ---- table helpers ----

    private static byte[] header(String signature, int length, int revision) {
        byte[] b = new byte[length];
        ascii(b, 0, signature, 4);
        le(b, 4, length, 4);
        b[8] = (byte) revision;
        ascii(b, 10, OEM_ID, 6);
        ascii(b, 16, OEM_TABLE_ID, 8);
        le(b, 24, OEM_REVISION, 4);
        ascii(b, 28, CREATOR_ID, 4);
        le(b, 32, CREATOR_REVISION, 4);
        return b;
    }

    /** Fills in the header checksum (byte 9) so the whole table sums to zero. */
    private static byte[] finish(byte[] table) {
        table[9] = 0;
        table[9] = checksum(table, 0, table.length);
        return table;
    }

    /** The byte that makes {@code len} bytes from {@code off} sum to zero modulo 256. */
    public static byte checksum(byte[] b, int off, int len) {
        int sum = 0;
        for (int i = 0; i < len; i++) {
            sum += b[off + i];
        }
        return (byte) -sum;
    }

    /** A generic address structure: space, bit width, bit offset 0, access size 0 (legacy), address. */
    private static void gas(byte[] b, int off, int space, int bitWidth, long address) {
        b[off] = (byte) space;
        b[off + 1] = (byte) bitWidth;
        b[off + 2] = 0;
        b[off + 3] = 0;
        le(b, off + 4, address, 8);
    }

    private static void le(byte[] b, int off, long v, int n) {
        for (int i = 0; i < n; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }

    private static void ascii(byte[] b, int off, String s, int n) {
        byte[] a = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < n; i++) {
            b[off + i] = i < a.length ? a[i] : (byte) ' ';
        }
    }

    private static void put(byte[] dst, int off, byte[] src) {
        System.arraycopy(src, 0, dst, off, src.length);
    }

    private static long align16(long v) {
        return (v + 15) & ~15L;
    }

    /**
     * A minimal AML encoder (ACPI specification, "ACPI Machine Language Specification"):
     * enough for named constant objects in a DSDT. Every method returns the encoded bytes.
     * <ul>
     *   <li>Integers: ZeroOp 0x00, OneOp 0x01, BytePrefix 0x0A, WordPrefix 0x0B,
     *       DWordPrefix 0x0C, QWordPrefix 0x0E, each followed by the value little-endian.</li>
     *   <li>Names: NameSegs of four characters (lead A-Z or '_', then A-Z, 0-9 or '_', padded
     *       with '_'), optional RootChar '\' or ParentPrefixChar '^' prefixes, and for two
     *       segments DualNamePrefix 0x2E, for more MultiNamePrefix 0x2F with a count byte.</li>
     *   <li>PkgLength: one byte (bits 5:0) when the encoded length, counting the PkgLength
     *       itself, is below 64; otherwise bits 7:6 of the lead byte give the number (1-3) of
     *       following bytes, bits 3:0 hold the low nibble and each following byte the next
     *       eight bits.</li>
     *   <li>NameOp 0x08 NameString DataObject; PackageOp 0x12 PkgLength NumElements(byte)
     *       elements; BufferOp 0x11 PkgLength BufferSize(integer) bytes; ScopeOp 0x10
     *       PkgLength NameString terms; DeviceOp 0x5B 0x82 PkgLength NameString terms.</li>
     * </ul>
     */
    public static final class Aml {
        public static final int ZERO_OP = 0x00;
        public static final int ONE_OP = 0x01;
        public static final int BYTE_PREFIX = 0x0a;
        public static final int WORD_PREFIX = 0x0b;
        public static final int DWORD_PREFIX = 0x0c;
        public static final int QWORD_PREFIX = 0x0e;
        public static final int STRING_PREFIX = 0x0d;
        public static final int NAME_OP = 0x08;
        public static final int SCOPE_OP = 0x10;
        public static final int BUFFER_OP = 0x11;
        public static final int PACKAGE_OP = 0x12;
        public static final int EXT_OP_PREFIX = 0x5b;
        public static final int DEVICE_OP = 0x82;
        public static final int DUAL_NAME_PREFIX = 0x2e;
        public static final int MULTI_NAME_PREFIX = 0x2f;

        private Aml() {
        }

        public static byte[] concat(byte[]... parts) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (byte[] p : parts) {
                out.writeBytes(p);
            }
            return out.toByteArray();
        }

        /** The shortest encoding of an unsigned integer constant. */
        public static byte[] integer(long v) {
            if (v == 0) {
                return new byte[] {ZERO_OP};
            }
            if (v == 1) {
                return new byte[] {ONE_OP};
            }
            int prefix;
            int n;
            if ((v & ~0xffL) == 0) {
                prefix = BYTE_PREFIX;
                n = 1;
            } else if ((v & ~0xffffL) == 0) {
                prefix = WORD_PREFIX;
                n = 2;
            } else if ((v & ~0xffff_ffffL) == 0) {
                prefix = DWORD_PREFIX;
                n = 4;
            } else {
                prefix = QWORD_PREFIX;
                n = 8;
            }
            byte[] b = new byte[1 + n];
            b[0] = (byte) prefix;
            le(b, 1, v, n);
            return b;
        }

        /** A NameString: "\_SB_.PCI0", "_S5", "^FOO"; segments shorter than four get '_' padding. */
        public static byte[] nameString(String name) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int i = 0;
            if (name.startsWith("\\")) {
                out.write('\\');
                i = 1;
            } else {
                while (i < name.length() && name.charAt(i) == '^') {
                    out.write('^');
                    i++;
                }
            }
            String rest = name.substring(i);
            String[] segs = rest.isEmpty() ? new String[0] : rest.split("\\.", -1);
            if (segs.length == 0) {
                out.write(0x00);                       // NullName
            } else if (segs.length == 2) {
                out.write(DUAL_NAME_PREFIX);
            } else if (segs.length > 2) {
                if (segs.length > 255) {
                    throw new IllegalArgumentException("too many name segments");
                }
                out.write(MULTI_NAME_PREFIX);
                out.write(segs.length);
            }
            for (String s : segs) {
                out.writeBytes(nameSeg(s));
            }
            return out.toByteArray();
        }

        static byte[] nameSeg(String s) {
            if (s.isEmpty() || s.length() > 4) {
                throw new IllegalArgumentException("bad AML name segment '" + s + "'");
            }
            byte[] b = {'_', '_', '_', '_'};
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                boolean ok = c == '_' || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
                if (!ok) {
                    throw new IllegalArgumentException("bad AML name segment '" + s + "'");
                }
                b[i] = (byte) c;
            }
            return b;
        }

        /** Encodes a PkgLength for {@code contentLength} bytes that follow it. */
        public static byte[] pkgLength(int contentLength) {
            if (contentLength < 0) {
                throw new IllegalArgumentException("negative length");
            }
            if (contentLength + 1 < 0x40) {
                return new byte[] {(byte) (contentLength + 1)};
            }
            for (int extra = 1; extra <= 3; extra++) {
                long total = (long) contentLength + 1 + extra;
                if (total < 1L << (4 + 8 * extra)) {
                    byte[] b = new byte[1 + extra];
                    b[0] = (byte) (extra << 6 | (total & 0xf));
                    for (int i = 1; i <= extra; i++) {
                        b[i] = (byte) (total >>> (4 + 8 * (i - 1)));
                    }
                    return b;
                }
            }
            throw new IllegalArgumentException("AML package too long: " + contentLength);
        }

        /** Name(name, object). */
        public static byte[] name(String name, byte[] object) {
            return concat(new byte[] {NAME_OP}, nameString(name), object);
        }

        /** A string constant: StringPrefix, ASCII, NUL. */
        public static byte[] string(String s) {
            byte[] a = s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            byte[] b = new byte[a.length + 2];
            b[0] = STRING_PREFIX;
            System.arraycopy(a, 0, b, 1, a.length);
            return b;
        }

        /** Package(n){elements}: at most 255 elements. */
        public static byte[] pkg(byte[]... elements) {
            if (elements.length > 255) {
                throw new IllegalArgumentException("Package with more than 255 elements needs VarPackage");
            }
            byte[] body = concat(new byte[] {(byte) elements.length}, concat(elements));
            return concat(new byte[] {PACKAGE_OP}, pkgLength(body.length), body);
        }

        /** Buffer(){bytes}, its size given as an integer constant. */
        public static byte[] buffer(byte[] data) {
            byte[] body = concat(integer(data.length), data);
            return concat(new byte[] {BUFFER_OP}, pkgLength(body.length), body);
        }

        /** Scope(name){terms}. */
        public static byte[] scope(String name, byte[]... terms) {
            byte[] body = concat(nameString(name), concat(terms));
            return concat(new byte[] {SCOPE_OP}, pkgLength(body.length), body);
        }

        /** Device(name){terms}. */
        public static byte[] device(String name, byte[]... terms) {
            byte[] body = concat(nameString(name), concat(terms));
            return concat(new byte[] {EXT_OP_PREFIX, (byte) DEVICE_OP}, pkgLength(body.length), body);
        }

        /**
         * EisaId("PNP0A03"): three letters compressed to five bits each (A = 1) in the top
         * 15 bits of a big-endian 16-bit word, then four hex digits as a big-endian word; the
         * resulting four bytes are read as a little-endian DWORD (0x030AD041 here).
         */
        public static long eisaIdValue(String id) {
            if (id.length() != 7) {
                throw new IllegalArgumentException("EISA ID is three letters and four hex digits");
            }
            int vendor = 0;
            for (int i = 0; i < 3; i++) {
                char c = id.charAt(i);
                if (c < 'A' || c > 'Z') {
                    throw new IllegalArgumentException("bad EISA ID " + id);
                }
                vendor = vendor << 5 | (c - 'A' + 1);
            }
            int product = Integer.parseInt(id.substring(3), 16);
            int b0 = vendor >>> 8 & 0xff;
            int b1 = vendor & 0xff;
            int b2 = product >>> 8 & 0xff;
            int b3 = product & 0xff;
            return (b0 | b1 << 8 | b2 << 16 | (long) b3 << 24) & 0xffff_ffffL;
        }

        public static byte[] eisaId(String id) {
            return integer(eisaIdValue(id));
        }
    }

    /** Resource descriptors for _CRS (ACPI specification, "Resource Data Types"). */
    static final class Res {
        static final int TYPE_MEMORY = 0;
        static final int TYPE_IO = 1;
        static final int TYPE_BUS = 2;
        /** I/O type-specific flags: decodes both ISA and non-ISA ranges. */
        static final int IO_ENTIRE_RANGE = 0x03;
        /** Memory type-specific flags: read-write, with the cacheability in bits 2:1. */
        static final int MEM_NON_CACHEABLE = 0x01;
        static final int MEM_CACHEABLE = 0x03;
        /** General flags: producer, positive decode, minimum and maximum fixed. */
        private static final int FLAGS_PRODUCER_FIXED = 0x0c;

        private Res() {
        }

        /** Small I/O port descriptor (0x47), 16-bit decode, fixed at {@code base}. */
        static byte[] io16(int base, int length) {
            return new byte[] {0x47, 0x01, (byte) base, (byte) (base >>> 8), (byte) base, (byte) (base >>> 8),
                               0x01, (byte) length};
        }

        /** Word address space descriptor (0x88): bus numbers or I/O, [min, max], no translation. */
        static byte[] wordAddress(int type, int typeFlags, int min, int max) {
            byte[] b = new byte[16];
            b[0] = (byte) 0x88;
            le(b, 1, 13, 2);
            b[3] = (byte) type;
            b[4] = FLAGS_PRODUCER_FIXED;
            b[5] = (byte) typeFlags;
            le(b, 6, 0, 2);                   // granularity
            le(b, 8, min, 2);
            le(b, 10, max, 2);
            le(b, 12, 0, 2);                  // translation offset
            le(b, 14, max - min + 1, 2);      // length
            return b;
        }

        /** DWord address space descriptor (0x87) for memory [min, max]. */
        static byte[] dwordMemory(int typeFlags, long min, long max) {
            byte[] b = new byte[26];
            b[0] = (byte) 0x87;
            le(b, 1, 23, 2);
            b[3] = TYPE_MEMORY;
            b[4] = FLAGS_PRODUCER_FIXED;
            b[5] = (byte) typeFlags;
            le(b, 6, 0, 4);                   // granularity
            le(b, 10, min, 4);
            le(b, 14, max, 4);
            le(b, 18, 0, 4);                  // translation offset
            le(b, 22, max - min + 1, 4);      // length
            return b;
        }

        /** End tag (0x79) with a zero checksum, which means "treat as valid". */
        static byte[] end() {
            return new byte[] {0x79, 0x00};
        }
    }
}
