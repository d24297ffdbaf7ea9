package io.jvisor.devices;

import io.jvisor.memory.IoDevice;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * QEMU's firmware configuration interface (QEMU docs/specs/fw_cfg.rst), the traditional
 * I/O-port form a PC has: a 16-bit selector at port 0x510 picks an item, and port 0x511
 * reads it byte by byte from its start (past the end, and for items that do not exist,
 * zeros). The items are the ones firmware and system test programs read: the signature
 * "QEMU", the interface ID (traditional interface only, no DMA), the RAM size, the CPU
 * count and maximum, the kernel command line, and an empty file directory. Writes to the
 * data port are ignored, as in QEMU since 2.4.
 */
public final class FwCfg implements IoDevice {
    public static final int SELECTOR_PORT = 0x510, DATA_PORT = 0x511;
    public static final int SIGNATURE = 0x0000, ID = 0x0001, RAM_SIZE = 0x0003, NB_CPUS = 0x0005,
            MAX_CPUS = 0x000f, CMDLINE_SIZE = 0x0014, CMDLINE_DATA = 0x0015, FILE_DIR = 0x0019;

    private final Map<Integer, byte[]> items = new HashMap<>();
    private byte[] current = new byte[0];
    private int offset;

    /**
     * @param ramBytes guest RAM
     * @param cpus     vCPUs (the count and the maximum: no hotplug)
     * @param cmdline  the kernel command line given on the host, or null
     */
    public FwCfg(long ramBytes, int cpus, String cmdline) {
        items.put(SIGNATURE, "QEMU".getBytes(StandardCharsets.US_ASCII));
        items.put(ID, le(1, 4));   // bit 0: the traditional interface; bit 1 (DMA) clear
        items.put(RAM_SIZE, le(ramBytes, 8));
        items.put(NB_CPUS, le(cpus, 2));
        items.put(MAX_CPUS, le(cpus, 2));
        setCommandLine(cmdline);
        items.put(FILE_DIR, new byte[4]);   // a big-endian count of 0: no named files
        select(SIGNATURE);
    }

    /** The kernel command line (null: none, as without -kernel): its size with the NUL, and its bytes. */
    public synchronized void setCommandLine(String cmdline) {
        byte[] cmd = (cmdline == null ? "" : cmdline).getBytes(StandardCharsets.ISO_8859_1);
        byte[] withNul = java.util.Arrays.copyOf(cmd, cmd.length + 1);
        items.put(CMDLINE_SIZE, le(cmdline == null ? 0 : withNul.length, 4));
        items.put(CMDLINE_DATA, cmdline == null ? new byte[0] : withNul);
    }

    private static byte[] le(long v, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    private void select(int key) {
        current = items.getOrDefault(key & 0x3fff, new byte[0]);   // bit 14 (write) and 15 (arch) pick nothing here
        if ((key & 0x8000) != 0) {
            current = new byte[0];   // no architecture-specific items (ACPI, E820 ... come another way)
        }
        offset = 0;
    }

    @Override
    public synchronized int in(int port, int size) {
        if (port != DATA_PORT) {
            return 0;
        }
        int v = 0;
        for (int i = 0; i < size; i++) {
            int b = offset < current.length ? current[offset] & 0xff : 0;
            offset++;
            v |= b << (8 * i);
        }
        return v;
    }

    @Override
    public synchronized void out(int port, int size, int value) {
        if (port == SELECTOR_PORT) {
            select(value & 0xffff);
        }
        // the data port is read-only
    }
}
