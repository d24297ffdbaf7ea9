package io.jvisor.devices;

import io.jvisor.cpu.InterruptSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.jvisor.devices.LocalApic.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalApicTest {
    long now;
    final VmClock clock = () -> now;

    LocalApic apic(int index) {
        return new LocalApic(index, clock, InterruptSource.NONE, () -> now);
    }

    LocalApic enabled(int index) {
        LocalApic a = apic(index);
        a.write(SVR, 4, 0x1ff);
        return a;
    }

    int reg(LocalApic a, int r) {
        return a.read(r, 4);
    }

    @Test
    void stateAfterReset() {
        LocalApic a = apic(3);
        assertEquals(3 << 24, reg(a, ID));
        assertEquals(0x0105_0014, reg(a, VER), "integrated APIC, 6 LVT entries, EOI-broadcast suppression");
        assertEquals(0xff, reg(a, SVR));
        assertEquals(0xffff_ffff, reg(a, DFR));
        for (int r : new int[] {LVT_TIMER, LVT_THERMAL, LVT_PMC, LVT_LINT0, LVT_LINT1, LVT_ERROR}) {
            assertEquals(LVT_MASKED, reg(a, r), Integer.toHexString(r));
        }
        assertFalse(a.softwareEnabled());
        a.accept(0x40, false);
        assertFalse(a.hasInterrupt(), "software-disabled: nothing is delivered");
    }

    @Test
    void taskPriorityMasksByClass() {
        LocalApic a = enabled(0);
        a.accept(0x31, false);
        assertTrue(a.hasInterrupt());
        a.write(TPR, 4, 0x40);
        assertFalse(a.hasInterrupt(), "class 3 is not above TPR class 4");
        assertEquals(0x40, reg(a, PPR));
        a.write(TPR, 4, 0x2f);
        assertTrue(a.hasInterrupt());
        assertEquals(0x31, a.acknowledge());
        assertEquals(0x30, reg(a, PPR), "PPR is the in-service class when above TPR");
    }

    @Test
    void inServicePriorityNestsAndEoiRetiresTheHighest() {
        LocalApic a = enabled(0);
        a.accept(0x31, false);
        assertEquals(0x31, a.acknowledge());
        a.accept(0x35, false);
        assertFalse(a.hasInterrupt(), "same class as the one in service waits");
        a.accept(0x41, false);
        assertTrue(a.hasInterrupt());
        assertEquals(0x41, a.acknowledge());
        assertEquals(1 << 1 | 0, reg(a, ISR + 0x20) & 0x2, "0x41 in service");
        a.write(EOI, 4, 0);
        assertEquals(0, reg(a, ISR + 0x20));
        assertFalse(a.hasInterrupt(), "0x31 still in service blocks 0x35");
        a.write(EOI, 4, 0);
        assertEquals(0x35, a.acknowledge());
    }

    @Test
    void levelTriggeredEoiIsBroadcast() {
        LocalApic a = enabled(0);
        List<Integer> eois = new ArrayList<>();
        a.setEoiBroadcast(eois::add);
        a.accept(0x51, true);
        assertEquals(1 << 17, reg(a, TMR + 0x20), "TMR bit 0x51");
        a.acknowledge();
        a.write(EOI, 4, 0);
        a.accept(0x52, false);
        a.acknowledge();
        a.write(EOI, 4, 0);
        assertEquals(List.of(0x51), eois);
    }

    @Test
    void directedEoiSuppressesTheBroadcast() {
        LocalApic a = apic(0);
        a.write(SVR, 4, 0x11ff);
        assertEquals(0x11ff, reg(a, SVR), "SVR bit 12 is writable when the version offers it");
        List<Integer> eois = new ArrayList<>();
        a.setEoiBroadcast(eois::add);
        a.accept(0x51, true);
        assertEquals(0x51, a.acknowledge());
        a.write(EOI, 4, 0);
        assertEquals(0, reg(a, ISR + 0x20), "the EOI still retires the vector locally");
        assertEquals(List.of(), eois, "but does not reach the I/O APIC");
    }

    @Test
    void raisingTprOverAPendingInterruptWithdrawsIt() {
        LocalApic a = enabled(0);
        a.write(TPR, 4, 0x10);
        a.accept(0x45, false);
        assertTrue(a.hasInterrupt());
        a.write(TPR, 4, 0x50);
        assertFalse(a.hasInterrupt(), "the CPU must not acknowledge a vector the new TPR blocks");
        a.write(TPR, 4, 0x5f);
        assertFalse(a.hasInterrupt(), "same class");
        assertEquals(0x5f, reg(a, TPR));
        a.write(TPR, 4, 0x3f);
        assertTrue(a.hasInterrupt(), "lowering TPR checks for interrupts");
        assertEquals(0x45, a.acknowledge());
    }

    @Test
    void x2apicTprMsrIsTheSameRegister() {
        LocalApic a = enabled(0);
        a.baseChanged(0xfee0_0000L | 0xc00);
        a.accept(0x45, false);
        assertTrue(a.writeMsr(0x808, 0x60));
        assertFalse(a.hasInterrupt());
        assertEquals(0x60L, a.readMsr(0x808));
        assertTrue(a.writeMsr(0x808, 0));
        assertTrue(a.hasInterrupt());
    }

    @Test
    void illegalVectorsSetTheErrorStatus() {
        LocalApic a = enabled(0);
        a.write(LVT_ERROR, 4, 0xfe);
        a.accept(0x05, false);
        a.write(ESR, 4, 0);
        assertEquals(ESR_RECEIVE_ILLEGAL_VECTOR, reg(a, ESR));
        assertEquals(0xfe, a.acknowledge(), "the error LVT raised its vector");
        a.write(ICR_LO, 4, 0x0000_4003);   // fixed IPI with vector 3
        a.write(ESR, 4, 0);
        assertEquals(ESR_SEND_ILLEGAL_VECTOR, reg(a, ESR));
    }

    @Test
    void softwareDisableMasksEveryLvt() {
        LocalApic a = enabled(0);
        a.write(LVT_TIMER, 4, 0x40);
        assertEquals(0x40, reg(a, LVT_TIMER));
        a.write(SVR, 4, 0xff);
        assertEquals(LVT_MASKED | 0x40, reg(a, LVT_TIMER));
        a.write(LVT_TIMER, 4, 0x41);
        assertEquals(LVT_MASKED | 0x41, reg(a, LVT_TIMER), "cannot be unmasked while disabled");
    }

    @Test
    void oneShotTimerCountsDownAndFiresOnce() {
        LocalApic a = enabled(0);
        a.write(TIMER_DIVIDE, 4, 0xb);          // divide by 1: one tick per bus clock (1 ns)
        a.write(LVT_TIMER, 4, 0x40);
        a.write(TIMER_INITIAL, 4, 1000);
        assertEquals(1000, a.nextDeadline());
        now = 400;
        assertEquals(600, reg(a, TIMER_CURRENT));
        a.advance(now);
        assertFalse(a.hasInterrupt());
        now = 1000;
        a.advance(now);
        assertEquals(0x40, a.acknowledge());
        assertEquals(0, reg(a, TIMER_CURRENT));
        assertEquals(Long.MAX_VALUE, a.nextDeadline(), "one shot");
    }

    @Test
    void periodicTimerReloadsAndDivides() {
        LocalApic a = enabled(0);
        a.write(TIMER_DIVIDE, 4, 0x0);          // divide by 2
        a.write(LVT_TIMER, 4, 1 << 17 | 0x41);
        a.write(TIMER_INITIAL, 4, 100);         // a period of 200 ns
        now = 450;
        assertEquals(100 - 225 % 100, reg(a, TIMER_CURRENT));
        a.advance(now);
        assertEquals(0x41, a.acknowledge());
        a.write(EOI, 4, 0);
        assertEquals(600, a.nextDeadline());
        a.write(TIMER_DIVIDE, 4, 0x3);          // divide by 16 from here: the count goes on from 75
        assertEquals(75, reg(a, TIMER_CURRENT));
        now += 16 * 5;
        assertEquals(70, reg(a, TIMER_CURRENT));
    }

    @Test
    void tscDeadlineTimer() {
        LocalApic a = enabled(0);
        a.write(LVT_TIMER, 4, 2 << 17 | 0x42);
        a.setTscDeadline(5000);
        assertEquals(5000, a.nextDeadline());
        now = 4999;
        a.advance(now);
        assertFalse(a.hasInterrupt());
        now = 5000;
        a.advance(now);
        assertEquals(0x42, a.acknowledge());
        assertEquals(0, a.tscDeadline(), "disarmed after firing");
        a.write(TIMER_INITIAL, 4, 10);
        assertEquals(0, reg(a, TIMER_INITIAL), "the initial count is ignored in TSC-deadline mode");
    }

    @Test
    void virtualWirePassesThePicThrough() {
        InterruptSource pic = new InterruptSource() {
            @Override
            public boolean hasInterrupt() {
                return true;
            }

            @Override
            public int acknowledge() {
                return 0x08;
            }
        };
        LocalApic a = new LocalApic(1, clock, pic, () -> now);
        assertFalse(a.hasInterrupt(), "an AP's LINT0 is masked after reset");
        a.virtualWire();
        assertTrue(a.hasInterrupt());
        LocalApic bsp = new LocalApic(0, clock, pic, () -> now);
        assertTrue(bsp.hasInterrupt(), "the BSP's LINT0 starts in ExtINT mode, as in QEMU");
        assertEquals(0x08, bsp.acknowledge(), "even while the APIC is software-disabled");
        bsp.baseChanged(0xfee00000L);   // EN clear: hardware-disabled, the 8259 drives INTR
        bsp.accept(0x90, false);
        assertEquals(0x08, bsp.acknowledge());
        assertEquals(0x08, a.acknowledge());
        a.accept(0x90, false);
        assertEquals(0x90, a.acknowledge(), "a fixed interrupt first");
    }

    @Test
    void ipisByShorthandPhysicalAndLogicalDestination() {
        ApicBus bus = new ApicBus();
        LocalApic a0 = enabled(0), a1 = enabled(1), a2 = enabled(2);
        bus.attach(a0);
        bus.attach(a1);
        bus.attach(a2);
        a0.write(ICR_LO, 4, 1 << 18 | 0x50);            // self
        assertEquals(0x50, a0.acknowledge());
        a0.write(ICR_HI, 4, 2 << 24);
        a0.write(ICR_LO, 4, 0x51);                      // physical destination 2
        assertFalse(a1.hasInterrupt());
        assertEquals(0x51, a2.acknowledge());
        a2.write(EOI, 4, 0);
        a1.write(LDR, 4, 0x02 << 24);
        a2.write(LDR, 4, 0x04 << 24);
        a0.write(ICR_HI, 4, 0x06 << 24);
        a0.write(ICR_LO, 4, 1 << 11 | 0x52);            // logical, flat model: APICs 1 and 2
        assertEquals(0x52, a1.acknowledge());
        assertEquals(0x52, a2.acknowledge());
        a1.write(EOI, 4, 0);
        a2.write(EOI, 4, 0);
        a0.write(ICR_LO, 4, 3 << 18 | 0x53);            // all excluding self
        assertFalse(a0.hasInterrupt());
        assertTrue(a1.hasInterrupt() && a2.hasInterrupt());
        for (LocalApic a : List.of(a1, a2)) {
            assertEquals(0x53, a.acknowledge());
            a.write(EOI, 4, 0);
        }
        a1.write(TPR, 4, 0x20);
        a0.write(ICR_LO, 4, 1 << 11 | LocalApic.MODE_LOWEST << 8 | 0x60);   // lowest priority of 1 and 2
        assertEquals(0x60, a2.acknowledge(), "APIC 2 has the lower priority");
        a1.write(TPR, 4, 0);
        assertFalse(a1.hasInterrupt(), "delivered to one APIC only");
    }

    @Test
    void initSipiAndNmiMessages() {
        ApicBus bus = new ApicBus();
        LocalApic bsp = enabled(0), ap = apic(1);
        bus.attach(bsp);
        bus.attach(ap);
        bsp.write(ICR_HI, 4, 1 << 24);
        bsp.write(ICR_LO, 4, 0x0000_c500);              // INIT, level assert
        assertTrue(ap.takeInit());
        bsp.write(ICR_LO, 4, 0x0000_8500);              // INIT level de-assert: nothing
        assertFalse(ap.takeInit());
        bsp.write(ICR_LO, 4, 0x0000_0608);              // SIPI, vector 8: start at 0x8000
        assertEquals(8, ap.takeSipi());
        assertEquals(-1, ap.takeSipi());
        bsp.write(ICR_LO, 4, 0x0000_0400);              // NMI
        assertTrue(ap.takeNmi());
    }

    @Test
    void x2apicRegistersAreMsrs() {
        LocalApic a = enabled(5);
        assertNull(a.readMsr(0x802), "not in x2APIC mode");
        assertEquals(0L, a.readMsr(0x6e0), "IA32_TSC_DEADLINE reads 0 outside TSC-deadline mode");
        a.setX2apic(true);
        assertEquals(5L, a.readMsr(0x802));
        assertEquals(0x0000_0020L, a.readMsr(0x80d), "logical ID: cluster 0, bit 5");
        assertTrue(a.writeMsr(0x808, 0x20));
        assertEquals(0x20L, a.readMsr(0x808));
        assertFalse(a.writeMsr(0x802, 7), "the ID is read-only");
        assertNull(a.readMsr(0x80e), "no DFR in x2APIC mode");
        assertTrue(a.writeMsr(0x83f, 0x70));            // SELF IPI
        assertEquals(0x70, a.acknowledge());
        assertTrue(a.writeMsr(0x80b, 0));               // EOI
        assertTrue(a.writeMsr(0x830, 5L << 32 | 0x71)); // ICR to itself by ID, no bus
        assertEquals(0x71, a.acknowledge());
    }

    /** A stand-in for the vCPU's counters: an overflow is reported when the test says so. */
    static final class Overflows implements PerfMonitor {
        boolean wrapped;
        long cycleWrap = Long.MAX_VALUE;

        @Override
        public boolean pollOverflow() {
            boolean w = wrapped;
            wrapped = false;
            return w;
        }

        @Override
        public long nextCycleOverflow() {
            return cycleWrap;
        }
    }

    @Test
    void counterOverflowRaisesLvtPmcAndMasksIt() {
        LocalApic a = enabled(0);
        Overflows o = new Overflows();
        a.setPerfMonitor(o);
        a.write(LVT_PMC, 4, MODE_NMI << 8);   // as Linux's perf driver programs it
        o.wrapped = true;
        a.advance(now);
        assertTrue(a.takeNmi(), "the overflow is an NMI");
        assertEquals(MODE_NMI << 8 | LVT_MASKED, reg(a, LVT_PMC), "delivery masks the entry");
        o.wrapped = true;
        a.advance(now);
        assertFalse(a.takeNmi(), "masked: the next overflow is lost");
        a.write(LVT_PMC, 4, 0x68);
        o.wrapped = true;
        a.advance(now);
        assertEquals(0x68, a.acknowledge(), "fixed mode: the LVT's vector");
    }

    @Test
    void aCycleCounterWrapIsATimerDeadline() {
        LocalApic a = enabled(0);
        Overflows o = new Overflows();
        a.setPerfMonitor(o);
        now = 1000;
        o.cycleWrap = 1500;   // the TSC here is VM time
        assertEquals(Long.MAX_VALUE, a.nextDeadline(), "LVT PMC masked: no deadline");
        a.write(LVT_PMC, 4, MODE_NMI << 8);
        assertEquals(1500, a.nextDeadline());
    }
}
