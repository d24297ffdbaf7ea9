package io.jvisor.devices;

import io.jvisor.memory.IoBus;
import io.jvisor.memory.IoDevice;
import io.jvisor.memory.PhysicalMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PciTestDevTest {
    static final long MEM = 0xfebf_f000L;
    static final int PORT = 0xc000;

    PhysicalMemory mem;
    IoBus io;
    PciTestDev dev;

    @BeforeEach
    void setUp() {
        mem = new PhysicalMemory(1 << 20);
        io = new IoBus();
        dev = new PciTestDev();
        dev.attach(mem, io);
        dev.assignBar(0, MEM);
        dev.assignBar(1, PORT);
    }

    @AfterEach
    void tearDown() {
        mem.close();
    }

    @Test
    void identity() {
        assertEquals(0x0005_1b36, dev.readConfig(0, 4));
        assertEquals(0xff00_0000, dev.readConfig(8, 4) & 0xffff_ff00, "class 0xff, sub-class 0");
        assertEquals(0, dev.interruptPin());
        assertEquals(3, dev.readConfig(PciDevice.COMMAND, 2) & 3, "firmware enabled both spaces");
    }

    @Test
    void memoryTestsCountMatchingByteWrites() {
        mem.write8(MEM, 0);                          // test 0: mmio-no-eventfd
        assertEquals(1, mem.read8(MEM + 1), "width");
        int off = mem.read32(MEM + 4);
        assertEquals(2048, off);
        assertEquals(0xfa, mem.read32(MEM + 8));
        mem.write8(MEM + off, 0xfa);
        mem.write8(MEM + off, 0xfb);                 // wrong data: not counted
        mem.write16(MEM + off, 0xfa);                // wrong width: not counted
        mem.write8(MEM + off + 1, 0xfa);             // wrong place: not counted
        mem.write8(MEM + off, 0xfa);
        assertEquals(2, mem.read32(MEM + 12));
        assertEquals('m', mem.read8(MEM + 16));
        StringBuilder name = new StringBuilder();
        for (int i = 16; mem.read8(MEM + i) != 0; i++) {
            name.append((char) mem.read8(MEM + i));
        }
        assertEquals("mmio-no-eventfd", name.toString());
        mem.write8(MEM, 0);
        assertEquals(0, mem.read32(MEM + 12), "selecting a test clears its count");
    }

    @Test
    void wildcardTestCountsAnyValueAndMissingTestsReadZero() {
        io.out(PORT, 1, 1);                          // test 1 on the I/O BAR: portio-wildcard-eventfd
        int off = io.in(PORT + 4, 4);
        assertEquals(128 + 4, off);
        io.out(PORT + off, 1, 0x12);
        io.out(PORT + off, 1, 0x34);
        assertEquals(2, io.in(PORT + 12, 4));
        io.out(PORT, 1, 3);                          // no test 3
        assertEquals(0, io.in(PORT + 1, 1), "width 0: past the last test");
        assertEquals(0, io.in(PORT + 12, 4));
    }

    @Test
    void barsFollowTheGuestsProgrammingAndTheCommandRegister() {
        dev.writeConfig(PciDevice.BAR0 + 4, 4, 0xd000);
        assertEquals(0xd000, dev.barMapping(1));
        assertEquals(0xff, io.in(PORT + 1, 1), "the old ports are free again");
        io.out(0xd000, 1, 0);
        assertEquals(1, io.in(0xd000 + 1, 1));

        dev.writeConfig(PciDevice.COMMAND, 2, 0x1);  // memory decoding off
        assertEquals(-1, dev.barMapping(0));
        mem.write8(MEM, 0);
        assertEquals(0xff, mem.read8(MEM + 1), "nothing decodes there");
        dev.writeConfig(PciDevice.BAR0, 4, 0xe000_0000);
        dev.writeConfig(PciDevice.COMMAND, 2, 0x3);
        assertEquals(0xe000_0000L, dev.barMapping(0));
        mem.write8(0xe000_0000L, 0);
        assertEquals(1, mem.read8(0xe000_0001L));
    }

    @Test
    void aBarOverRamOrAnotherDeviceIsNotDecoded() {
        dev.writeConfig(PciDevice.BAR0, 4, 0x8_0000);   // inside the 1 MiB of RAM
        assertEquals(-1, dev.barMapping(0));
        mem.write8(0x8_0000, 0x5a);
        assertEquals(0x5a, mem.read8(0x8_0000), "RAM stays RAM");
        io.register(0xe000, 4, new IoDevice() {
            @Override
            public int in(int port, int size) {
                return 0x42;
            }

            @Override
            public void out(int port, int size, int value) {
            }
        });
        dev.writeConfig(PciDevice.BAR0 + 4, 4, 0xe000);
        assertEquals(-1, dev.barMapping(1));
        assertEquals(0x42, io.in(0xe000, 1), "the other device keeps its ports");
        assertEquals(0xff, io.in(PORT, 1), "and the BAR's old ports were released");
    }
}
