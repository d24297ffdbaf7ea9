package io.jvisor.devices;

import io.jvisor.memory.PhysicalMemory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The Intel MultiProcessor Specification 1.4 tables, for guests that find processors and
 * interrupt routing there rather than in ACPI (Linux with {@code acpi=off}, older systems,
 * small test kernels): a 16-byte floating pointer structure "_MP_" in the BIOS area, and
 * the configuration table "PCMP" it points at, with a processor entry per vCPU (the BSP
 * flagged), a PCI bus 0 and an ISA bus 1, the I/O APIC, the ISA interrupts on its pins as
 * the MADT's overrides say (IRQ 0 on pin 2), and LINT0 as
 * ExtINT and LINT1 as NMI on every local APIC.
 */
public final class MpTable {
    /** Where the floating pointer goes: 16-aligned in the BIOS area that guests scan (0xF0000-0xFFFFF). */
    public static final long DEFAULT_ADDRESS = 0xF0000;
    private static final int BUS_PCI = 0, BUS_ISA = 1, IOAPIC_ID = 0;
    /** Interrupt types of the assignment entries. */
    private static final int INT = 0, NMI = 1, EXTINT = 3;

    private final int cpus;
    private final int cpuSignature;
    private final int cpuFeatures;

    /**
     * @param cpus         processors (APIC IDs 0..cpus-1, 0 the BSP)
     * @param cpuSignature CPUID leaf 1 EAX (family, model, stepping)
     * @param cpuFeatures  CPUID leaf 1 EDX
     */
    public MpTable(int cpus, int cpuSignature, int cpuFeatures) {
        this.cpus = cpus;
        this.cpuSignature = cpuSignature;
        this.cpuFeatures = cpuFeatures;
    }

    /** Writes the floating pointer at {@code address} and the configuration table right after it. */
    public void install(PhysicalMemory mem, long address) {
        byte[] config = configTable();
        byte[] pointer = floatingPointer(address + 16);
        mem.load(address, pointer, 0, pointer.length);
        mem.load(address + 16, config, 0, config.length);
    }

    /** The floating pointer structure (MP spec 4.1), pointing at the configuration table. */
    byte[] floatingPointer(long configAddress) {
        byte[] b = new byte[16];
        ascii(b, 0, "_MP_");
        le(b, 4, configAddress, 4);
        b[8] = 1;                  // length in 16-byte paragraphs
        b[9] = 4;                  // specification revision 1.4
        // 11: feature byte 1 = 0, a configuration table is present; 12: IMCR absent (virtual wire)
        b[10] = checksum(b);
        return b;
    }

    /** The configuration table (MP spec 4.2-4.3): header and base entries. */
    byte[] configTable() {
        ByteArrayOutputStream entries = new ByteArrayOutputStream();
        int count = 0;
        for (int id = 0; id < cpus; id++) {
            byte[] e = new byte[20];
            e[0] = 0;                                   // processor
            e[1] = (byte) id;                           // local APIC ID
            e[2] = (byte) (LocalApic.VERSION & 0xff);   // local APIC version
            e[3] = (byte) (1 | (id == 0 ? 2 : 0));      // enabled; the bootstrap processor
            le(e, 4, cpuSignature, 4);
            le(e, 8, cpuFeatures, 4);
            entries.writeBytes(e);
            count++;
        }
        entries.writeBytes(bus(BUS_PCI, "PCI   "));
        entries.writeBytes(bus(BUS_ISA, "ISA   "));
        count += 2;
        byte[] ioapic = {2, IOAPIC_ID, (byte) (IoApic.VERSION & 0xff), 1, 0, 0, 0, 0};   // I/O APIC, enabled
        le(ioapic, 4, IoApic.DEFAULT_BASE, 4);
        entries.writeBytes(ioapic);
        count++;
        // the ISA IRQs on their pins (IRQ 0 on pin 2; 2 is the cascade); the 8259 reaches the
        // CPUs through LINT0 (below), not through an I/O APIC pin, as firmware leaves it
        for (int irq = 0; irq < 16; irq++) {
            if (irq == 2) {
                continue;
            }
            // flags: IRQ 9, the ACPI SCI, is level-triggered active high (as the MADT's override); others conform to ISA
            int flags = irq == 9 ? 0x000d : 0;
            entries.writeBytes(assignment(3, INT, flags, BUS_ISA, irq, IOAPIC_ID, irq == 0 ? 2 : irq));
            count++;
        }
        entries.writeBytes(assignment(4, EXTINT, 0, BUS_ISA, 0, 0xff, 0));   // LINT0 of every local APIC
        entries.writeBytes(assignment(4, NMI, 0, BUS_ISA, 0, 0xff, 1));      // LINT1
        count += 2;

        byte[] body = entries.toByteArray();
        byte[] t = new byte[44 + body.length];
        ascii(t, 0, "PCMP");
        le(t, 4, t.length, 2);
        t[6] = 4;                                      // revision 1.4
        ascii(t, 8, "JVISOR  ");                       // OEM ID, 8 characters
        ascii(t, 16, "PC          ");                  // product ID, 12 characters
        le(t, 34, count, 2);
        le(t, 36, LocalApic.DEFAULT_BASE, 4);
        System.arraycopy(body, 0, t, 44, body.length);
        t[7] = checksum(t);
        return t;
    }

    private static byte[] bus(int id, String type) {
        byte[] e = new byte[8];
        e[0] = 1;
        e[1] = (byte) id;
        ascii(e, 2, type);
        return e;
    }

    /** An I/O (type 3) or local (type 4) interrupt assignment entry. */
    private static byte[] assignment(int type, int intType, int flags, int bus, int busIrq, int dest, int pin) {
        byte[] e = new byte[8];
        e[0] = (byte) type;
        e[1] = (byte) intType;
        le(e, 2, flags, 2);
        e[4] = (byte) bus;
        e[5] = (byte) busIrq;
        e[6] = (byte) dest;
        e[7] = (byte) pin;
        return e;
    }

    /** The byte that makes the sum of all bytes zero (the checksum field itself must be 0 when called). */
    private static byte checksum(byte[] b) {
        int sum = 0;
        for (byte x : b) {
            sum += x;
        }
        return (byte) -sum;
    }

    private static void le(byte[] b, int off, long v, int n) {
        for (int i = 0; i < n; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }

    private static void ascii(byte[] b, int off, String s) {
        byte[] a = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(a, 0, b, off, a.length);
    }
}
