package io.jvisor.devices;

import io.jvisor.cpu.InterruptSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IoApicTest {
    final ApicBus bus = new ApicBus();
    LocalApic cpu0, cpu1;
    IoApic io;

    @BeforeEach
    void machine() {
        cpu0 = new LocalApic(0, () -> 0, InterruptSource.NONE, () -> 0);
        cpu1 = new LocalApic(1, () -> 0, InterruptSource.NONE, () -> 0);
        for (LocalApic a : new LocalApic[] {cpu0, cpu1}) {
            a.write(LocalApic.SVR, 4, 0x1ff);
            bus.attach(a);
        }
        io = new IoApic(bus);
        cpu0.setEoiBroadcast(io::eoi);
        cpu1.setEoiBroadcast(io::eoi);
    }

    void route(int pin, long low, int destination) {
        io.write(0x00, 4, IoApic.REG_TABLE + 2 * pin + 1);
        io.write(0x10, 4, destination << 24);
        io.write(0x00, 4, IoApic.REG_TABLE + 2 * pin);
        io.write(0x10, 4, (int) low);
    }

    int readReg(int r) {
        io.write(0x00, 4, r);
        return io.read(0x10, 4);
    }

    @Test
    void identificationAndResetState() {
        assertEquals(0x0017_0020, readReg(IoApic.REG_VERSION), "24 entries, version 0x20");
        io.write(0x00, 4, IoApic.REG_ID);
        io.write(0x10, 4, 5 << 24);
        assertEquals(5 << 24, readReg(IoApic.REG_ID));
        for (int pin = 0; pin < IoApic.PINS; pin++) {
            assertEquals(IoApic.MASKED, io.entry(pin), "masked after reset");
        }
    }

    @Test
    void edgeTriggeredPinSendsOneMessagePerAssertion() {
        route(2, 0x30, 1);   // the PIT on pin 2, vector 0x30, physical destination 1
        IrqLine pit = io.pin(2);
        pit.set(true);
        assertFalse(cpu0.hasInterrupt());
        assertEquals(0x30, cpu1.acknowledge());
        pit.set(true);
        assertFalse(cpu1.hasInterrupt(), "no new edge");
        pit.set(false);
        pit.pulse();
        cpu1.write(LocalApic.EOI, 4, 0);
        assertEquals(0x30, cpu1.acknowledge());
    }

    @Test
    void maskedPinsSendNothing() {
        route(4, 0x34 | IoApic.MASKED, 0);
        io.pin(4).pulse();
        assertFalse(cpu0.hasInterrupt());
    }

    @Test
    void levelTriggeredPinWaitsForEoiAndDeliversAgainWhileAsserted() {
        route(11, 0x41 | IoApic.LEVEL | IoApic.ACTIVE_LOW, 0);
        IrqLine pci = io.pin(11);
        assertFalse(cpu0.hasInterrupt(), "not asserted: the polarity bit does not invert the request");
        pci.set(true);
        assertTrue((io.entry(11) & IoApic.REMOTE_IRR) != 0);
        assertEquals(0x41, cpu0.acknowledge());
        cpu0.write(LocalApic.EOI, 4, 0);   // still asserted: delivered again
        assertEquals(0x41, cpu0.acknowledge());
        pci.set(false);                    // the device is serviced
        cpu0.write(LocalApic.EOI, 4, 0);
        assertEquals(0, io.entry(11) & IoApic.REMOTE_IRR);
        assertFalse(cpu0.hasInterrupt());
    }

    @Test
    void unmaskingAnAssertedLevelPinDeliversIt() {
        route(9, 0x49 | IoApic.LEVEL | IoApic.MASKED, 0);
        io.pin(9).set(true);
        assertFalse(cpu0.hasInterrupt());
        route(9, 0x49 | IoApic.LEVEL, 0);
        assertEquals(0x49, cpu0.acknowledge());
    }

    @Test
    void logicalDestinationAndBroadcast() {
        cpu0.write(LocalApic.LDR, 4, 0x01 << 24);
        cpu1.write(LocalApic.LDR, 4, 0x02 << 24);
        route(1, 0x51 | IoApic.LOGICAL, 0x02);
        io.pin(1).pulse();
        assertFalse(cpu0.hasInterrupt());
        assertEquals(0x51, cpu1.acknowledge());
        cpu1.write(LocalApic.EOI, 4, 0);
        route(3, 0x53, 0xff);   // physical broadcast
        io.pin(3).pulse();
        assertEquals(0x53, cpu0.acknowledge());
        assertTrue(cpu1.hasInterrupt());
    }

    @Test
    void theEoiRegisterClearsRemoteIrr() {
        route(5, 0x45 | IoApic.LEVEL, 0);
        io.pin(5).set(true);
        assertTrue((io.entry(5) & IoApic.REMOTE_IRR) != 0);
        io.pin(5).set(false);
        io.write(0x40, 4, 0x45);   // directed EOI
        assertEquals(0, io.entry(5) & IoApic.REMOTE_IRR);
    }
}
