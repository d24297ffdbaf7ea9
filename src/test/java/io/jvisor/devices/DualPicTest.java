package io.jvisor.devices;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DualPicTest {
    DualPic pic;

    @BeforeEach
    void setUp() {
        pic = new DualPic();
        linuxInit();
    }

    /** What Linux's init_8259A does: vectors 0x20/0x28, slave on IR2, 8086 mode, normal EOI. */
    void linuxInit() {
        pic.out(0x21, 1, 0xff);
        pic.out(0xa1, 1, 0xff);
        pic.out(0x20, 1, 0x11);
        pic.out(0x21, 1, 0x20);
        pic.out(0x21, 1, 0x04);
        pic.out(0x21, 1, 0x01);
        pic.out(0xa0, 1, 0x11);
        pic.out(0xa1, 1, 0x28);
        pic.out(0xa1, 1, 0x02);
        pic.out(0xa1, 1, 0x01);
        pic.out(0x21, 1, 0x00);
        pic.out(0xa1, 1, 0x00);
    }

    int readIsr(int commandPort) {
        pic.out(commandPort, 1, 0x0b);
        int v = pic.in(commandPort, 1);
        pic.out(commandPort, 1, 0x0a);
        return v;
    }

    @Test
    void powerOnStateIsBiosLikeAndMasked() {
        DualPic fresh = new DualPic();
        assertEquals(0xfb, fresh.in(0x21, 1));
        assertEquals(0xff, fresh.in(0xa1, 1));
        fresh.irq(0).pulse();
        assertFalse(fresh.hasInterrupt());
        fresh.out(0x21, 1, 0xfa);
        assertTrue(fresh.hasInterrupt());
        assertEquals(0x08, fresh.acknowledge());
        fresh.out(0x20, 1, 0x20);
        fresh.out(0xa1, 1, 0xfe);
        fresh.irq(8).pulse();
        assertEquals(0x70, fresh.acknowledge());
    }

    @Test
    void masterInterruptVectorAndEoi() {
        assertFalse(pic.hasInterrupt());
        pic.irq(0).pulse();
        assertTrue(pic.hasInterrupt());
        assertEquals(0x20, pic.acknowledge());
        assertFalse(pic.hasInterrupt());
        assertEquals(0x01, readIsr(0x20));
        pic.out(0x20, 1, 0x20);
        assertEquals(0, readIsr(0x20));
    }

    @Test
    void slaveInterruptGoesThroughCascade() {
        pic.irq(12).pulse();
        assertTrue(pic.hasInterrupt());
        assertEquals(0x04, pic.in(0x20, 1), "the slave's INT is latched in master IRR2");
        assertEquals(0x10, pic.in(0xa0, 1));
        assertEquals(0x2c, pic.acknowledge());
        assertEquals(0x04, readIsr(0x20));
        assertEquals(0x10, readIsr(0xa0));
        assertFalse(pic.hasInterrupt());
        pic.out(0xa0, 1, 0x20);
        pic.out(0x20, 1, 0x20);
        assertEquals(0, readIsr(0x20));
        assertEquals(0, readIsr(0xa0));
    }

    @Test
    void priorityAcrossTheCascade() {
        pic.irq(3).pulse();
        pic.irq(8).pulse();
        pic.irq(1).pulse();
        assertEquals(0x21, pic.acknowledge(), "IRQ1 first");
        pic.out(0x20, 1, 0x20);
        assertEquals(0x28, pic.acknowledge(), "IRQ8-15 rank at IRQ2's place, above IRQ3");
        pic.out(0xa0, 1, 0x20);
        pic.out(0x20, 1, 0x20);
        assertEquals(0x23, pic.acknowledge());
    }

    @Test
    void higherSlaveRequestWaitsForMasterEoiInNormalNestedMode() {
        pic.irq(10).pulse();
        assertEquals(0x2a, pic.acknowledge());
        pic.irq(8).pulse();
        assertFalse(pic.hasInterrupt(), "the master has IR2 in service");
        pic.out(0x20, 1, 0x20);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x28, pic.acknowledge());
    }

    @Test
    void secondSlaveRequestIsDeliveredAfterBothEois() {
        pic.irq(9).pulse();
        pic.irq(11).pulse();
        assertEquals(0x29, pic.acknowledge());
        assertFalse(pic.hasInterrupt());
        pic.out(0xa0, 1, 0x20); // slave first, as Linux does
        pic.out(0x20, 1, 0x20);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x2b, pic.acknowledge());
    }

    @Test
    void masterEoiBeforeSlaveEoiStillDeliversPendingSlaveRequest() {
        pic.irq(9).pulse();
        pic.irq(11).pulse();
        assertEquals(0x29, pic.acknowledge());
        pic.out(0x20, 1, 0x20);
        assertFalse(pic.hasInterrupt());
        pic.out(0xa0, 1, 0x20);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x2b, pic.acknowledge());
    }

    @Test
    void linuxMaskAndAckWithSpecificEois() {
        pic.irq(14).pulse();
        assertEquals(0x2e, pic.acknowledge());
        // mask_and_ack_8259A for IRQ 14: mask, specific EOI to the slave, then to the master's IR2.
        pic.out(0xa1, 1, 0x40);
        pic.out(0xa0, 1, 0x60 + 6);
        pic.out(0x20, 1, 0x60 + 2);
        assertEquals(0, readIsr(0x20));
        assertEquals(0, readIsr(0xa0));
        pic.irq(14).pulse();
        assertFalse(pic.hasInterrupt(), "masked");
        pic.out(0xa1, 1, 0x00);
        assertTrue(pic.hasInterrupt());
    }

    @Test
    void spuriousIrq7WhenNothingIsPending() {
        assertEquals(0x27, pic.acknowledge());
        assertEquals(0, readIsr(0x20), "no in-service bit for a spurious IRQ 7");
    }

    @Test
    void spuriousIrq7WhenALevelRequestGoesAway() {
        pic.out(0x4d0, 1, 0x20);
        pic.irq(5).set(true);
        assertTrue(pic.hasInterrupt());
        pic.irq(5).set(false);
        assertFalse(pic.hasInterrupt());
        assertEquals(0x27, pic.acknowledge());
    }

    @Test
    void spuriousIrq15WhenTheSlaveRequestDisappears() {
        pic.out(0x4d1, 1, 0x04); // IRQ 10 level-triggered
        pic.irq(10).set(true);
        assertTrue(pic.hasInterrupt());
        // The slave's request goes away, but the master has latched the edge on IR2.
        pic.irq(10).set(false);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x2f, pic.acknowledge());
        assertEquals(0x04, readIsr(0x20), "the master's IS2 is set: the guest must EOI the master");
        assertEquals(0, readIsr(0xa0), "the slave sets no in-service bit");
    }

    @Test
    void elcrRegistersAndTheirFixedEdgeBits() {
        pic.out(0x4d0, 1, 0xff);
        pic.out(0x4d1, 1, 0xff);
        assertEquals(0xf8, pic.in(0x4d0, 1), "IRQ 0-2 are always edge");
        assertEquals(0xde, pic.in(0x4d1, 1), "IRQ 8 and 13 are always edge");
        assertEquals(0xdef8, pic.in(0x4d0, 2), "a word access reads both");
        pic.out(0x4d0, 2, 0x0020);
        assertEquals(0x20, pic.in(0x4d0, 1));
        assertEquals(0x00, pic.in(0x4d1, 1));
    }

    @Test
    void levelTriggeredSlaveLineReassertsAfterEoi() {
        pic.out(0x4d1, 1, 0x08); // IRQ 11 level (a PCI INTx)
        pic.irq(11).set(true);
        assertEquals(0x2b, pic.acknowledge());
        pic.out(0xa0, 1, 0x20);
        pic.out(0x20, 1, 0x20);
        assertTrue(pic.hasInterrupt(), "the line is still asserted");
        assertEquals(0x2b, pic.acknowledge());
        pic.irq(11).set(false);
        pic.out(0xa0, 1, 0x20);
        pic.out(0x20, 1, 0x20);
        assertFalse(pic.hasInterrupt());
    }

    @Test
    void sharedLevelLineFromTwoIrqLinesIsWiredOr() {
        pic.out(0x4d1, 1, 0x02); // IRQ 9 level
        pic.irq(2).set(true);
        pic.irq(9).set(true);
        pic.irq(2).set(false);
        assertTrue(pic.hasInterrupt(), "irq(9) still holds the pin");
        assertEquals(0x29, pic.acknowledge());
        pic.irq(9).set(false);
        pic.out(0xa0, 1, 0x20);
        pic.out(0x20, 1, 0x20);
        assertFalse(pic.hasInterrupt());
    }

    @Test
    void irq2IsRoutedToIrq9() {
        pic.irq(2).pulse();
        assertEquals(0x29, pic.acknowledge());
    }

    @Test
    void irqLinesAreStableObjectsAndRangeChecked() {
        assertSame(pic.irq(4), pic.irq(4));
        assertThrows(IllegalArgumentException.class, () -> pic.irq(16));
        assertThrows(IllegalArgumentException.class, () -> pic.irq(-1));
    }

    @Test
    void pollingTheMasterAndSlave() {
        pic.irq(13).pulse();
        pic.out(0x20, 1, 0x0c);
        assertEquals(0x82, pic.in(0x20, 1));
        pic.out(0xa0, 1, 0x0c);
        assertEquals(0x85, pic.in(0xa0, 1));
    }

    @Test
    void autoEoiOnBothChips() {
        pic.out(0x20, 1, 0x11);
        pic.out(0x21, 1, 0x20);
        pic.out(0x21, 1, 0x04);
        pic.out(0x21, 1, 0x03);
        pic.out(0xa0, 1, 0x11);
        pic.out(0xa1, 1, 0x28);
        pic.out(0xa1, 1, 0x02);
        pic.out(0xa1, 1, 0x03);
        pic.irq(9).pulse();
        assertEquals(0x29, pic.acknowledge());
        assertEquals(0, readIsr(0x20));
        assertEquals(0, readIsr(0xa0));
        pic.irq(9).pulse();
        assertTrue(pic.hasInterrupt());
    }

    @Test
    void unknownPortsReadAllOnes() {
        assertEquals(0xff, pic.in(0x22, 1));
    }

    @Test
    void initializeHelperProgramsBothBases() {
        pic.initialize(0x40, 0x48);
        pic.irq(6).pulse();
        assertEquals(0x46, pic.acknowledge());
        pic.irq(15).pulse();
        pic.out(0x20, 1, 0x20);
        assertEquals(0x4f, pic.acknowledge());
        assertEquals(0x80, readIsr(0xa0), "a real IRQ 15 sets the slave's IS7");
    }

    @Test
    void stateRoundTripPreservesPendingAndInService() {
        pic.out(0x4d1, 1, 0x04);
        pic.irq(10).set(true);
        pic.irq(4).pulse();
        pic.irq(1).pulse();
        assertEquals(0x21, pic.acknowledge());
        DualPic.State saved = pic.state();

        DualPic copy = new DualPic();
        copy.restore(saved);
        assertEquals(saved, copy.state());
        assertEquals(pic.hasInterrupt(), copy.hasInterrupt());
        copy.out(0x20, 1, 0x20);
        assertEquals(0x2a, copy.acknowledge());
        copy.irq(10).set(false); // the restored line level is known, so this is a real change
        copy.out(0xa0, 1, 0x20);
        copy.out(0x20, 1, 0x20);
        assertEquals(0x24, copy.acknowledge());
        assertFalse(copy.hasInterrupt());
    }
}
