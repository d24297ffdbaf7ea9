package io.jvisor.devices;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.jvisor.devices.Hpet.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

class HpetTest {
    long now;
    final List<String> events = new ArrayList<>();
    Hpet hpet;

    IrqLine recorder(String name) {
        return high -> events.add(name + (high ? "+" : "-"));
    }

    @BeforeEach
    void machine() {
        hpet = new Hpet(() -> now, pin -> recorder("pin" + pin), recorder("irq0"), recorder("irq8"));
    }

    long read64(int off) {
        return (hpet.read(off, 4) & 0xffff_ffffL) | (long) hpet.read(off + 4, 4) << 32;
    }

    void write64(int off, long v) {
        hpet.write(off, 4, (int) v);
        hpet.write(off + 4, 4, (int) (v >>> 32));
    }

    @Test
    void capabilitiesAndCounter() {
        long cap = read64(GCAP_ID);
        assertEquals(1, cap & 0xff, "revision 1");
        assertEquals(TIMERS - 1, cap >>> 8 & 0x1f);
        assertEquals(1, cap >>> 13 & 1, "64-bit counter");
        assertEquals(1, cap >>> 15 & 1, "legacy replacement capable");
        assertEquals(0x8086, cap >>> 16 & 0xffff);
        assertEquals(10_000_000L, cap >>> 32, "10 ns per tick");
        now = 1000;
        assertEquals(0, read64(MAIN_CNT), "halted after reset");
        write64(MAIN_CNT, 500);
        write64(GEN_CONF, ENABLE);
        now = 1000 + 250;
        assertEquals(525, read64(MAIN_CNT));
        write64(GEN_CONF, 0);
        now = 5000;
        assertEquals(525, read64(MAIN_CNT), "stops when disabled");
    }

    @Test
    void oneShotEdgeTimerOnARoutedPin() {
        write64(TIMER0 + 0x20, TN_ENABLE | 21L << TN_ROUTE_SHIFT);   // timer 1 to I/O APIC pin 21
        write64(TIMER0 + 0x28, 100);
        write64(GEN_CONF, ENABLE);
        assertEquals(1000, hpet.nextDeadline());
        now = 990;
        hpet.advance(now);
        assertEquals(List.of(), events);
        now = 1000;
        hpet.advance(now);
        assertEquals(List.of("pin21+", "pin21-"), events);
        now = 5000;
        hpet.advance(now);
        assertEquals(2, events.size(), "one shot");
        assertEquals(Long.MAX_VALUE, hpet.nextDeadline());
    }

    @Test
    void unsupportedRoutesAreNotTaken() {
        write64(TIMER0 + 0x20, TN_ENABLE | 5L << TN_ROUTE_SHIFT);
        assertEquals(0, read64(TIMER0 + 0x20) & TN_ROUTE_MASK);
        assertEquals((long) ROUTE_CAP, read64(TIMER0 + 0x20) >>> 32);
    }

    @Test
    void periodicTimerAsLinuxProgramsItInLegacyMode() {
        write64(GEN_CONF, ENABLE | LEGACY);
        now = 0;
        // hpet_set_periodic: enable, periodic, VAL_SET, 32-bit; comparator = now + delta; then the period
        hpet.write(TIMER0, 4, (int) (TN_ENABLE | TN_PERIODIC | TN_VAL_SET | TN_32BIT));
        hpet.write(TIMER0 + 8, 4, 1000);
        hpet.write(TIMER0 + 8, 4, 1000);
        now = 10_000;                    // 1000 ticks
        hpet.advance(now);
        assertEquals(List.of("irq0+", "irq0-"), events, "legacy replacement: timer 0 is IRQ 0");
        assertEquals(20_000, hpet.nextDeadline());
        now = 45_000;                    // periods missed while busy collapse into one
        hpet.advance(now);
        assertEquals(4, events.size());
        assertEquals(50_000, hpet.nextDeadline());
        assertEquals(0, read64(TIMER0 + 0x20) & TN_PERIODIC_CAP, "only timer 0 can be periodic");
        assertEquals(TN_PERIODIC_CAP, read64(TIMER0) & TN_PERIODIC_CAP);
    }

    @Test
    void levelTimerHoldsItsLineUntilTheStatusIsCleared() {
        write64(TIMER0 + 0x40, TN_ENABLE | TN_LEVEL | 22L << TN_ROUTE_SHIFT);   // timer 2
        write64(TIMER0 + 0x48, 10);
        write64(GEN_CONF, ENABLE);
        now = 100;
        hpet.advance(now);
        assertEquals(4, read64(GINTR_STA), "status bit 2");
        assertEquals("pin22+", events.get(events.size() - 1));
        write64(GINTR_STA, 4);
        assertEquals(0, read64(GINTR_STA));
        assertEquals("pin22-", events.get(events.size() - 1));
    }

    @Test
    void thirtyTwoBitModeWrapsTheComparator() {
        write64(MAIN_CNT, 0xffff_fff0L);
        write64(TIMER0 + 0x20, TN_ENABLE | TN_32BIT | 20L << TN_ROUTE_SHIFT);
        write64(TIMER0 + 0x28, 0x1_0000_0010L);
        assertEquals(0x10, read64(TIMER0 + 0x28), "32-bit comparator");
        write64(GEN_CONF, ENABLE);
        assertEquals(0x20 * 10, hpet.nextDeadline(), "0x20 ticks ahead across the 32-bit wrap");
        now = 0x20 * 10;
        hpet.advance(now);
        assertEquals(List.of("pin20+", "pin20-"), events);
    }
}
