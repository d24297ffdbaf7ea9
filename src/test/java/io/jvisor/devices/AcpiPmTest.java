package io.jvisor.devices;

import io.jvisor.memory.IoBus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AcpiPmTest {
    long now;
    final List<Boolean> sciEdges = new ArrayList<>();
    boolean sci;
    int powerOffs;
    int resets;
    AcpiPm pm;
    IoBus bus;

    @BeforeEach
    void setUp() {
        now = 0;
        pm = new AcpiPm(() -> now, high -> {
            sci = high;
            sciEdges.add(high);
        }, () -> powerOffs++, () -> resets++);
        bus = new IoBus();
        pm.register(bus);
        new PciHostBridge().register(bus);   // shares 0xCF8-0xCFF with the reset register
    }

    static long exactTicks(long nanos) {
        return BigInteger.valueOf(nanos).multiply(BigInteger.valueOf(3_579_545))
                .divide(BigInteger.valueOf(1_000_000_000)).longValueExact();
    }

    @Test
    void timerCountsAt3579545Hz() {
        assertEquals(0, bus.in(0x608, 4));
        now = 1_000_000_000L;
        assertEquals(3_579_545, bus.in(0x608, 4));
        now = 279;                               // one tick is 279.365 ns
        assertEquals(0, bus.in(0x608, 4));
        now = 280;
        assertEquals(1, bus.in(0x608, 4));
        now = 1_000_000;                         // 1 ms = 3579.545 ticks
        assertEquals(3579, bus.in(0x608, 4));
    }

    @Test
    void timerIs24BitsAndWraps() {
        long wrap = AcpiPm.nanosForTicks(1L << 24);      // about 4.69 s
        now = wrap - 1;
        assertEquals(0xff_ffff, bus.in(0x608, 4));
        now = wrap;
        assertEquals(0, bus.in(0x608, 4));
        for (long t : new long[] {12_345_678_901L, 3_600_000_000_000L, 86_400_000_000_000L * 365 * 100}) {
            now = t;
            int v = bus.in(0x608, 4);
            assertEquals(0, v & 0xff00_0000, "bits 31:24 read as zero");
            assertEquals(exactTicks(t) & 0xff_ffff, v, "exact at " + t);
        }
    }

    @Test
    void tickArithmeticIsExactAndOverflowSafe() {
        long[] samples = {0, 1, 279, 280, 999_999_999L, 1_000_000_000L, 2_576_980_377_600L,
                          Long.MAX_VALUE / 2, Long.MAX_VALUE - 1, Long.MAX_VALUE};
        for (long n : samples) {
            assertEquals(exactTicks(n), AcpiPm.ticksAt(n), "ticks at " + n);
        }
        for (long ticks : new long[] {1, 3_579_545, 1L << 23, 1L << 24, 1L << 40, 123_456_789_012L}) {
            long t = AcpiPm.nanosForTicks(ticks);
            assertEquals(ticks, AcpiPm.ticksAt(t), "reached at " + t);
            assertEquals(ticks - 1, AcpiPm.ticksAt(t - 1), "not before " + t);
        }
    }

    @Test
    void timerReadsAtAnySize() {
        now = 3_000_000_000L;
        int v = bus.in(0x608, 4);
        assertEquals(v & 0xffff, bus.in(0x608, 2));
        assertEquals(v >>> 16, bus.in(0x60a, 2));
        assertEquals(v >>> 8 & 0xff, bus.in(0x609, 1));
        assertEquals(0, bus.in(0x60b, 1));
        bus.out(0x608, 4, 0);                    // read-only
        assertEquals(v, bus.in(0x608, 4));
        assertEquals(v, pm.timer());
    }

    @Test
    void alwaysInAcpiMode() {
        assertEquals(AcpiPm.SCI_EN, bus.in(0x604, 2));
        bus.out(0x604, 2, 0);
        assertEquals(AcpiPm.SCI_EN, bus.in(0x604, 2) & AcpiPm.SCI_EN);
        bus.out(0x604, 2, AcpiPm.BM_RLD | 3 << 10);
        assertEquals(AcpiPm.SCI_EN | AcpiPm.BM_RLD | 3 << 10, bus.in(0x604, 2));
        assertEquals(0, bus.in(0x606, 2));       // reserved
    }

    @Test
    void s5PowersOff() {
        // ACPICA writes SLP_TYP first, then SLP_TYP | SLP_EN, as 16-bit accesses
        int typ = AcpiPm.SLP_TYP_S5 << 10;
        bus.out(0x604, 2, AcpiPm.SCI_EN | typ);
        assertEquals(0, powerOffs);
        bus.out(0x604, 2, AcpiPm.SCI_EN | typ | AcpiPm.SLP_EN);
        assertEquals(1, powerOffs);
        assertEquals(0, bus.in(0x604, 2) & AcpiPm.SLP_EN, "SLP_EN is write-only");
        assertEquals(5, pm.sleepType());
    }

    @Test
    void s5PowersOffWithByteWrites() {
        bus.out(0x605, 1, (AcpiPm.SLP_TYP_S5 << 10 | AcpiPm.SLP_EN) >>> 8);
        assertEquals(1, powerOffs);
    }

    @Test
    void otherSleepTypesDoNothing() {
        bus.out(0x604, 2, AcpiPm.SLP_EN);                      // S0
        bus.out(0x604, 2, 1 << 10 | AcpiPm.SLP_EN);             // an S1 value nobody advertised
        bus.out(0x604, 2, 7 << 10 | AcpiPm.SLP_EN);
        bus.out(0x604, 2, 5 << 10);                            // S5 without SLP_EN
        assertEquals(0, powerOffs);
    }

    @Test
    void resetRegister() {
        assertEquals(0, bus.in(0xcf9, 1));
        bus.out(0xcf9, 1, 0x02);                 // Linux's reboot=pci writes SRST first
        assertEquals(0, resets);
        assertEquals(0x02, bus.in(0xcf9, 1));
        bus.out(0xcf9, 1, 0x06);                 // the FADT's RESET_VALUE
        assertEquals(1, resets);
        assertEquals(0x06, bus.in(0xcf9, 1));
        bus.out(0xcf9, 1, 0x0e);                 // full reset
        assertEquals(2, resets);
        bus.out(0xcf9, 1, 0x00);
        bus.out(0xcf9, 1, 0x08);
        assertEquals(2, resets);
        assertEquals(0x08, bus.in(0xcf9, 1));
        // the PCI address port next door still works
        bus.out(0xcf8, 4, 0x8000_0000);
        assertEquals(0x8000_0000, bus.in(0xcf8, 4));
        assertEquals(0x8086, bus.in(0xcfc, 2));
    }

    @Test
    void powerButtonRaisesSciOnlyWhenEnabled() {
        pm.pressPowerButton();
        assertEquals(AcpiPm.PWRBTN_STS, bus.in(0x600, 2));
        assertFalse(sci);
        bus.out(0x602, 2, AcpiPm.PWRBTN_EN);
        assertTrue(sci);
        assertTrue(pm.sciAsserted());
        assertEquals(AcpiPm.PWRBTN_EN, bus.in(0x602, 2));
        bus.out(0x600, 2, AcpiPm.TMR_STS);       // clearing another bit leaves it
        assertTrue(sci);
        bus.out(0x600, 2, AcpiPm.PWRBTN_STS);    // write one to clear
        assertFalse(sci);
        assertEquals(0, bus.in(0x600, 2));
        assertEquals(List.of(true, false), sciEdges);
    }

    @Test
    void pm1EventBlockAsOneDword() {
        pm.pressPowerButton();
        bus.out(0x600, 4, AcpiPm.PWRBTN_EN << 16);          // enable, write no status ones
        assertEquals(AcpiPm.PWRBTN_EN << 16 | AcpiPm.PWRBTN_STS, bus.in(0x600, 4));
        assertTrue(sci);
        bus.out(0x600, 4, AcpiPm.PWRBTN_EN << 16 | AcpiPm.PWRBTN_STS);
        assertFalse(sci);
        bus.out(0x602, 2, 0xffff);
        assertEquals(0x0721, bus.in(0x602, 2));             // only the implemented enables
    }

    @Test
    void timerCarrySetsTmrStsAndSci() {
        long carry = AcpiPm.nanosForTicks(1L << 23);
        bus.out(0x602, 2, AcpiPm.TMR_EN);
        assertEquals(carry, pm.nextDeadline());
        pm.advance(carry - 1);
        assertFalse(sci);
        assertEquals(0, bus.in(0x600, 2) & AcpiPm.TMR_STS);
        pm.advance(carry);
        assertTrue(sci);
        assertEquals(Long.MAX_VALUE, pm.nextDeadline(), "pending until cleared");
        now = carry + 10;
        assertEquals(AcpiPm.TMR_STS, bus.in(0x600, 2));
        bus.out(0x600, 2, AcpiPm.TMR_STS);
        assertFalse(sci);
        assertEquals(AcpiPm.nanosForTicks(2L << 23), pm.nextDeadline());
        // without TMR_EN the status still sets, but no SCI and no deadline
        bus.out(0x602, 2, 0);
        assertEquals(Long.MAX_VALUE, pm.nextDeadline());
        now = AcpiPm.nanosForTicks(2L << 23);
        assertEquals(AcpiPm.TMR_STS, bus.in(0x600, 2));
        assertFalse(sci);
    }

    @Test
    void stateRoundTrip() {
        now = 5_000_000_000L;
        bus.out(0x602, 2, AcpiPm.PWRBTN_EN);
        pm.pressPowerButton();
        bus.out(0x604, 2, 2 << 10);
        bus.out(0xcf9, 1, 0x02);
        AcpiPm.State s = pm.state();
        assertTrue(sci);

        boolean[] otherSci = {false};
        AcpiPm other = new AcpiPm(() -> now, h -> otherSci[0] = h, () -> { }, () -> { });
        other.restore(s);
        assertEquals(s, other.state());
        assertTrue(otherSci[0], "restore drives the SCI level");
        assertTrue(other.sciAsserted());
        assertEquals(bus.in(0x600, 4), other.in(0x600, 4));
        assertEquals(bus.in(0x604, 2), other.in(0x604, 2));
        assertEquals(bus.in(0x608, 4), other.in(0x608, 4));
        assertEquals(0x02, other.in(0xcf9, 1));

        bus.out(0x600, 2, 0xffff);
        assertFalse(sci);
        pm.restore(s);
        assertTrue(sci);
        assertEquals(AcpiPm.PWRBTN_STS, bus.in(0x600, 2) & AcpiPm.PWRBTN_STS);
    }
}
