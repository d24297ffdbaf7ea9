package io.jvisor.devices;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Pit8254Test {
    /** Counts rising edges on IRQ 0. */
    static final class EdgeCounter implements IrqLine {
        boolean level;
        int rises;

        @Override
        public void set(boolean high) {
            if (high && !level) {
                rises++;
            }
            level = high;
        }
    }

    long now;
    EdgeCounter irq;
    Pit8254 pit;
    PcSpeakerPort port61;

    @BeforeEach
    void setUp() {
        now = 0;
        irq = new EdgeCounter();
        pit = new Pit8254(() -> now, irq);
        port61 = new PcSpeakerPort(pit);
    }

    /** Moves the VM clock to the moment input-clock tick {@code k} happens. */
    void at(long k) {
        now = Pit8254.nanosOfTick(k);
    }

    void control(int value) {
        pit.out(0x43, 1, value);
    }

    void write16(int counter, int value) {
        pit.out(0x40 + counter, 1, value & 0xff);
        pit.out(0x40 + counter, 1, (value >>> 8) & 0xff);
    }

    /** Counter latch command, then LSB and MSB (the counter must be in LSB-then-MSB mode). */
    int latch(int counter) {
        control(counter << 6);
        return read16(counter);
    }

    int read16(int counter) {
        int lo = pit.in(0x40 + counter, 1);
        return lo | pit.in(0x40 + counter, 1) << 8;
    }

    int status(int counter) {
        control(0xe0 | (2 << counter)); // read-back: status only
        return pit.in(0x40 + counter, 1);
    }

    boolean out2() {
        return (port61.in(0x61, 1) & 0x20) != 0;
    }

    // ------------------------------------------------------------------------------------
    // Time conversion

    @Test
    void tickConversionIsExactAndOverflowFree() {
        assertEquals(0, Pit8254.ticksAt(0));
        assertEquals(0, Pit8254.ticksAt(838));
        assertEquals(1, Pit8254.ticksAt(839)); // 1 tick = 838.095... ns
        assertEquals(1_193_182, Pit8254.ticksAt(1_000_000_000L));
        assertEquals(0, Pit8254.nanosOfTick(0));
        assertEquals(839, Pit8254.nanosOfTick(1));
        assertEquals(1_000_000_000L, Pit8254.nanosOfTick(1_193_182));
        BigInteger f = BigInteger.valueOf(1_193_182);
        BigInteger g = BigInteger.valueOf(1_000_000_000L);
        assertEquals(BigInteger.valueOf(Long.MAX_VALUE).multiply(f).divide(g).longValueExact(),
                Pit8254.ticksAt(Long.MAX_VALUE));
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 20_000; i++) {
            long t = random.nextLong(0, Long.MAX_VALUE);
            assertEquals(BigInteger.valueOf(t).multiply(f).divide(g).longValueExact(), Pit8254.ticksAt(t));
            long k = random.nextLong(1, Pit8254.ticksAt(Long.MAX_VALUE));
            long n = Pit8254.nanosOfTick(k);
            assertEquals(k, Pit8254.ticksAt(n), "tick " + k + " has happened at its time");
            assertEquals(k - 1, Pit8254.ticksAt(n - 1), "and not a nanosecond earlier");
        }
        assertEquals(Long.MAX_VALUE, Pit8254.nanosOfTick(Long.MAX_VALUE));
    }

    // ------------------------------------------------------------------------------------
    // Mode 2: the periodic timer interrupt

    @Test
    void unprogrammedTimerHasNoDeadlineAndNoInterrupts() {
        assertEquals(Long.MAX_VALUE, pit.nextDeadline());
        pit.advance(5_000_000_000L);
        assertEquals(0, irq.rises);
    }

    @Test
    void mode2PeriodicInterruptsAtExactDeadlines() {
        control(0x34);
        assertEquals(1, irq.rises, "a control word raises OUT0 at once");
        write16(0, 1000); // written at tick 0, loaded at tick 1
        long deadline = pit.nextDeadline();
        assertEquals(Pit8254.nanosOfTick(1001), deadline);
        pit.advance(deadline - 1);
        assertEquals(1, irq.rises);
        at(1000);
        pit.advance(now);
        assertFalse(irq.level, "OUT is low while the count is 1");
        pit.advance(deadline);
        assertEquals(2, irq.rises);
        assertTrue(irq.level);
        for (int m = 2; m <= 50; m++) {
            deadline = pit.nextDeadline();
            assertEquals(Pit8254.nanosOfTick(1 + 1000L * m), deadline);
            pit.advance(deadline);
            assertEquals(m + 1, irq.rises);
        }
        assertEquals(0, pit.coalescedEdges());
    }

    @Test
    void lateAdvanceCoalescesMissedPeriodsAndKeepsThePhase() {
        control(0x34);
        write16(0, 1000);
        at(1 + 1000 * 10 + 500);
        pit.advance(now);
        assertEquals(2, irq.rises, "one interrupt for ten missed periods");
        assertEquals(9, pit.coalescedEdges());
        assertEquals(Pit8254.nanosOfTick(1 + 1000 * 11), pit.nextDeadline(), "still on the original grid");
        pit.advance(pit.nextDeadline());
        assertEquals(3, irq.rises);
        assertEquals(9, pit.coalescedEdges());
    }

    @Test
    void hundredHertzTimerOverTenSecondsWithIrregularAdvances() {
        int latch = (1_193_182 + 50) / 100; // Linux's LATCH for HZ=100
        control(0x34);
        write16(0, latch);
        int initial = irq.rises;
        SplittableRandom random = new SplittableRandom(7);
        long end = 10_000_000_000L;
        while (now < end) {
            now = Math.min(end, now + random.nextLong(1, 30_000_000)); // up to 3 periods late
            pit.advance(now);
        }
        long periods = (Pit8254.ticksAt(end) - 1) / latch;
        assertEquals(periods, irq.rises - initial + pit.coalescedEdges());
        assertTrue(pit.coalescedEdges() > 0);
    }

    @Test
    void advanceNeverGoesBackwards() {
        control(0x34);
        write16(0, 100);
        at(1000);
        pit.advance(now);
        int rises = irq.rises;
        pit.advance(0);
        assertEquals(rises, irq.rises);
        assertEquals(Pit8254.nanosOfTick(1001), pit.nextDeadline());
    }

    @Test
    void mode2CountReadsDownFromNToOne() {
        control(0x34);
        write16(0, 1000);
        at(1);
        assertEquals(1000, latch(0));
        at(251);
        assertEquals(750, latch(0));
        at(1000);
        assertEquals(1, latch(0));
        at(1001);
        assertEquals(1000, latch(0), "reloaded");
    }

    @Test
    void mode2NewCountTakesEffectAtTheEndOfThePeriod() {
        control(0x34);
        write16(0, 1000);
        at(500);
        write16(0, 300);
        assertEquals(501, latch(0), "the current period is not affected");
        assertEquals(Pit8254.nanosOfTick(1001), pit.nextDeadline());
        pit.advance(pit.nextDeadline());
        assertEquals(Pit8254.nanosOfTick(1301), pit.nextDeadline());
        at(1002);
        assertEquals(299, latch(0));
        pit.advance(Pit8254.nanosOfTick(1601));
        assertEquals(Pit8254.nanosOfTick(1901), pit.nextDeadline());
    }

    @Test
    void modes6And7AreAliasesOf2And3() {
        control(0x3c); // mode 6
        write16(0, 100);
        assertEquals(Pit8254.nanosOfTick(101), pit.nextDeadline());
        at(50);
        assertEquals(0x3c | 0x80, status(0), "the status byte reports the mode as programmed");
        control(0x3e); // mode 7
        write16(0, 10);
        at(55);
        assertEquals(0x80, status(0) & 0x80, "high half of the square wave");
        at(56);
        assertEquals(0, status(0) & 0x80);
    }

    // ------------------------------------------------------------------------------------
    // Mode 3: square wave

    @Test
    void mode3EvenCountSquareWave() {
        control(0x36);
        write16(0, 6); // loaded at tick 1
        int[] values = {6, 4, 2, 6, 4, 2, 6};
        boolean[] outs = {true, true, true, false, false, false, true};
        for (int i = 0; i < values.length; i++) {
            at(1 + i);
            assertEquals(values[i], latch(0), "value at tick " + (1 + i));
            assertEquals(outs[i], (status(0) & 0x80) != 0, "OUT at tick " + (1 + i));
        }
    }

    @Test
    void mode3OddCountIsHighOneClockLonger() {
        control(0x36);
        write16(0, 5);
        int[] values = {4, 2, 0, 4, 2, 4, 2, 0};
        boolean[] outs = {true, true, true, false, false, true, true, true};
        for (int i = 0; i < values.length; i++) {
            at(1 + i);
            assertEquals(values[i], latch(0), "value at tick " + (1 + i));
            assertEquals(outs[i], (status(0) & 0x80) != 0, "OUT at tick " + (1 + i));
        }
        assertEquals(Pit8254.nanosOfTick(11), pit.nextDeadline(), "rising edges every 5 ticks");
    }

    @Test
    void mode3InterruptRateIsOnePerPeriod() {
        control(0x36);
        write16(0, 0); // 65536: the BIOS's 18.2 Hz
        int before = irq.rises;
        for (int i = 0; i < 20; i++) {
            pit.advance(pit.nextDeadline());
        }
        assertEquals(before + 20, irq.rises);
        assertEquals(Pit8254.nanosOfTick(1 + 65536L * 21), pit.nextDeadline());
    }

    @Test
    void mode3NewCountTakesEffectAtTheEndOfTheHalfCycle() {
        control(0x36);
        write16(0, 1000); // high ticks 1..500, low 501..1000
        at(100);
        write16(0, 200);
        at(500);
        assertTrue((status(0) & 0x80) != 0);
        at(501);
        assertEquals(0, status(0) & 0x80, "the new count starts with its low half");
        assertEquals(200, latch(0));
        assertEquals(Pit8254.nanosOfTick(601), pit.nextDeadline());
        pit.advance(Pit8254.nanosOfTick(601));
        assertEquals(Pit8254.nanosOfTick(801), pit.nextDeadline());
    }

    @Test
    void mode3NewCountWrittenInTheLowHalfStartsAtTheNextRisingEdge() {
        control(0x36);
        write16(0, 1000);
        at(700);
        pit.advance(now);
        write16(0, 200);
        assertEquals(Pit8254.nanosOfTick(1001), pit.nextDeadline());
        pit.advance(Pit8254.nanosOfTick(1001));
        assertEquals(Pit8254.nanosOfTick(1201), pit.nextDeadline());
        at(1001);
        assertEquals(200, latch(0));
    }

    // ------------------------------------------------------------------------------------
    // Modes 0, 1, 4, 5

    @Test
    void mode0InterruptOnTerminalCount() {
        at(10);
        control(0x30);
        assertFalse(irq.level, "OUT low after the control word");
        write16(0, 100); // written at tick 10, loaded at 11, terminal count at 111
        assertEquals(Pit8254.nanosOfTick(111), pit.nextDeadline());
        at(110);
        pit.advance(now);
        assertEquals(0, irq.rises);
        assertEquals(1, latch(0));
        at(111);
        pit.advance(now);
        assertEquals(1, irq.rises);
        assertEquals(0, latch(0));
        assertEquals(Long.MAX_VALUE, pit.nextDeadline(), "one shot only");
        at(112);
        assertEquals(0xffff, latch(0), "the counter wraps and keeps counting");
        at(5000);
        pit.advance(now);
        assertEquals(1, irq.rises);
        assertTrue(irq.level, "OUT stays high");
    }

    @Test
    void mode0FirstByteStopsCountingAndDropsOut() {
        control(0x30);
        write16(0, 1000);
        at(100);
        assertEquals(901, latch(0));
        pit.out(0x40, 1, 0x10); // LSB only so far
        at(200);
        assertEquals(901, latch(0), "counting is disabled");
        pit.out(0x40, 1, 0x00); // MSB: count 16, loaded at tick 201
        at(201);
        assertEquals(16, latch(0));
        assertEquals(Pit8254.nanosOfTick(217), pit.nextDeadline());
    }

    @Test
    void mode0RewriteWhileOutIsHighDropsOutAgain() {
        control(0x30);
        write16(0, 10);
        pit.advance(Pit8254.nanosOfTick(11));
        assertTrue(irq.level);
        at(20);
        write16(0, 10);
        assertFalse(irq.level);
        pit.advance(Pit8254.nanosOfTick(31));
        assertEquals(2, irq.rises);
    }

    @Test
    void mode0GateLowPausesCounting() {
        port61.out(0x61, 1, 0x01);
        control(0xb0); // counter 2, mode 0
        write16(2, 50); // loaded at tick 1
        at(11);
        assertEquals(40, latch(2));
        port61.out(0x61, 1, 0x00);
        at(40);
        assertEquals(40, latch(2), "paused");
        port61.out(0x61, 1, 0x01);
        at(50);
        assertEquals(30, latch(2));
        at(79);
        assertFalse(out2());
        at(80);
        assertTrue(out2());
    }

    @Test
    void mode0CountWrittenWithGateLowWaitsForTheGate() {
        control(0xb0);
        write16(2, 5);
        at(100);
        assertEquals(5, latch(2));
        assertFalse(out2());
        port61.out(0x61, 1, 0x01);
        at(105);
        assertTrue(out2());
    }

    @Test
    void mode1GateTriggeredRetriggerableOneShot() {
        control(0xb2); // counter 2, mode 1
        assertTrue(pit.output(2), "OUT high after the control word");
        write16(2, 20);
        at(3);
        assertTrue(pit.output(2), "no trigger yet");
        at(5);
        pit.setGate(2, true); // trigger: loaded at tick 6
        at(6);
        assertFalse(pit.output(2));
        assertEquals(20, latch(2));
        at(15);
        pit.setGate(2, false);
        pit.setGate(2, true); // retrigger at 15: loaded at 16
        at(26);
        assertFalse(pit.output(2), "the retrigger extended the pulse");
        at(35);
        assertFalse(pit.output(2));
        at(36);
        assertTrue(pit.output(2));
    }

    @Test
    void mode1NewCountWaitsForTheNextTrigger() {
        control(0xb2);
        write16(2, 20);
        pit.setGate(2, true); // loaded at 1, ends at 21
        at(5);
        write16(2, 100);
        at(21);
        assertTrue(pit.output(2));
        pit.setGate(2, false);
        pit.setGate(2, true); // loaded with 100 at 22
        at(121);
        assertFalse(pit.output(2));
        at(122);
        assertTrue(pit.output(2));
    }

    @Test
    void mode4SoftwareTriggeredStrobe() {
        control(0x38); // what Linux's PIT clockevent uses for one-shot
        int base = irq.rises;
        write16(0, 10); // loaded at 1, reaches 0 at 11
        assertEquals(Pit8254.nanosOfTick(12), pit.nextDeadline());
        at(11);
        pit.advance(now);
        assertFalse(irq.level, "OUT low for the one clock at count 0");
        at(12);
        pit.advance(now);
        assertTrue(irq.level);
        assertEquals(base + 1, irq.rises);
        assertEquals(Long.MAX_VALUE, pit.nextDeadline());
    }

    @Test
    void mode4RewriteRestartsImmediately() {
        control(0x38);
        write16(0, 100);
        at(50);
        write16(0, 10); // reloaded at 51
        assertEquals(Pit8254.nanosOfTick(62), pit.nextDeadline());
    }

    @Test
    void lateAdvanceStillDeliversAOneShotEdge() {
        control(0x38);
        int base = irq.rises;
        write16(0, 10);
        at(1_000_000);
        pit.advance(now);
        assertEquals(base + 1, irq.rises);
        assertTrue(irq.level);
    }

    @Test
    void mode5HardwareTriggeredStrobe() {
        control(0xba); // counter 2, mode 5
        write16(2, 10);
        at(3);
        pit.setGate(2, true); // loaded at 4, count 0 at 14
        at(13);
        assertTrue(pit.output(2));
        at(14);
        assertFalse(pit.output(2));
        at(15);
        assertTrue(pit.output(2));
    }

    // ------------------------------------------------------------------------------------
    // Gate in modes 2 and 3

    @Test
    void mode2GateLowForcesOutHighAndGateHighReloads() {
        pit.setGate(2, true);
        control(0xb4);
        write16(2, 100);
        at(100);
        assertFalse(pit.output(2), "count 1: OUT low");
        at(150);
        pit.setGate(2, false);
        assertTrue(pit.output(2));
        int frozen = latch(2);
        at(400);
        assertTrue(pit.output(2));
        assertEquals(frozen, latch(2));
        pit.setGate(2, true); // reload at 401
        at(401);
        assertEquals(100, latch(2));
        at(500);
        assertFalse(pit.output(2));
    }

    @Test
    void counter2IsGatedOffAtPowerOn() {
        control(0xb4);
        write16(2, 100);
        at(1000);
        assertTrue(pit.output(2));
        assertEquals(100, latch(2));
        assertFalse(pit.gate(2));
        assertTrue(pit.gate(0));
    }

    // ------------------------------------------------------------------------------------
    // BCD and access modes

    @Test
    void bcdCounting() {
        control(0x35); // mode 2, BCD
        write16(0, 0x1000);
        at(1);
        assertEquals(0x1000, latch(0));
        at(2);
        assertEquals(0x0999, latch(0));
        at(1000);
        assertEquals(0x0001, latch(0));
        assertEquals(Pit8254.nanosOfTick(1001), pit.nextDeadline());
    }

    @Test
    void bcdZeroMeansTenThousand() {
        control(0x35);
        write16(0, 0);
        at(1);
        assertEquals(0, latch(0));
        at(2);
        assertEquals(0x9999, latch(0));
        assertEquals(Pit8254.nanosOfTick(10_001), pit.nextDeadline());
    }

    @Test
    void bcdOneShotWrapsToNineNineNineNine() {
        control(0x31);
        write16(0, 0x0005);
        at(6);
        assertEquals(0, latch(0));
        at(7);
        assertEquals(0x9999, latch(0));
    }

    @Test
    void binaryZeroMeans65536() {
        control(0x34);
        write16(0, 0);
        at(2);
        assertEquals(0xffff, latch(0));
        assertEquals(Pit8254.nanosOfTick(65_537), pit.nextDeadline());
    }

    @Test
    void lsbOnlyAccess() {
        control(0x14); // counter 0, LSB only, mode 2
        pit.out(0x40, 1, 0x80);
        at(11);
        assertEquals(0x76, pit.in(0x40, 1));
        assertEquals(0x76, pit.in(0x40, 1), "every read is the LSB");
        assertEquals(Pit8254.nanosOfTick(129), pit.nextDeadline());
    }

    @Test
    void msbOnlyAccess() {
        control(0x24); // counter 0, MSB only, mode 2
        pit.out(0x40, 1, 0x02); // 0x200
        at(1);
        assertEquals(0x02, pit.in(0x40, 1));
        at(2);
        assertEquals(0x01, pit.in(0x40, 1), "0x1ff");
        assertEquals(Pit8254.nanosOfTick(513), pit.nextDeadline());
    }

    @Test
    void unlatchedReadsFollowTheFlipFlopAndCanTear() {
        control(0x34);
        write16(0, 0x1234);
        at(1);
        assertEquals(0x34, pit.in(0x40, 1), "LSB of 0x1234");
        at(0x36);
        assertEquals(0x11, pit.in(0x40, 1), "MSB of 0x11ff, read live: the classic torn read");
        assertEquals(0xff, pit.in(0x40, 1), "LSB again");
    }

    // ------------------------------------------------------------------------------------
    // Latch and read-back

    @Test
    void latchHoldsTheValueUntilRead() {
        control(0x34);
        write16(0, 1000);
        at(100);
        control(0x00);
        at(200);
        control(0x00); // ignored: a count is already latched
        at(500);
        assertEquals(901, read16(0));
        assertEquals(501, latch(0), "a new latch after reading");
    }

    @Test
    void latchInterleavedWithLsbReadContinuesWithMsb() {
        control(0x34);
        write16(0, 0x1234);
        at(1);
        assertEquals(0x34, pit.in(0x40, 1)); // LSB, flip-flop now at MSB
        control(0x00);
        assertEquals(0x12, pit.in(0x40, 1), "MSB of the latched value");
        assertEquals(0x34, pit.in(0x40, 1), "back to LSB, live again");
    }

    @Test
    void readBackStatusAndCount() {
        control(0x34);
        write16(0, 1000);
        at(101);
        control(0xc2); // latch count and status of counter 0
        assertEquals(0x80 | 0x34, pit.in(0x40, 1), "status first: OUT high, RW=3, mode 2, binary");
        assertEquals(900, read16(0));
    }

    @Test
    void readBackOfSeveralCounters() {
        control(0x34);
        write16(0, 1000);
        pit.setGate(2, true);
        control(0xb0);
        write16(2, 500);
        at(11);
        control(0xda); // counts of counters 0 and 2
        at(50);
        assertEquals(990, read16(0));
        assertEquals(490, read16(2));
        control(0xea); // statuses of counters 0 and 2
        assertEquals(0xb4, pit.in(0x40, 1));
        assertEquals(0x30, pit.in(0x42, 1), "mode 0, OUT still low");
    }

    @Test
    void statusIsLatchedOnlyOnce() {
        control(0xb0);
        control(0xe8); // status of counter 2
        control(0xb4); // a new control word clears the latch...
        control(0xe8);
        control(0xe8); // ...and a second status latch before reading is ignored
        assertEquals(0xf4, pit.in(0x42, 1), "mode 2, OUT high, null count");
    }

    @Test
    void nullCountFlag() {
        control(0x34);
        assertEquals(0x40, status(0) & 0x40, "after a control word");
        write16(0, 100);
        assertEquals(0x40, status(0) & 0x40, "until the load on the next clock");
        at(1);
        assertEquals(0, status(0) & 0x40);
        write16(0, 50);
        assertEquals(0x40, status(0) & 0x40, "mode 2: a new count waits for the end of the period");
        at(100);
        assertEquals(0x40, status(0) & 0x40);
        at(101);
        assertEquals(0, status(0) & 0x40);
    }

    @Test
    void controlPortReadsAllOnes() {
        assertEquals(0xff, pit.in(0x43, 1));
    }

    // ------------------------------------------------------------------------------------
    // Port 0x61 and Linux's TSC calibration

    @Test
    void linuxPitCalibrateTscSequence() {
        at(12_345);
        // pit_calibrate_tsc: gate high, speaker off, counter 2 mode 0, 50 ms
        port61.out(0x61, 1, (port61.in(0x61, 1) & ~0x02) | 0x01);
        control(0xb0);
        int latch = 1_193_182 / 20;
        pit.out(0x42, 1, latch & 0xff);
        pit.out(0x42, 1, latch >> 8);
        long done = 12_345 + latch + 1;
        int polls = 0;
        while ((port61.in(0x61, 1) & 0x20) == 0) {
            polls++;
            now += 1000;
        }
        assertTrue(polls > 40_000, "polled for about 50 ms");
        long seen = Pit8254.ticksAt(now);
        assertTrue(seen >= done && seen <= done + 1, "OUT2 rose at tick " + done + ", seen at " + seen);
        assertTrue(Pit8254.ticksAt(now - 1000) < done, "and was still low at the previous poll");
    }

    @Test
    void quickPitCalibrateReadsTheMsbCountingDown() {
        port61.out(0x61, 1, 0x01);
        control(0xb0);
        pit.out(0x42, 1, 0xff);
        pit.out(0x42, 1, 0xff); // 0xffff, loaded at tick 1
        for (int k = 0; k < 20; k++) {
            at(1 + 256L * k + 3);
            pit.in(0x42, 1);
            assertEquals(0xff - k, pit.in(0x42, 1));
        }
    }

    @Test
    void port61BitsAndRefreshToggle() {
        assertEquals(0, port61.in(0x61, 1) & 0x10);
        assertEquals(0x10, port61.in(0x61, 1) & 0x10, "toggles on every read");
        assertEquals(0, port61.in(0x61, 1) & 0x10);
        port61.out(0x61, 1, 0xff);
        int v = port61.in(0x61, 1);
        assertEquals(0x0f, v & 0x0f, "bits 0-3 read back");
        assertEquals(0, v & 0xc0, "no parity or channel check errors");
        assertTrue(port61.speakerEnabled());
        assertTrue(pit.gate(2));
        port61.out(0x61, 1, 0x01);
        assertFalse(port61.speakerEnabled());
    }

    @Test
    void port61ShowsSquareWaveOnBit5() {
        port61.out(0x61, 1, 0x03);
        control(0xb6);
        write16(2, 1000); // high 1..500, low 501..1000
        at(250);
        assertEquals(0x20, port61.in(0x61, 1) & 0x20);
        at(750);
        assertEquals(0, port61.in(0x61, 1) & 0x20);
    }

    // ------------------------------------------------------------------------------------

    @Test
    void stateRoundTrip() {
        control(0x34);
        write16(0, 1000);
        port61.out(0x61, 1, 0x01);
        control(0xb0);
        write16(2, 5000);
        at(300);
        write16(0, 400); // pending new count
        control(0xd8); // latch counter 2's count (read-back, count only)
        Pit8254.State saved = pit.state();
        PcSpeakerPort.State savedPort = port61.state();

        EdgeCounter otherIrq = new EdgeCounter();
        otherIrq.level = irq.level;
        Pit8254 copy = new Pit8254(() -> now, otherIrq);
        PcSpeakerPort copyPort = new PcSpeakerPort(copy);
        copy.restore(saved);
        copyPort.restore(savedPort);
        assertEquals(saved, copy.state());
        assertEquals(savedPort, copyPort.state());
        assertEquals(pit.nextDeadline(), copy.nextDeadline());
        at(2000);
        assertEquals(read16(2), copy.in(0x42, 1) | copy.in(0x42, 1) << 8, "the latched count survived");
        assertEquals(latch(0), readLatched(copy));
        pit.advance(now);
        copy.advance(now);
        assertEquals(pit.nextDeadline(), copy.nextDeadline());
        assertEquals(Pit8254.nanosOfTick(2201), copy.nextDeadline());
    }

    private static int readLatched(Pit8254 p) {
        p.out(0x43, 1, 0x00);
        return p.in(0x40, 1) | p.in(0x40, 1) << 8;
    }
}
