package io.jvisor.devices;

import io.jvisor.memory.IoBus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PciHostBridgeTest {
    PciHostBridge pci;
    IoBus bus;

    /** A function with one of each kind of BAR and an interrupt pin. */
    static final class TestDevice extends PciDevice {
        int writes;

        TestDevice() {
            super(0x1af4, 0x1000, 0x020000, 0x01, false);
            defineBar(0, 0x20, BarType.IO);
            defineBar(1, 0x1000, BarType.MEMORY32);
            defineBar(2, 0x10_0000, BarType.MEMORY64_PREFETCHABLE);
            setInterruptPin(1);
        }

        @Override
        protected void configWritten(int offset, int size, int value) {
            writes++;
        }
    }

    @BeforeEach
    void setUp() {
        pci = new PciHostBridge();
        bus = new IoBus();
        pci.register(bus);
    }

    static int addr(int bus, int slot, int fn, int reg) {
        return 0x8000_0000 | bus << 16 | slot << 11 | fn << 8 | (reg & 0xfc);
    }

    /** Linux's conf1 read: address to 0xCF8, then data at 0xCFC + (reg & 3). */
    int read(int slot, int fn, int reg, int size) {
        bus.out(0xcf8, 4, addr(0, slot, fn, reg));
        return bus.in(0xcfc + (reg & 3), size);
    }

    void write(int slot, int fn, int reg, int size, int value) {
        bus.out(0xcf8, 4, addr(0, slot, fn, reg));
        bus.out(0xcfc + (reg & 3), size, value);
    }

    @Test
    void linuxType1ProbeSucceeds() {
        // pci_check_type1: outb(0x01, 0xCFB); tmp = inl(0xCF8); outl(0x80000000, 0xCF8);
        // inl(0xCF8) == 0x80000000 && pci_sanity_check(); outl(tmp, 0xCF8)
        bus.out(0xcfb, 1, 0x01);
        int tmp = bus.in(0xcf8, 4);
        bus.out(0xcf8, 4, 0x8000_0000);
        assertEquals(0x8000_0000, bus.in(0xcf8, 4));
        // pci_sanity_check: some devfn on bus 0 has class 0x0600 (host bridge) or an Intel vendor ID
        assertEquals(0x0600, read(0, 0, 0x0a, 2));
        assertEquals(0x8086, read(0, 0, 0x00, 2));
        bus.out(0xcf8, 4, tmp);
        assertEquals(tmp, bus.in(0xcf8, 4));
        assertEquals(0x01, bus.in(0xcfb, 1));
    }

    @Test
    void linuxType2ProbeFails() {
        // pci_check_type2: outb(0, 0xCFB); outb(0, 0xCF8); outb(0, 0xCFA); works only if
        // inb(0xCF8) == 0 && inb(0xCFA) == 0
        bus.out(0xcf8, 4, 0x8000_1234 & PciHostBridge.ADDRESS_MASK);
        bus.out(0xcfb, 1, 0x00);
        bus.out(0xcf8, 1, 0x00);
        bus.out(0xcfa, 1, 0x00);
        assertNotEquals(0, bus.in(0xcf8, 1));
        assertNotEquals(0, bus.in(0xcfa, 1));
        assertEquals(0x8000_1234 & PciHostBridge.ADDRESS_MASK, bus.in(0xcf8, 4), "byte writes leave CONFIG_ADDRESS alone");
    }

    @Test
    void addressRegisterKeepsOnlyDefinedBits() {
        bus.out(0xcf8, 4, 0xffff_ffff);
        assertEquals(0x80ff_fffc, bus.in(0xcf8, 4));
        bus.out(0xcf8, 2, 0);
        assertEquals(0x80ff_fffc, bus.in(0xcf8, 4));
        assertEquals(0xffff, bus.in(0xcf8, 2));
        assertEquals(0x80ff_fffc, pci.address());
    }

    @Test
    void portsLeaveCf9Free() {
        assertThrows(IllegalStateException.class, () -> bus.register(0xcf8, 1, new PostCodes(s -> { })));
        assertThrows(IllegalStateException.class, () -> bus.register(0xcff, 1, new PostCodes(s -> { })));
        bus.register(0xcf9, 1, new PostCodes(s -> { }));   // AcpiPm's reset register goes here
    }

    @Test
    void hostBridgeIdentity() {
        assertEquals(0x1237_8086, read(0, 0, 0x00, 4));
        assertEquals(0x0600_0002, read(0, 0, 0x08, 4));       // class 06 00 00, revision 2
        assertEquals(0x00, read(0, 0, 0x0e, 1));              // header type 0, single function
        PciDevice h = pci.hostBridge();
        assertEquals(0x060000, h.classCode());
        assertFalse(h.isMultiFunction());
        assertSame(h, pci.device(0, 0));
    }

    @Test
    void isaBridgeIdentity() {
        assertEquals(0x7000_8086, read(1, 0, 0x00, 4));
        assertEquals(0x0601_0000, read(1, 0, 0x08, 4));       // class 06 01 00
        assertEquals(0x80, read(1, 0, 0x0e, 1));              // multi-function
        assertTrue(pci.isaBridge().isMultiFunction());
        // PIRQ route control holds the fixed routing
        assertEquals(0x0b0b_0a0a, read(1, 0, 0x60, 4));
        // the 82441 passive-release quirk sets bit 1 of DLC (0x82)
        write(1, 0, 0x82, 1, read(1, 0, 0x82, 1) | 0x02);
        assertEquals(0x02, read(1, 0, 0x82, 1));
    }

    @Test
    void absentFunctionsReadAllOnes() {
        assertEquals(0xffff_ffff, read(2, 0, 0, 4));
        assertEquals(0xffff, read(31, 7, 2, 2));
        assertEquals(0xff, read(1, 1, 0, 1));                 // other functions of the PIIX3
        bus.out(0xcf8, 4, addr(1, 0, 0, 0));                  // bus 1 does not exist
        assertEquals(0xffff_ffff, bus.in(0xcfc, 4));
        bus.out(0xcf8, 4, addr(0, 0, 0, 0) & ~0x8000_0000);   // enable bit clear
        assertEquals(0xffff_ffff, bus.in(0xcfc, 4));
        bus.out(0xcfc, 4, 0);                                 // dropped, no exception
        assertEquals(0xffff, bus.in(0xcfe, 2));
    }

    @Test
    void dataPortAnySizeAnyOffset() {
        assertEquals(0x86, read(0, 0, 0x00, 1));
        assertEquals(0x80, read(0, 0, 0x01, 1));
        assertEquals(0x37, read(0, 0, 0x02, 1));
        assertEquals(0x12, read(0, 0, 0x03, 1));
        assertEquals(0x1237, read(0, 0, 0x02, 2));
        assertEquals(0x0600, read(0, 0, 0x0a, 2));
        assertEquals(0x06, read(0, 0, 0x0b, 1));
        // word write at CFE reaches offset 0x0e..0x0f of the dword the address selects
        write(0, 0, 0x0c, 1, 0x10);
        assertEquals(0x10, read(0, 0, 0x0c, 1));
        write(0, 0, 0x0d, 1, 0x40);
        assertEquals(0x0000_4010, read(0, 0, 0x0c, 4));
    }

    @Test
    void readOnlyFieldsIgnoreWrites() {
        write(0, 0, 0x00, 4, 0);
        assertEquals(0x1237_8086, read(0, 0, 0x00, 4));
        write(1, 0, 0x08, 4, 0xffff_ffff);
        assertEquals(0x0601_0000, read(1, 0, 0x08, 4));
        write(1, 0, 0x0e, 1, 0x00);
        assertEquals(0x80, read(1, 0, 0x0e, 1));
    }

    @Test
    void commandWritableAndStatusWriteOneToClear() {
        TestDevice d = new TestDevice();
        pci.plug(3, 0, d);
        write(3, 0, 0x04, 2, 0xffff);
        assertEquals(0x0547, read(3, 0, 0x04, 2));
        assertTrue(d.ioEnabled());
        assertTrue(d.memoryEnabled());
        write(3, 0, 0x04, 2, 0);
        assertFalse(d.ioEnabled());
        // a device raised error bits: software clears them by writing one, other bits stay
        d.setConfig16(PciDevice.STATUS, 0x0200 | 0x2000 | 0x8000);
        write(3, 0, 0x06, 2, 0x2000);
        assertEquals(0x8200, read(3, 0, 0x06, 2));
        write(3, 0, 0x06, 2, 0xffff);
        assertEquals(0x0200, read(3, 0, 0x06, 2));
        assertEquals(4, d.writes);                            // the hook saw every guest write
    }

    @Test
    void barSizingProtocol() {
        TestDevice d = new TestDevice();
        pci.plug(3, 0, d);
        assertEquals(0x1, read(3, 0, 0x10, 4));               // I/O BAR, unassigned
        write(3, 0, 0x10, 4, 0xffff_ffff);
        assertEquals(0xffff_ffe1, read(3, 0, 0x10, 4));       // 32 bytes of I/O
        write(3, 0, 0x14, 4, 0xffff_ffff);
        assertEquals(0xffff_f000, read(3, 0, 0x14, 4));       // 4 KiB of memory
        write(3, 0, 0x18, 4, 0xffff_ffff);
        write(3, 0, 0x1c, 4, 0xffff_ffff);
        assertEquals(0xfff0_000c, read(3, 0, 0x18, 4));       // 1 MiB, 64-bit, prefetchable
        assertEquals(0xffff_ffff, read(3, 0, 0x1c, 4));
        write(3, 0, 0x20, 4, 0xffff_ffff);
        assertEquals(0, read(3, 0, 0x20, 4));                 // unimplemented BAR

        write(3, 0, 0x10, 4, 0xc123);
        write(3, 0, 0x14, 4, 0xfebf_1234);
        write(3, 0, 0x18, 4, 0xe000_0000);
        write(3, 0, 0x1c, 4, 0x1);
        assertEquals(0xc121, read(3, 0, 0x10, 4));
        assertEquals(0xc120, d.barAddress(0));
        assertEquals(0xfebf_1000L, d.barAddress(1));
        assertEquals(0x1_e000_0000L, d.barAddress(2));
        assertEquals(PciDevice.BarType.MEMORY64_PREFETCHABLE, d.barType(2));
        assertNull(d.barType(3));
    }

    @Test
    void badBarsRejected() {
        class Bad extends PciDevice {
            Bad(int index, long size, BarType t) {
                super(1, 2, 0, 0, false);
                defineBar(index, size, t);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new Bad(0, 0x30, PciDevice.BarType.IO));
        assertThrows(IllegalArgumentException.class, () -> new Bad(0, 8, PciDevice.BarType.MEMORY32));
        assertThrows(IllegalArgumentException.class, () -> new Bad(5, 0x1000, PciDevice.BarType.MEMORY64));
        assertThrows(IllegalArgumentException.class, () -> new Bad(6, 0x1000, PciDevice.BarType.MEMORY32));
    }

    @Test
    void plugSetsInterruptLineFromRouting() {
        TestDevice d = new TestDevice();
        pci.plug(5, 0, d);
        assertEquals(0x01, read(5, 0, 0x3d, 1));              // INTA#
        assertEquals(PciHostBridge.intxIrq(5, 0), read(5, 0, 0x3c, 1));
        write(5, 0, 0x3c, 1, 0x0b);                           // interrupt line is writable
        assertEquals(0x0b, read(5, 0, 0x3c, 1));
        write(5, 0, 0x3d, 1, 0x04);                           // the pin is not
        assertEquals(0x01, read(5, 0, 0x3d, 1));
        assertThrows(IllegalStateException.class, () -> pci.plug(5, 0, new TestDevice()));
        assertThrows(IllegalArgumentException.class, () -> pci.plug(32, 0, new TestDevice()));
    }

    @Test
    void intxSwizzle() {
        // slot S pin P -> PIRQ (S + P - 1) & 3 -> IRQ 10, 10, 11, 11
        assertEquals(10, PciHostBridge.intxIrq(1, 0));        // PIRQA
        assertEquals(10, PciHostBridge.intxIrq(2, 0));        // PIRQB
        assertEquals(11, PciHostBridge.intxIrq(3, 0));        // PIRQC
        assertEquals(11, PciHostBridge.intxIrq(4, 0));        // PIRQD
        assertEquals(10, PciHostBridge.intxIrq(4, 1));        // wraps to PIRQA
        assertEquals(11, PciHostBridge.intxIrq(0, 0));        // PIRQD
    }

    @Test
    void stateRoundTrip() {
        write(0, 0, 0x59, 1, 0x30);                           // PAM0
        write(1, 0, 0x60, 1, 0x05);
        bus.out(0xcfb, 1, 1);
        bus.out(0xcf8, 4, addr(0, 1, 0, 0x60));
        PciHostBridge.State s = pci.state();

        PciHostBridge other = new PciHostBridge();
        assertNotEquals(s, other.state());
        other.restore(s);
        assertEquals(s, other.state());
        assertEquals(0x05, other.in(0xcfc, 1));               // address register came along
        assertEquals(0x30, other.hostBridge().readConfig(0x59, 1));
        assertEquals(1, other.in(0xcfb, 1));

        write(0, 0, 0x59, 1, 0x00);
        assertNotEquals(s, pci.state());
        pci.restore(s);
        assertEquals(0x30, read(0, 0, 0x59, 1));
    }

    @Test
    void configStateIsACopy() {
        byte[] raw = new byte[256];
        PciDevice.ConfigState cs = new PciDevice.ConfigState(raw);
        raw[0] = 1;
        assertEquals(0, cs.bytes()[0]);
        cs.bytes()[0] = 2;
        assertEquals(0, cs.bytes()[0]);
        assertEquals(new PciDevice.ConfigState(new byte[256]), cs);
        assertThrows(IllegalArgumentException.class, () -> new PciDevice.ConfigState(new byte[4]));
    }

    @Test
    void enumerationLikeLinux() {
        // scan bus 0 like pci_scan_slot: function 0 of every slot, other functions only if multi-function
        StringBuilder found = new StringBuilder();
        for (int slot = 0; slot < 32; slot++) {
            int id = read(slot, 0, 0, 4);
            if (id == 0xffff_ffff) {
                continue;
            }
            found.append(String.format("%02x.0 %08x;", slot, id));
            if ((read(slot, 0, 0x0e, 1) & 0x80) != 0) {
                for (int fn = 1; fn < 8; fn++) {
                    if (read(slot, fn, 0, 4) != 0xffff_ffff) {
                        found.append(String.format("%02x.%d;", slot, fn));
                    }
                }
            }
        }
        assertEquals("00.0 12378086;01.0 70008086;", found.toString());
    }
}
