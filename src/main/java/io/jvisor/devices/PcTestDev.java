package io.jvisor.devices;

import io.jvisor.memory.IoDevice;
import io.jvisor.memory.MmioHandler;

import java.util.function.IntFunction;

/**
 * QEMU's x86 test device ({@code -device pc-testdev}), as system test programs written for
 * QEMU use it:
 * <ul>
 *   <li>ports 0x2000-0x2017: a byte written to 0x2000 + n drives interrupt line n (GSI n, an
 *       I/O APIC pin) to its value, 0 low, otherwise high: a test raises and lowers device
 *       interrupts at will, edge or level;</li>
 *   <li>port 0xE0 (4 bytes): a scratch register that reads back what was written, at any
 *       width;</li>
 *   <li>port 0xE4 (4 bytes): "flush page" -- QEMU drops the host mapping of the guest page
 *       whose address is written; here RAM stays as it is, so the write has no effect the
 *       guest can see;</li>
 *   <li>MMIO at 0xFF000000 (64 KiB): scratch memory that reads back what was written.</li>
 * </ul>
 */
public final class PcTestDev implements IoDevice, MmioHandler {
    public static final int IRQ_PORT = 0x2000, IRQ_LINES = 24, SCRATCH_PORT = 0xe0, FLUSH_PAGE_PORT = 0xe4;
    public static final long IOMEM_BASE = 0xff00_0000L;
    public static final int IOMEM_LENGTH = 0x1_0000;

    private final IntFunction<IrqLine> gsi;
    private int scratch;
    private final byte[] iomem = new byte[IOMEM_LENGTH];

    /** @param gsi interrupt line n of the machine (the I/O APIC's pin n) */
    public PcTestDev(IntFunction<IrqLine> gsi) {
        this.gsi = gsi;
    }

    @Override
    public synchronized int in(int port, int size) {
        if (port >= SCRATCH_PORT && port < SCRATCH_PORT + 4) {
            int shift = (port - SCRATCH_PORT) * 8;
            int v = scratch >>> shift;
            return size == 1 ? v & 0xff : size == 2 ? v & 0xffff : v;
        }
        return 0;   // the IRQ and flush ports are write-only
    }

    @Override
    public synchronized void out(int port, int size, int value) {
        if (port >= IRQ_PORT && port < IRQ_PORT + IRQ_LINES) {
            // a wider write drives the following lines too, one byte each
            for (int i = 0; i < size && port + i < IRQ_PORT + IRQ_LINES; i++) {
                gsi.apply(port + i - IRQ_PORT).set((value >>> (8 * i) & 0xff) != 0);
            }
        } else if (port >= SCRATCH_PORT && port < SCRATCH_PORT + 4) {
            int shift = (port - SCRATCH_PORT) * 8;
            int mask = (size == 1 ? 0xff : size == 2 ? 0xffff : -1) << shift;
            scratch = scratch & ~mask | (value << shift) & mask;
        }
        // FLUSH_PAGE_PORT: nothing to do (RAM is never unmapped here)
    }

    @Override
    public synchronized int read(long offset, int size) {
        int v = 0;
        for (int i = 0; i < size && offset + i < IOMEM_LENGTH; i++) {
            v |= (iomem[(int) offset + i] & 0xff) << (8 * i);
        }
        return v;
    }

    @Override
    public synchronized void write(long offset, int size, int value) {
        for (int i = 0; i < size && offset + i < IOMEM_LENGTH; i++) {
            iomem[(int) offset + i] = (byte) (value >>> (8 * i));
        }
    }
}
