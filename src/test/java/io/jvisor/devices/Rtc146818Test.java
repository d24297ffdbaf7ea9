package io.jvisor.devices;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Rtc146818Test {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;
    /** 2024-02-29 (a Thursday, leap day) 23:59:58.250 UTC: the first update is 750 ms in. */
    static final Instant START = Instant.parse("2024-02-29T23:59:58.250Z");

    static final class Line implements IrqLine {
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
    Line irq;
    Rtc146818 rtc;

    @BeforeEach
    void setUp() {
        now = 0;
        irq = new Line();
        rtc = new Rtc146818(() -> now, Clock.fixed(START, ZoneOffset.UTC), irq);
    }

    int read(int reg) {
        rtc.out(0x70, 1, reg);
        return rtc.in(0x71, 1);
    }

    void write(int reg, int value) {
        rtc.out(0x70, 1, reg);
        rtc.out(0x71, 1, value);
    }

    /** hh:mm:ss as raw register bytes. */
    int[] time() {
        return new int[] {read(4), read(2), read(0)};
    }

    int[] date() {
        return new int[] {read(0x32), read(9), read(8), read(7), read(6)};
    }

    // ------------------------------------------------------------------------------------

    @Test
    void divider32kConversionIsExact() {
        BigInteger hz = BigInteger.valueOf(32_768);
        BigInteger g = BigInteger.valueOf(1_000_000_000L);
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 10_000; i++) {
            long t = random.nextLong(0, Long.MAX_VALUE);
            assertEquals(BigInteger.valueOf(t).multiply(hz).divide(g).longValueExact(), Rtc146818.ticksIn(t));
            long k = random.nextLong(1, Rtc146818.ticksIn(Long.MAX_VALUE));
            long n = Rtc146818.nanosOfTicks(k);
            assertEquals(k, Rtc146818.ticksIn(n));
            assertEquals(k - 1, Rtc146818.ticksIn(n - 1));
        }
    }

    @Test
    void powerOnRegistersFromTheWallClock() {
        assertArrayEquals(new int[] {0x23, 0x59, 0x58}, time());
        assertArrayEquals(new int[] {0x20, 0x24, 0x02, 0x29, 5}, date(), "century, year, month, day, Thursday");
        assertEquals(0x26, read(0x0a));
        assertEquals(0x02, read(0x0b), "BCD, 24-hour");
        assertEquals(0x00, read(0x0c));
        assertEquals(0x80, read(0x0d));
    }

    @Test
    void wallClockZoneGivesLocalTime() {
        Rtc146818 local = new Rtc146818(() -> 0, Clock.fixed(START, ZoneId.of("+02:00")), IrqLine.NONE);
        local.out(0x70, 1, 4);
        assertEquals(0x01, local.in(0x71, 1));
        local.out(0x70, 1, 7);
        assertEquals(0x01, local.in(0x71, 1), "March 1st there");
    }

    @Test
    void timeAdvancesWithTheVmClockAcrossTheLeapDay() {
        now = 750 * MS - 1;
        assertEquals(0x58, read(0));
        now = 750 * MS;
        assertEquals(0x59, read(0));
        now = 1750 * MS;
        assertArrayEquals(new int[] {0x00, 0x00, 0x00}, time());
        assertArrayEquals(new int[] {0x20, 0x24, 0x03, 0x01, 6}, date(), "Friday, March 1st");
        now = 1750 * MS + 3 * 3600 * S + 25 * 60 * S + 7 * S;
        assertArrayEquals(new int[] {0x03, 0x25, 0x07}, time());
    }

    @Test
    void binaryDataMode() {
        write(0x0b, 0x06);
        assertArrayEquals(new int[] {23, 59, 58}, time());
        assertArrayEquals(new int[] {20, 24, 2, 29, 5}, date());
    }

    @Test
    void twelveHourMode() {
        write(0x0b, 0x00); // BCD, 12-hour
        assertEquals(0x91, read(4), "11 PM");
        now = 1750 * MS;
        assertEquals(0x12, read(4), "midnight is 12 AM");
        write(0x0b, 0x04); // binary, 12-hour
        now += 12 * 3600 * S;
        assertEquals(0x80 | 12, read(4), "noon is 12 PM");
        now += 3600 * S;
        assertEquals(0x80 | 1, read(4));
    }

    @Test
    void writingHoursIn12HourModeSetsTheClock() {
        write(0x0b, 0x00);
        write(4, 0x87); // 7 PM
        write(0x0b, 0x02);
        assertEquals(0x19, read(4));
    }

    @Test
    void updateInProgressInThe244MicrosecondsBeforeTheUpdate() {
        // Boundary at 750 ms; UIP from divider tick 32760 = 750 ms - 244140.625 ns.
        now = 749_755_859;
        assertEquals(0, read(0x0a) & 0x80);
        now = 749_755_860;
        assertEquals(0x80, read(0x0a) & 0x80);
        assertEquals(0x58, read(0), "the update has not happened yet");
        now = 750 * MS;
        assertEquals(0, read(0x0a) & 0x80);
        assertEquals(0x59, read(0));
    }

    @Test
    void uipBitIsReadOnly() {
        write(0x0a, 0xa6);
        assertEquals(0x26, read(0x0a));
    }

    @Test
    void setBitFreezesUpdatesAndLoadsTheNewTime() {
        write(0x0b, 0x82);
        now = 5 * S;
        assertArrayEquals(new int[] {0x23, 0x59, 0x58}, time(), "frozen");
        now = 749_900_000 + 5 * S;
        assertEquals(0, read(0x0a) & 0x80, "no UIP while SET");
        write(4, 0x10);
        write(2, 0x20);
        write(0, 0x30);
        write(7, 0x15);
        write(8, 0x06);
        write(9, 0x25);
        assertArrayEquals(new int[] {0x10, 0x20, 0x30}, time());
        now = 5 * S + 100 * MS;
        write(0x0b, 0x02); // clear SET
        assertArrayEquals(new int[] {0x10, 0x20, 0x30}, time());
        assertArrayEquals(new int[] {0x20, 0x25, 0x06, 0x15, 1}, date(), "2025-06-15 was a Sunday");
        now = 5 * S + 750 * MS - 1;
        assertEquals(0x30, read(0));
        now = 5 * S + 750 * MS;
        assertEquals(0x31, read(0), "the divider phase is unchanged by SET");
    }

    @Test
    void setBitClearsUpdateInterruptEnable() {
        write(0x0b, 0x92);
        assertEquals(0x82, read(0x0b));
    }

    @Test
    void writingATimeRegisterWhileRunningSetsTheClock() {
        now = 100 * MS;
        write(0, 0x00);
        assertArrayEquals(new int[] {0x23, 0x59, 0x00}, time());
        now = 750 * MS;
        assertArrayEquals(new int[] {0x23, 0x59, 0x01}, time());
        write(0x32, 0x19);
        assertEquals(0x19, read(0x32));
        assertEquals(0x24, read(9));
    }

    @Test
    void centuryRollover() {
        write(0x0b, 0x82);
        write(0x32, 0x20);
        write(9, 0x99);
        write(8, 0x12);
        write(7, 0x31);
        write(4, 0x23);
        write(2, 0x59);
        write(0, 0x59);
        write(0x0b, 0x02);
        now = 750 * MS;
        assertArrayEquals(new int[] {0x00, 0x00, 0x00}, time());
        assertArrayEquals(new int[] {0x21, 0x00, 0x01, 0x01, 6}, date(), "2100-01-01 is a Friday");
    }

    @Test
    void outOfRangeFieldsCarryOverLikeMktime() {
        write(0x0b, 0x82);
        write(7, 0x31);
        write(8, 0x02); // February 31st, 2024 = March 2nd
        write(0x0b, 0x02);
        assertArrayEquals(new int[] {0x20, 0x24, 0x03, 0x02, 7}, date());
    }

    // ------------------------------------------------------------------------------------
    // Interrupts

    @Test
    void periodicInterruptAt1024Hz() {
        write(0x0b, 0x42); // PIE
        // Divider at tick 8192 at VM time 0; next multiple of 32 is 8224 = 250.976562 5 ms into the second.
        assertEquals(976_563, rtc.nextDeadline());
        rtc.advance(976_562);
        assertFalse(irq.level);
        rtc.advance(976_563);
        assertTrue(irq.level);
        assertEquals(Long.MAX_VALUE, rtc.nextDeadline(), "nothing changes until C is read");
        now = 976_563;
        assertEquals(0xc0, read(0x0c));
        assertFalse(irq.level);
        assertEquals(0x00, read(0x0c));
        assertEquals(1_953_125, rtc.nextDeadline());
    }

    @Test
    void periodicRates() {
        assertEquals(128, Rtc146818.periodTicks(1), "256 Hz");
        assertEquals(256, Rtc146818.periodTicks(2), "128 Hz");
        assertEquals(4, Rtc146818.periodTicks(3), "8192 Hz");
        assertEquals(32, Rtc146818.periodTicks(6), "1024 Hz");
        assertEquals(16384, Rtc146818.periodTicks(15), "2 Hz");
        write(0x0a, 0x2f);
        write(0x0b, 0x42);
        assertEquals(250 * MS, rtc.nextDeadline(), "the 2 Hz tap next toggles at half a second");
        write(0x0a, 0x20);
        assertEquals(Long.MAX_VALUE, rtc.nextDeadline(), "RS = 0: no periodic interrupt");
    }

    @Test
    void periodicInterruptCountOverTime() {
        write(0x0a, 0x2d); // RS 13: 8 Hz
        write(0x0b, 0x42);
        int handled = 0;
        for (int i = 0; i < 80; i++) {
            now = rtc.nextDeadline();
            rtc.advance(now);
            assertTrue(irq.level);
            assertEquals(0x40, read(0x0c) & 0x40);
            handled++;
        }
        assertEquals(80, irq.rises);
        assertEquals(handled, irq.rises);
        assertEquals(10 * S, now, "80 periods of 125 ms: the 8 Hz tap is in phase with VM time 0 here");
    }

    @Test
    void updateEndedInterruptOncePerSecond() {
        write(0x0a, 0x20); // no periodic flag, to see UF alone
        write(0x0b, 0x12);
        assertEquals(750 * MS, rtc.nextDeadline());
        rtc.advance(750 * MS);
        assertTrue(irq.level);
        now = 750 * MS;
        assertEquals(0x90, read(0x0c));
        assertEquals(1750 * MS, rtc.nextDeadline());
        rtc.advance(1750 * MS);
        assertEquals(2, irq.rises);
    }

    @Test
    void alarmInterruptAtTheMatchingSecond() {
        write(0x0a, 0x20);
        write(1, 0x00);
        write(3, 0x00);
        write(5, 0x00); // alarm at 00:00:00
        write(0x0b, 0x22); // AIE
        rtc.advance(750 * MS);
        assertFalse(irq.level, "23:59:59 does not match");
        now = 750 * MS;
        assertEquals(0x10, read(0x0c), "UF is set though not enabled; no IRQF");
        rtc.advance(1750 * MS);
        assertTrue(irq.level);
        now = 1750 * MS;
        assertEquals(0xb0, read(0x0c), "IRQF, AF and UF");
        rtc.advance(2750 * MS);
        assertFalse(irq.level);
    }

    @Test
    void alarmDontCareBytesMatchEverySecond() {
        write(0x0a, 0x20);
        write(1, 0xff);
        write(3, 0xc0);
        write(5, 0xd5);
        write(0x0b, 0x22);
        for (int i = 0; i < 5; i++) {
            now = 750 * MS + i * S;
            rtc.advance(now);
            assertTrue(irq.level);
            assertEquals(0xb0, read(0x0c));
        }
    }

    @Test
    void alarmOnlyOnMatchingMinute() {
        write(1, 0xff); // any second
        write(3, 0x01); // minute 01
        write(5, 0xff); // any hour
        write(0x0b, 0x22);
        now = 1750 * MS + 59 * S; // 00:00:59
        rtc.advance(now);
        assertFalse(irq.level);
        read(0x0c);
        now += S; // 00:01:00
        rtc.advance(now);
        assertTrue(irq.level);
    }

    @Test
    void lateAdvanceStillSeesAPassedAlarm() {
        write(0x0a, 0x20);
        write(1, 0x00);
        write(3, 0x00);
        write(5, 0x00);
        write(0x0b, 0x22);
        rtc.advance(10 * S);
        assertTrue(irq.level, "00:00:00 passed at 1.75 s");
        now = 10 * S;
        assertEquals(0xb0, read(0x0c));
    }

    @Test
    void twelveHourAlarmComparesEncodedBytes() {
        write(0x0b, 0x80); // SET, 12-hour BCD
        write(4, 0x81); // 1 PM
        write(2, 0x00);
        write(0, 0x00);
        write(1, 0x02);
        write(3, 0x00);
        write(5, 0x81);
        write(0x0b, 0x20); // run, AIE
        rtc.advance(750 * MS);
        assertFalse(irq.level, "13:00:01");
        rtc.advance(1750 * MS);
        assertTrue(irq.level, "13:00:02 matches 1 PM, 00:02");
    }

    @Test
    void flagsAreSetWithoutEnablesAndEnablingRaisesIrqf() {
        rtc.advance(S);
        assertFalse(irq.level);
        write(0x0b, 0x42); // enable PIE with PF already set
        assertTrue(irq.level);
        assertEquals(0xd0, read(0x0c), "IRQF, PF, UF");
        assertFalse(irq.level);
    }

    @Test
    void disablingTheEnableDropsTheLine() {
        write(0x0b, 0x12);
        assertEquals(0x00, read(0x0c));
        rtc.advance(750 * MS);
        assertTrue(irq.level);
        write(0x0b, 0x02);
        assertFalse(irq.level);
        assertEquals(0x50, read(0x0c), "PF and UF stay, IRQF cleared");
    }

    @Test
    void registersCAndDAreReadOnly() {
        write(0x0c, 0xff);
        assertEquals(0, read(0x0c));
        write(0x0d, 0x00);
        assertEquals(0x80, read(0x0d));
    }

    @Test
    void nextDeadlineIsNeverWithoutEnabledInterrupts() {
        assertEquals(Long.MAX_VALUE, rtc.nextDeadline());
        write(0x0b, 0xa2); // AIE but SET
        assertEquals(Long.MAX_VALUE, rtc.nextDeadline());
    }

    // ------------------------------------------------------------------------------------
    // Divider

    @Test
    void dividerResetStopsTheClockAndReleaseUpdatesHalfASecondLater() {
        write(0x0b, 0x52); // PIE, UIE
        write(0x0a, 0x76); // divider reset
        assertEquals(Long.MAX_VALUE, rtc.nextDeadline());
        now = 10 * S;
        rtc.advance(now);
        assertFalse(irq.level);
        assertEquals(0x58, read(0));
        assertEquals(0, read(0x0a) & 0x80);
        write(0x0a, 0x26);
        now = 10 * S + 500 * MS - 1;
        assertEquals(0x58, read(0));
        now = 10 * S + 500 * MS;
        assertEquals(0x59, read(0));
    }

    @Test
    void stoppedOscillatorFreezesTime() {
        write(0x0a, 0x36);
        now = 3 * S;
        assertEquals(0x58, read(0));
        write(0x0a, 0x06);
        now = 3 * S + 400 * MS;
        assertEquals(0x58, read(0), "DV=000 runs, restarted half a second from the update");
        now = 3 * S + 500 * MS;
        assertEquals(0x59, read(0));
    }

    // ------------------------------------------------------------------------------------
    // CMOS RAM

    @Test
    void memorySizeBytes() {
        rtc.setMemorySize(32L << 20);
        assertEquals(0x80, rtc.cmos(0x15));
        assertEquals(0x02, rtc.cmos(0x16), "640 KiB base memory");
        assertEquals(0x00, rtc.cmos(0x17));
        assertEquals(0x7c, rtc.cmos(0x18), "31744 KiB extended");
        assertEquals(0x00, rtc.cmos(0x30));
        assertEquals(0x7c, rtc.cmos(0x31));
        assertEquals(0x00, rtc.cmos(0x34));
        assertEquals(0x01, rtc.cmos(0x35), "16 MiB above 16 MiB = 256 x 64 KiB");
        int sum = 0;
        for (int i = 0x10; i <= 0x2d; i++) {
            sum += rtc.cmos(i);
        }
        assertEquals(sum, rtc.cmos(0x2e) << 8 | rtc.cmos(0x2f), "checksum");
        assertEquals(0x7c, read(0x18), "readable through the ports");
    }

    @Test
    void memorySizeBytesClampAt64MiBAnd4GiB() {
        rtc.setMemorySize(128L << 20);
        assertEquals(0xffff, rtc.cmos(0x17) | rtc.cmos(0x18) << 8);
        assertEquals(0xffff, rtc.cmos(0x30) | rtc.cmos(0x31) << 8);
        assertEquals(0x0700, rtc.cmos(0x34) | rtc.cmos(0x35) << 8);
        rtc.setMemorySize(8L << 30);
        assertEquals(0xffff, rtc.cmos(0x34) | rtc.cmos(0x35) << 8);
        rtc.setMemorySize(512L << 10);
        assertEquals(512, rtc.cmos(0x15) | rtc.cmos(0x16) << 8);
        assertEquals(0, rtc.cmos(0x17) | rtc.cmos(0x18) << 8);
        assertEquals(0, rtc.cmos(0x34) | rtc.cmos(0x35) << 8);
    }

    @Test
    void cmosRamAndNmiBit() {
        write(0x40, 0x5a);
        assertEquals(0x5a, read(0x40));
        rtc.out(0x70, 1, 0x80 | 0x7f);
        assertTrue(rtc.nmiDisabled());
        rtc.out(0x71, 1, 0xa5);
        assertEquals(0xa5, rtc.in(0x71, 1), "index 0x7f, NMI bit stripped");
        rtc.out(0x70, 1, 0x7f);
        assertFalse(rtc.nmiDisabled());
        assertEquals(0xff, rtc.in(0x70, 1), "the index port is write-only");
        rtc.setCmos(0x3d, 0x21);
        assertEquals(0x21, read(0x3d));
        assertThrows(IllegalArgumentException.class, () -> rtc.setCmos(0x00, 1));
    }

    @Test
    void wordAccessSplitsIntoIndexThenData() {
        write(0x20, 0x77);
        rtc.out(0x70, 2, 0x9920); // index 0x20, then data 0x99
        assertEquals(0x99, read(0x20));
    }

    @Test
    void stateRoundTrip() {
        write(0x0b, 0x52);
        write(0x40, 0x12);
        now = 3 * S + 123 * MS;
        rtc.advance(now);
        Rtc146818.State saved = rtc.state();
        Line other = new Line();
        Rtc146818 copy = new Rtc146818(() -> now, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), other);
        assertNotEquals(saved, copy.state());
        copy.restore(saved);
        assertEquals(saved, copy.state());
        assertEquals(rtc.nextDeadline(), copy.nextDeadline());
        for (int reg : new int[] {0, 2, 4, 6, 7, 8, 9, 0x0a, 0x0b, 0x0c, 0x32, 0x40}) {
            copy.out(0x70, 1, reg);
            assertEquals(read(reg), copy.in(0x71, 1), "register " + reg);
        }
        byte[] bytes = saved.cmos();
        bytes[0x40] = 0;
        assertEquals(0x12, saved.cmos()[0x40], "the snapshot is immutable");
    }
}
