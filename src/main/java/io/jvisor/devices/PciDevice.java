package io.jvisor.devices;

import io.jvisor.memory.IoBus;
import io.jvisor.memory.IoDevice;
import io.jvisor.memory.MmioHandler;
import io.jvisor.memory.PhysicalMemory;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One PCI function's 256-byte configuration space with a type 0 header, as a
 * {@link PciHostBridge} presents it to the guest.
 *
 * <p>Every byte has a writable mask and a write-one-to-clear mask: a guest write keeps the
 * read-only bits, replaces the writable bits and clears the write-one-to-clear bits it writes
 * as one. Base address registers are writable masks too: a BAR of size S (a power of two)
 * has its address bits above S writable and the bits below read-only, so the sizing
 * protocol (write all ones, read back) returns {@code ~(S - 1)} with the BAR's fixed type
 * bits, exactly as the PCI specification asks, with no special case.
 *
 * <p>Subclasses set up their identity and registers in their constructor with the
 * {@code set*} helpers, and may override {@link #configWritten} to react to guest writes
 * (command register, BAR moves) or {@link #readConfig} for registers whose value is live.
 */
public abstract class PciDevice {
    public static final int CONFIG_SIZE = 256;

    public static final int VENDOR_ID = 0x00;
    public static final int DEVICE_ID = 0x02;
    public static final int COMMAND = 0x04;
    public static final int STATUS = 0x06;
    public static final int REVISION_ID = 0x08;
    /** Programming interface, then sub-class at 0x0a and base class at 0x0b. */
    public static final int CLASS_PROG = 0x09;
    public static final int CLASS_DEVICE = 0x0a;
    public static final int CACHE_LINE_SIZE = 0x0c;
    public static final int LATENCY_TIMER = 0x0d;
    public static final int HEADER_TYPE = 0x0e;
    public static final int BAR0 = 0x10;
    public static final int SUBSYSTEM_VENDOR_ID = 0x2c;
    public static final int SUBSYSTEM_ID = 0x2e;
    public static final int EXPANSION_ROM = 0x30;
    public static final int CAPABILITIES = 0x34;
    public static final int INTERRUPT_LINE = 0x3c;
    public static final int INTERRUPT_PIN = 0x3d;

    public static final int COMMAND_IO = 0x0001;
    public static final int COMMAND_MEMORY = 0x0002;
    public static final int COMMAND_MASTER = 0x0004;
    public static final int COMMAND_PARITY = 0x0040;
    public static final int COMMAND_SERR = 0x0100;
    public static final int COMMAND_INTX_DISABLE = 0x0400;

    /** Status bits a device reports and software clears by writing one (errors, aborts). */
    public static final int STATUS_ERROR_BITS = 0xf900;
    /** Status: DEVSEL timing "medium", what most devices and the 440FX report. */
    public static final int STATUS_DEVSEL_MEDIUM = 0x0200;

    public static final int HEADER_MULTI_FUNCTION = 0x80;

    /** The kinds of base address register. */
    public enum BarType {
        IO, MEMORY32, MEMORY32_PREFETCHABLE, MEMORY64, MEMORY64_PREFETCHABLE;

        boolean is64() {
            return this == MEMORY64 || this == MEMORY64_PREFETCHABLE;
        }
    }

    private final byte[] config = new byte[CONFIG_SIZE];
    private final byte[] writable = new byte[CONFIG_SIZE];
    private final byte[] clearable = new byte[CONFIG_SIZE];
    private final BarType[] barTypes = new BarType[6];
    private final long[] barSizes = new long[6];
    /** What answers behind each BAR: an {@link MmioHandler} for memory, an {@link IoDevice} for I/O. */
    private final Object[] barHandlers = new Object[6];
    /** Where each BAR is decoded now, or -1. */
    private final long[] barMapped = {-1, -1, -1, -1, -1, -1};
    private PhysicalMemory memorySpace;
    private IoBus ioSpace;

    /**
     * A function with the given identity. {@code classCode} is base class, sub-class and
     * programming interface as 0xBBSSPP (0x060000 for a host bridge). The command register's
     * usual bits, the error bits of the status register, cache line size, latency timer and
     * interrupt line start writable; everything else is read-only until a subclass says so.
     */
    protected PciDevice(int vendorId, int deviceId, int classCode, int revision, boolean multiFunction) {
        setConfig16(VENDOR_ID, vendorId);
        setConfig16(DEVICE_ID, deviceId);
        setConfig8(REVISION_ID, revision);
        setConfig8(CLASS_PROG, classCode);
        setConfig16(CLASS_DEVICE, classCode >>> 8);
        setConfig8(HEADER_TYPE, multiFunction ? HEADER_MULTI_FUNCTION : 0);
        setConfig16(STATUS, STATUS_DEVSEL_MEDIUM);
        setWritable(COMMAND, 2, COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER | COMMAND_PARITY
                | COMMAND_SERR | COMMAND_INTX_DISABLE);
        setClearable(STATUS, 2, STATUS_ERROR_BITS);
        setWritable(CACHE_LINE_SIZE, 1, 0xff);
        setWritable(LATENCY_TIMER, 1, 0xff);
        setWritable(INTERRUPT_LINE, 1, 0xff);
    }

    public int vendorId() {
        return readConfig(VENDOR_ID, 2);
    }

    public int deviceId() {
        return readConfig(DEVICE_ID, 2);
    }

    /** Base class, sub-class and programming interface as 0xBBSSPP. */
    public int classCode() {
        return readConfig(CLASS_PROG, 4) & 0xffffff;
    }

    public boolean isMultiFunction() {
        return (readConfig(HEADER_TYPE, 1) & HEADER_MULTI_FUNCTION) != 0;
    }

    /** The interrupt pin the function uses: 0 for none, 1..4 for INTA#..INTD#. */
    public int interruptPin() {
        return readConfig(INTERRUPT_PIN, 1);
    }

    /**
     * Reads {@code size} (1, 2 or 4) bytes little-endian from {@code offset}; offsets wrap
     * inside the 256 bytes. Override for registers whose value is computed on read.
     */
    public int readConfig(int offset, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= (config[(offset + i) & 0xff] & 0xff) << (8 * i);
        }
        return v;
    }

    /** A guest write of {@code size} bytes at {@code offset}, through the masks. */
    public void writeConfig(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            int o = (offset + i) & 0xff;
            int b = (value >>> (8 * i)) & 0xff;
            int w = writable[o] & 0xff;
            int c = clearable[o] & 0xff;
            int old = config[o] & 0xff;
            int nv = ((old & ~w) | (b & w)) & ~(b & c);
            config[o] = (byte) nv;
        }
        if ((offset & 0xff) < BAR0 + 24 && (offset & 0xff) + size > COMMAND) {
            remapBars();   // the command register's decode bits or a BAR moved
        }
        configWritten(offset & 0xff, size, value);
    }

    /** Called after every guest write, with the raw value written. */
    protected void configWritten(int offset, int size, int value) {
    }

    // ---- set-up helpers: these bypass the masks ----

    protected final void setConfig8(int offset, int value) {
        config[offset & 0xff] = (byte) value;
    }

    protected final void setConfig16(int offset, int value) {
        setConfig8(offset, value);
        setConfig8(offset + 1, value >>> 8);
    }

    protected final void setConfig32(int offset, int value) {
        setConfig16(offset, value);
        setConfig16(offset + 2, value >>> 16);
    }

    /** Marks the bits of {@code mask} (little-endian over {@code size} bytes) guest-writable. */
    protected final void setWritable(int offset, int size, int mask) {
        for (int i = 0; i < size; i++) {
            writable[(offset + i) & 0xff] = (byte) (mask >>> (8 * i));
        }
    }

    /** Marks the bits of {@code mask} write-one-to-clear. */
    protected final void setClearable(int offset, int size, int mask) {
        for (int i = 0; i < size; i++) {
            clearable[(offset + i) & 0xff] = (byte) (mask >>> (8 * i));
        }
    }

    /** Declares the function's interrupt pin: 1..4 for INTA#..INTD#, 0 for none. */
    protected final void setInterruptPin(int pin) {
        if (pin < 0 || pin > 4) {
            throw new IllegalArgumentException("interrupt pin must be 0..4");
        }
        setConfig8(INTERRUPT_PIN, pin);
    }

    /**
     * Declares base address register {@code index} (0..5) of {@code size} bytes, a power of
     * two: at least 4 for I/O (at most 256 by the PCI rules, not enforced), at least 16 for
     * memory. A 64-bit BAR also takes register {@code index + 1}.
     */
    protected final void defineBar(int index, long size, BarType type) {
        if (index < 0 || index > 5 || (type.is64() && index > 4)) {
            throw new IllegalArgumentException("BAR index out of range: " + index);
        }
        long min = type == BarType.IO ? 4 : 16;
        if (size < min || Long.bitCount(size) != 1 || (!type.is64() && size > 0x8000_0000L)) {
            throw new IllegalArgumentException("bad BAR size " + size);
        }
        int off = BAR0 + 4 * index;
        long mask = ~(size - 1);
        switch (type) {
            case IO -> {
                setConfig32(off, 0x1);
                setWritable(off, 4, (int) mask & ~0x3);
            }
            case MEMORY32, MEMORY32_PREFETCHABLE -> {
                setConfig32(off, type == BarType.MEMORY32_PREFETCHABLE ? 0x8 : 0x0);
                setWritable(off, 4, (int) mask & ~0xf);
            }
            case MEMORY64, MEMORY64_PREFETCHABLE -> {
                setConfig32(off, 0x4 | (type == BarType.MEMORY64_PREFETCHABLE ? 0x8 : 0x0));
                setWritable(off, 4, (int) mask & ~0xf);
                setConfig32(off + 4, 0);
                setWritable(off + 4, 4, (int) (mask >>> 32));
            }
        }
        barTypes[index] = type;
        barSizes[index] = size;
    }

    /** Says what answers behind memory BAR {@code index} once the guest maps it. */
    protected final void setBarHandler(int index, MmioHandler handler) {
        if (barTypes[index] == null || barTypes[index] == BarType.IO) {
            throw new IllegalArgumentException("BAR " + index + " is not a memory BAR");
        }
        barHandlers[index] = handler;
    }

    /** Says what answers behind I/O BAR {@code index} once the guest maps it. */
    protected final void setBarHandler(int index, IoDevice handler) {
        if (barTypes[index] != BarType.IO) {
            throw new IllegalArgumentException("BAR " + index + " is not an I/O BAR");
        }
        barHandlers[index] = handler;
    }

    /**
     * Connects the function's BARs to the machine's address spaces: from now on a BAR is
     * decoded at the address the guest programs while the command register enables its
     * space, as on a PCI bus.
     */
    public final void attach(PhysicalMemory memory, IoBus io) {
        this.memorySpace = memory;
        this.ioSpace = io;
        remapBars();
    }

    /**
     * Firmware's work for a machine booted without a BIOS: puts BAR {@code index} at
     * {@code address} and turns on decoding of its space.
     */
    public final void assignBar(int index, long address) {
        int off = BAR0 + 4 * index;
        int type = readConfig(off, 4) & (barTypes[index] == BarType.IO ? 0x3 : 0xf);
        setConfig32(off, (int) address | type);
        if (barTypes[index].is64()) {
            setConfig32(off + 4, (int) (address >>> 32));
        }
        int command = readConfig(COMMAND, 2) | (barTypes[index] == BarType.IO ? COMMAND_IO : COMMAND_MEMORY);
        setConfig16(COMMAND, command);
        remapBars();
    }

    /** Where BAR {@code index} is decoded now, or -1 (disabled, unprogrammed or in conflict). */
    public final long barMapping(int index) {
        return barMapped[index];
    }

    private void remapBars() {
        if (memorySpace == null) {
            return;
        }
        for (int i = 0; i < 6; i++) {
            if (barHandlers[i] == null) {
                continue;
            }
            boolean io = barTypes[i] == BarType.IO;
            long at = barAddress(i);
            boolean decode = (io ? ioEnabled() : memoryEnabled()) && at != 0;
            long want = decode ? at : -1;
            if (want == barMapped[i]) {
                continue;
            }
            boolean placed;
            if (io) {
                placed = ioSpace.move((IoDevice) barHandlers[i], (int) want, want < 0 ? 0 : (int) barSizes[i]);
            } else {
                placed = memorySpace.moveMmio((MmioHandler) barHandlers[i], want, want < 0 ? 0 : barSizes[i]);
            }
            barMapped[i] = placed ? want : -1;
        }
    }

    /** The BAR's type, or null if {@code index} is not a declared BAR (or is a 64-bit BAR's high half). */
    public BarType barType(int index) {
        return barTypes[index];
    }

    /** The address the guest programmed into BAR {@code index}, type bits removed. */
    public long barAddress(int index) {
        BarType t = barTypes[index];
        if (t == null) {
            throw new IllegalArgumentException("BAR " + index + " not declared");
        }
        int off = BAR0 + 4 * index;
        long lo = readConfig(off, 4) & 0xffff_ffffL;
        return switch (t) {
            case IO -> lo & ~0x3L;
            case MEMORY32, MEMORY32_PREFETCHABLE -> lo & ~0xfL;
            case MEMORY64, MEMORY64_PREFETCHABLE -> (lo & ~0xfL) | ((long) readConfig(off + 4, 4)) << 32;
        };
    }

    public boolean ioEnabled() {
        return (readConfig(COMMAND, 2) & COMMAND_IO) != 0;
    }

    public boolean memoryEnabled() {
        return (readConfig(COMMAND, 2) & COMMAND_MEMORY) != 0;
    }

    // ---- snapshot ----

    /** The 256 configuration bytes; the masks are structure, not state. */
    public record ConfigState(byte[] bytes) {
        public ConfigState {
            if (bytes.length != CONFIG_SIZE) {
                throw new IllegalArgumentException("config space is 256 bytes");
            }
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ConfigState s && Arrays.equals(bytes, s.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "ConfigState[" + HexFormat.of().formatHex(bytes) + "]";
        }
    }

    public ConfigState configState() {
        return new ConfigState(config);
    }

    public void restoreConfig(ConfigState s) {
        byte[] b = s.bytes();
        System.arraycopy(b, 0, config, 0, CONFIG_SIZE);
        remapBars();
    }
}
