package io.jvisor.devices;

import io.jvisor.memory.IoDevice;
import io.jvisor.memory.MmioHandler;

import java.nio.charset.StandardCharsets;

/**
 * QEMU's PCI test device ({@code -device pci-testdev}, PCI ID 1b36:0005, QEMU's
 * docs/specs/pci-testdev.rst), which system test programs use to check that guest accesses
 * to a PCI BAR arrive whole: BAR0 is 4 KiB of memory, BAR1 256 I/O ports.
 *
 * <p>Each BAR starts with a test header: byte 0 (write) selects a test, byte 1 is the access
 * width the test wants, the dword at 4 the offset to write to, at 8 the value to write, at
 * 12 the number of matching writes seen since the test was selected, and a NUL-terminated
 * name from 16. Tests 0..2 exist on each BAR: "no-eventfd" and "datamatch-eventfd" count
 * byte writes of 0xFA, "wildcard-eventfd" counts byte writes of any value (0xCE suggested);
 * test N on BAR b writes at offset half-the-BAR + (3b + N). Selecting a test that does not
 * exist deselects, and the header then reads as zeros. QEMU can hand the eventfd tests to
 * KVM's ioeventfd, whose writes then never reach the counter; here every write is counted,
 * which the protocol allows (a count of 0 or of the writes made).
 */
public final class PciTestDev extends PciDevice {
    public static final int VENDOR = 0x1b36;
    public static final int DEVICE = 0x0005;
    /** Class "other", sub-class 0. */
    public static final int CLASS = 0xff0000;
    public static final int MEM_SIZE = 4096;
    public static final int IO_SIZE = 256;

    private static final String[] TESTS = {"no-eventfd", "wildcard-eventfd", "datamatch-eventfd"};
    private static final int DATA_MATCH = 0xfa, DATA_ANY = 0xce;
    private static final int HEADER = 16;

    /** The test selected, as type * 3 + number (type 0 memory, 1 I/O), or -1. */
    private int current = -1;
    private final int[] counts = new int[2 * TESTS.length];

    public PciTestDev() {
        super(VENDOR, DEVICE, CLASS, 0, false);
        setConfig16(SUBSYSTEM_VENDOR_ID, 0x1af4);   // QEMU's default subsystem IDs
        setConfig16(SUBSYSTEM_ID, 0x1100);
        defineBar(0, MEM_SIZE, BarType.MEMORY32);
        defineBar(1, IO_SIZE, BarType.IO);
        setBarHandler(0, new MmioHandler() {
            @Override
            public int read(long offset, int size) {
                return readHeader((int) offset, size);
            }

            @Override
            public void write(long offset, int size, int value) {
                access(0, (int) offset, size, value);
            }
        });
        setBarHandler(1, new IoDevice() {
            @Override
            public int in(int port, int size) {
                return readHeader(port - (int) barAddress(1), size);
            }

            @Override
            public void out(int port, int size, int value) {
                access(1, port - (int) barAddress(1), size, value);
            }
        });
    }

    /** Each test's name, as the header holds it (without the NUL). */
    private static final byte[][] NAMES = new byte[2 * TESTS.length][];

    static {
        for (int t = 0; t < NAMES.length; t++) {
            NAMES[t] = ((t < TESTS.length ? "mmio-" : "portio-") + TESTS[t % TESTS.length])
                    .getBytes(StandardCharsets.US_ASCII);
        }
    }

    private static int offset(int t) {
        return (t < TESTS.length ? MEM_SIZE : IO_SIZE) / 2 + t;
    }

    private static boolean matchesData(int t) {
        return t % TESTS.length != 1;
    }

    private synchronized void access(int type, int offset, int size, int value) {
        if (offset == 0) {
            current = -1;
            int n = value & 0xff;
            if (n < TESTS.length) {
                current = type * TESTS.length + n;
                counts[current] = 0;
            }
            return;
        }
        if (current < 0 || offset != offset(current)) {
            return;
        }
        if (matchesData(current) && (size != 1 || (value & 0xff) != DATA_MATCH)) {
            return;
        }
        counts[current]++;
    }

    private synchronized int readHeader(int offset, int size) {
        if (current < 0) {
            return 0;
        }
        byte[] name = NAMES[current];
        if (offset < 0 || offset + size >= HEADER + name.length + 1) {
            return 0;
        }
        int v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | headerByte(offset + i, name);
        }
        return v;
    }

    private int headerByte(int at, byte[] name) {
        if (at >= HEADER) {
            return at - HEADER < name.length ? name[at - HEADER] & 0xff : 0;
        }
        int field = switch (at & ~3) {
            case 0 -> 1 << 8;   // test (write-only) 0, width 1
            case 4 -> offset(current);
            case 8 -> matchesData(current) ? DATA_MATCH : DATA_ANY;
            default -> counts[current];
        };
        return field >>> 8 * (at & 3) & 0xff;
    }
}
