package io.jvisor.devices;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Pic8259Test {
    /** Records every level driven onto the INT pin. */
    static final class Pin implements IrqLine {
        final List<Boolean> history = new ArrayList<>();
        boolean level;

        @Override
        public void set(boolean high) {
            level = high;
            history.add(high);
        }
    }

    Pin intPin;
    Pic8259 pic;

    @BeforeEach
    void setUp() {
        intPin = new Pin();
        pic = new Pic8259(true, 0xff, true, intPin);
        init(0x20, 0x01); // single mode not set: cascade, ICW3 = 0, 8086
    }

    /** ICW1 (edge, cascade, IC4), ICW2, ICW3 = 0, ICW4. */
    void init(int base, int icw4) {
        pic.write(0, 0x11);
        pic.write(1, base);
        pic.write(1, 0x00);
        pic.write(1, icw4);
    }

    void raise(int... levels) {
        for (int n : levels) {
            pic.setInput(n, true);
            pic.setInput(n, false);
        }
    }

    void eoi() {
        pic.write(0, 0x20);
    }

    @Test
    void initializationSequenceSetsVectorBaseAndClearsMask() {
        pic.write(1, 0xff);
        init(0x68, 0x01);
        assertTrue(pic.initialized());
        assertEquals(0x68, pic.vectorBase());
        assertEquals(0, pic.imr());
        raise(3);
        assertTrue(intPin.level);
        assertEquals(0x6b, pic.acknowledge());
        assertEquals(0x08, pic.isr());
        assertEquals(0, pic.irr());
        assertFalse(intPin.level);
    }

    @Test
    void icw2LowBitsAreIgnoredIn8086Mode() {
        init(0x2f, 0x01);
        raise(1);
        assertEquals(0x29, pic.acknowledge());
    }

    @Test
    void singleModeWithoutIcw4SkipsIcw3AndIcw4() {
        pic.write(0, 0x12); // single, no IC4
        pic.write(1, 0x40); // ICW2
        assertTrue(pic.initialized());
        pic.write(1, 0xfe); // this is OCW1 now
        assertEquals(0xfe, pic.imr());
        assertFalse(pic.autoEoi());
    }

    @Test
    void cascadeModeWithoutIcw4TakesIcw3ThenIsReady() {
        pic.write(0, 0x10);
        pic.write(1, 0x50);
        assertFalse(pic.initialized());
        pic.write(1, 0x04); // ICW3: slave on IR2
        assertTrue(pic.initialized());
        assertTrue(pic.isCascade(2));
        assertFalse(pic.isCascade(3));
    }

    @Test
    void singleModeHasNoCascadeInputs() {
        pic.write(0, 0x13);
        pic.write(1, 0x50);
        pic.write(1, 0x01); // ICW4
        assertTrue(pic.initialized());
        assertFalse(pic.isCascade(2));
    }

    @Test
    void interruptOutputStaysLowDuringInitialization() {
        pic.write(0, 0x11);
        pic.setInput(0, true);
        assertFalse(intPin.level, "INT during ICW sequence");
        pic.write(1, 0x08);
        pic.write(1, 0x00);
        pic.write(1, 0x01);
        assertTrue(intPin.level, "the request latched during init is presented afterwards");
        assertEquals(0x08, pic.acknowledge());
    }

    @Test
    void icw1ClearsMaskAndInServiceAndResetsPriority() {
        pic.write(0, 0xc4); // set priority: IR4 lowest
        raise(6);
        pic.acknowledge();
        pic.write(1, 0xaa);
        init(0x20, 0x01);
        assertEquals(0, pic.imr());
        assertEquals(0, pic.isr());
        assertEquals(7, pic.lowestPriority());
    }

    @Test
    void icw1ResetsEdgeSenseSoAHeldInputNeedsANewEdge() {
        pic.setInput(5, true);
        init(0x20, 0x01);
        assertEquals(0, pic.irr());
        assertFalse(intPin.level);
        pic.setInput(5, true); // still high: no edge
        assertEquals(0, pic.irr());
        pic.setInput(5, false);
        pic.setInput(5, true);
        assertEquals(0x20, pic.irr());
    }

    @Test
    void fixedPriorityServesLowestNumberFirst() {
        raise(5, 1, 3);
        assertEquals(0x21, pic.acknowledge());
        eoi();
        assertEquals(0x23, pic.acknowledge());
        eoi();
        assertEquals(0x25, pic.acknowledge());
        eoi();
        assertFalse(intPin.level);
    }

    @Test
    void fullyNestedModeBlocksLowerAndEqualButNotHigherLevels() {
        raise(4);
        assertEquals(0x24, pic.acknowledge());
        raise(6);
        assertFalse(intPin.level, "IR6 is below IR4 in service");
        raise(2);
        assertTrue(intPin.level, "IR2 preempts IR4");
        assertEquals(0x22, pic.acknowledge());
        assertEquals(0x14, pic.isr());
        eoi(); // clears IR2, the highest in service
        assertEquals(0x10, pic.isr());
        assertFalse(intPin.level);
        eoi(); // clears IR4
        assertTrue(intPin.level);
        assertEquals(0x26, pic.acknowledge());
    }

    @Test
    void specificEoiClearsTheNamedLevel() {
        raise(2);
        pic.acknowledge();
        raise(0);
        pic.acknowledge();
        assertEquals(0x05, pic.isr());
        pic.write(0, 0x62); // specific EOI IR2
        assertEquals(0x01, pic.isr());
    }

    @Test
    void maskedRequestsStayInIrrButDoNotInterrupt() {
        pic.write(1, 0x08);
        raise(3);
        assertEquals(0x08, pic.irr());
        assertFalse(intPin.level);
        pic.write(1, 0x00);
        assertTrue(intPin.level);
    }

    @Test
    void maskedHigherLevelDoesNotHideLowerRequest() {
        pic.write(1, 0x01);
        raise(0, 5);
        assertEquals(0x25, pic.acknowledge());
    }

    @Test
    void rotateOnNonSpecificEoiMakesServicedLevelLowest() {
        raise(4);
        assertEquals(0x24, pic.acknowledge());
        pic.write(0, 0xa0); // rotate on non-specific EOI
        assertEquals(4, pic.lowestPriority());
        assertEquals(0, pic.isr());
        // Priority order is now 5,6,7,0,1,2,3,4.
        raise(3, 6, 4);
        assertEquals(0x26, pic.acknowledge());
        pic.write(0, 0xa0);
        assertEquals(6, pic.lowestPriority());
        assertEquals(0x23, pic.acknowledge());
        pic.write(0, 0xa0);
        assertEquals(0x24, pic.acknowledge());
    }

    @Test
    void rotationGivesEqualPriorityDevicesTurns() {
        // The datasheet's example: with automatic rotation every device gets served in turn.
        for (int round = 0; round < 3; round++) {
            raise(1, 2, 3);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                order.add(pic.acknowledge());
                pic.write(0, 0xa0);
            }
            assertEquals(3, order.stream().distinct().count());
            // Each level is lowest right after it is served.
            assertEquals(order.get(2) & 7, pic.lowestPriority());
        }
    }

    @Test
    void setPriorityCommand() {
        pic.write(0, 0xc2); // IR2 lowest: order 3,4,5,6,7,0,1,2
        raise(2, 1, 7);
        assertEquals(0x27, pic.acknowledge());
        raise(3);
        assertTrue(intPin.level, "IR3 is now the highest priority");
        assertEquals(0x23, pic.acknowledge());
    }

    @Test
    void higherPriorityAfterRotationPreemptsNumericallyLowerInService() {
        pic.write(0, 0xc4); // order 5,6,7,0,1,2,3,4
        raise(0);
        assertEquals(0x20, pic.acknowledge());
        raise(6);
        assertTrue(intPin.level, "IR6 outranks IR0 after rotation");
        raise(2);
        assertEquals(0x26, pic.acknowledge());
        assertFalse(intPin.level, "IR2 ranks below IR0 in service");
    }

    @Test
    void rotateOnSpecificEoi() {
        raise(5);
        pic.acknowledge();
        pic.write(0, 0xe5);
        assertEquals(0, pic.isr());
        assertEquals(5, pic.lowestPriority());
    }

    @Test
    void noOperationCommandChangesNothing() {
        raise(5);
        pic.acknowledge();
        pic.write(0, 0x40);
        assertEquals(0x20, pic.isr());
        assertEquals(7, pic.lowestPriority());
    }

    @Test
    void autoEoiLeavesNoInServiceBit() {
        init(0x20, 0x03);
        assertTrue(pic.autoEoi());
        raise(4);
        assertEquals(0x24, pic.acknowledge());
        assertEquals(0, pic.isr());
        raise(6);
        assertTrue(intPin.level, "nothing in service blocks IR6");
    }

    @Test
    void rotateInAutoEoiModeSetAndClear() {
        init(0x20, 0x03);
        pic.write(0, 0x80); // rotate in AEOI (set)
        raise(1);
        pic.acknowledge();
        assertEquals(1, pic.lowestPriority());
        pic.write(0, 0x00); // rotate in AEOI (clear)
        raise(3);
        pic.acknowledge();
        assertEquals(1, pic.lowestPriority());
    }

    @Test
    void readIrrAndIsrThroughOcw3() {
        pic.write(1, 0xff);
        raise(1, 6);
        assertEquals(0x42, pic.read(0), "IRR is read by default");
        pic.write(1, 0x00);
        pic.acknowledge();
        pic.write(0, 0x0b); // read ISR
        assertEquals(0x02, pic.read(0));
        assertEquals(0x02, pic.read(0), "the selection persists");
        pic.write(0, 0x0a); // read IRR
        assertEquals(0x40, pic.read(0));
        pic.write(0, 0x08); // RR = 0: no change
        assertEquals(0x40, pic.read(0));
        assertEquals(0x00, pic.read(1), "A0=1 reads the mask");
    }

    @Test
    void pollModeReturnsLevelAndActsAsAcknowledge() {
        raise(5, 3);
        pic.write(0, 0x0c); // poll
        assertEquals(0x83, pic.read(0));
        assertEquals(0x08, pic.isr());
        assertEquals(0x20, pic.irr());
        assertEquals(0x20, pic.read(0), "only the next read is a poll");
        eoi();
        pic.write(0, 0x0c);
        assertEquals(0x85, pic.read(1), "the poll read works on either port");
        eoi();
        pic.write(0, 0x0c);
        assertEquals(0x00, pic.read(0), "no request: bit 7 clear");
    }

    @Test
    void specialMaskModeEnablesLowerLevels() {
        raise(3);
        assertEquals(0x23, pic.acknowledge());
        raise(5);
        assertFalse(intPin.level);
        pic.write(1, 0x08);  // mask IR3, the one in service
        pic.write(0, 0x68);  // set special mask mode
        assertTrue(pic.specialMaskMode());
        assertTrue(intPin.level, "IR5 is enabled while IR3 is masked");
        assertEquals(0x25, pic.acknowledge());
        assertEquals(0x28, pic.isr());
        raise(3);
        assertFalse(intPin.level, "a masked level stays blocked");
        raise(4);
        assertTrue(intPin.level, "IR4 is not in service and not masked");
        pic.write(0, 0x48);  // reset special mask mode
        assertFalse(pic.specialMaskMode());
        assertFalse(intPin.level, "fully nested again: IR3 in service blocks IR4");
    }

    @Test
    void nonSpecificEoiInSpecialMaskModeSkipsMaskedInServiceLevels() {
        raise(3);
        pic.acknowledge();
        pic.write(1, 0x08);
        pic.write(0, 0x68);
        raise(5);
        pic.acknowledge();
        assertEquals(0x28, pic.isr());
        eoi();
        assertEquals(0x08, pic.isr(), "IR3 is masked, so the EOI cleared IR5");
        pic.write(0, 0x63);
        assertEquals(0, pic.isr());
    }

    @Test
    void edgeTriggeredInputLatchesUntilAcknowledged() {
        pic.setInput(2, true);
        pic.setInput(2, false);
        assertEquals(0x04, pic.irr(), "the edge is latched after the input fell");
        assertEquals(0x22, pic.acknowledge());
        eoi();
        pic.setInput(2, true);
        assertEquals(0x04, pic.irr());
        assertEquals(0x22, pic.acknowledge());
        eoi();
        assertEquals(0, pic.irr());
        pic.setInput(2, true); // held high: no new edge
        assertFalse(intPin.level);
        pic.setInput(2, false);
        pic.setInput(2, true);
        assertTrue(intPin.level);
    }

    @Test
    void levelTriggeredInputFollowsTheLineAndRepeatsAfterEoi() {
        pic.setElcr(0x20);
        assertTrue(pic.isLevelTriggered(5));
        pic.setInput(5, true);
        assertEquals(0x25, pic.acknowledge());
        assertEquals(0x20, pic.irr(), "IRR still follows the high line");
        assertFalse(intPin.level, "in service");
        eoi();
        assertTrue(intPin.level, "still asserted: interrupts again");
        pic.setInput(5, false);
        assertEquals(0, pic.irr());
        assertFalse(intPin.level);
    }

    @Test
    void levelRequestWithdrawnBeforeAcknowledgeGivesSpuriousIr7() {
        pic.setElcr(0x08);
        pic.setInput(3, true);
        assertTrue(intPin.level);
        pic.setInput(3, false);
        assertEquals(-1, pic.acknowledgeLevel());
        assertEquals(0x27, pic.acknowledge());
        assertEquals(0, pic.isr(), "a spurious IR7 sets no in-service bit");
    }

    @Test
    void switchingAnInputToLevelTakesIrrFromThePin() {
        pic.setInput(6, true);
        pic.acknowledge();
        eoi();
        assertEquals(0, pic.irr());
        pic.setElcr(0x40);
        assertEquals(0x40, pic.irr());
        assertTrue(intPin.level);
    }

    @Test
    void elcrMaskLimitsWhichInputsCanBeLevel() {
        Pic8259 chip = new Pic8259(true, 0xf8, false, IrqLine.NONE);
        chip.setElcr(0xff);
        assertEquals(0xf8, chip.elcr());
    }

    @Test
    void ltimSelectsLevelTriggeringWhenHonoured() {
        pic.write(0, 0x19); // ICW1 with LTIM
        pic.write(1, 0x20);
        pic.write(1, 0x00);
        pic.write(1, 0x01);
        assertTrue(pic.isLevelTriggered(0));
        Pic8259 piix = new Pic8259(true, 0xf8, false, IrqLine.NONE);
        piix.write(0, 0x19);
        assertFalse(piix.isLevelTriggered(0), "a PIIX-style chip ignores LTIM");
    }

    @Test
    void specialFullyNestedModeLetsTheSlaveInterruptAgain() {
        pic.write(0, 0x11);
        pic.write(1, 0x20);
        pic.write(1, 0x04);
        pic.write(1, 0x11); // SFNM, 8086
        raise(2);
        assertEquals(0x22, pic.acknowledge());
        raise(2);
        assertTrue(intPin.level, "cascade input in service does not block itself in SFNM");
        raise(5);
        assertEquals(0x22, pic.acknowledge(), "IR2 still outranks IR5");
        assertFalse(intPin.level, "IR5 is blocked by IR2 in service");
    }

    @Test
    void normalNestedModeBlocksACascadeInputInService() {
        pic.write(0, 0x11);
        pic.write(1, 0x20);
        pic.write(1, 0x04);
        pic.write(1, 0x01);
        raise(2);
        pic.acknowledge();
        raise(2);
        assertFalse(intPin.level);
    }

    @Test
    void bufferedModeMasterSlaveBitOverridesTheStrap() {
        Pic8259 chip = new Pic8259(false, IrqLine.NONE);
        chip.write(0, 0x11);
        chip.write(1, 0x20);
        chip.write(1, 0x04);
        chip.write(1, 0x0d); // BUF + M/S = master
        assertTrue(chip.isCascade(2));
        Pic8259 slave = new Pic8259(false, IrqLine.NONE);
        slave.write(0, 0x11);
        slave.write(1, 0x20);
        slave.write(1, 0x04);
        slave.write(1, 0x01);
        assertFalse(slave.isCascade(2), "a slave has no cascade inputs");
    }

    @Test
    void outputChangesAreDrivenOnlyOnChange() {
        intPin.history.clear();
        raise(1);
        raise(2);
        assertEquals(List.of(true), intPin.history);
        pic.acknowledge();
        assertEquals(List.of(true, false), intPin.history);
    }

    @Test
    void stateRoundTrip() {
        pic.write(0, 0xc3);
        pic.setElcr(0x80);
        pic.setInput(7, true);
        raise(1, 4);
        pic.acknowledge();
        pic.write(1, 0x10);
        pic.write(0, 0x0b);
        Pic8259.State saved = pic.state();

        Pin other = new Pin();
        Pic8259 copy = new Pic8259(true, 0xff, true, other);
        copy.restore(saved);
        assertEquals(saved, copy.state());
        assertEquals(pic.output(), other.level);
        assertEquals(pic.read(0), copy.read(0));
        assertEquals(pic.acknowledge(), copy.acknowledge());
        assertEquals(pic.state(), copy.state());
    }
}
