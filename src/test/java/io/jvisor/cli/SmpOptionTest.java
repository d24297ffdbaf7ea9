package io.jvisor.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** QEMU's -smp spellings and what jvisor makes of them. */
class SmpOptionTest {
    @Test
    void countGivenDirectlyOrAsCpus() {
        assertEquals(1, QemuOptions.smp("1"));
        assertEquals(4, QemuOptions.smp("4"));
        assertEquals(2, QemuOptions.smp("cpus=2"));
        assertEquals(16, QemuOptions.smp("16"));
    }

    @Test
    void countFromTheTopologyWhenNotGiven() {
        assertEquals(4, QemuOptions.smp("sockets=2,cores=2"));
        assertEquals(8, QemuOptions.smp("sockets=1,cores=4,threads=2"));
        assertEquals(6, QemuOptions.smp("6,sockets=3,cores=2"));
        assertEquals(4, QemuOptions.smp("4,maxcpus=4"));
    }

    @Test
    void refusedWithTheReason() {
        assertTrue(assertThrows(BadInput.class, () -> QemuOptions.smp("17")).getMessage().contains("at most 16"));
        assertTrue(assertThrows(BadInput.class, () -> QemuOptions.smp("0")).getMessage().contains("at least 1"));
        assertTrue(assertThrows(BadInput.class, () -> QemuOptions.smp("3,sockets=2,cores=2")).getMessage()
                .contains("is 4, not 3"));
        assertTrue(assertThrows(BadInput.class, () -> QemuOptions.smp("2,maxcpus=4")).getMessage()
                .contains("hotplug"));
        assertTrue(assertThrows(BadInput.class, () -> QemuOptions.smp("two")).getMessage().contains("number"));
        assertTrue(assertThrows(BadInput.class, () -> QemuOptions.smp("2,books=1")).getMessage()
                .contains("unknown"));
    }
}
