package io.jvisor.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The guest physical address space of one VM: RAM from address 0, read-only ROM windows,
 * MMIO windows dispatched to devices, and holes that read as all ones. Physical addresses
 * are 36-bit values held in a long; RAM is at most 3.5 GiB so that it fits below the 4 GiB
 * MMIO/ROM hole.
 *
 * <p>RAM is held in Java byte arrays of {@link #CHUNK} bytes (a page never straddles two),
 * accessed little-endian through {@link VarHandle} views: an access costs one array bounds
 * check, which HotSpot folds into straight-line code better than the liveness and bounds
 * checks of a {@code MemorySegment}. The engine's fast paths read RAM directly through
 * {@link #chunk} and {@link #offsetInChunk} after the soft TLB has proved the page is RAM;
 * everything else comes here.
 */
public final class PhysicalMemory implements AutoCloseable {
    /** Bytes per RAM array. */
    public static final int CHUNK_BITS = 30, CHUNK = 1 << CHUNK_BITS;
    /** Little-endian views of a byte array, for any alignment. */
    public static final VarHandle U16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN),
            U32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN),
            U64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    public static final long MAX_RAM = 0xE000_0000L;
    private record Window(long start, long end, MmioHandler handler, byte[] rom) { }

    private final byte[][] chunks;
    private final long ramSize;
    private final List<Window> windows = new ArrayList<>();
    private Window[] windowArray = new Window[0];
    /** One flag per RAM page: set while decoded code from that page is cached. */
    private final byte[] codePages;
    private CodeWriteListener codeWriteListener = page -> { };

    /** Told when a write lands on a page that holds decoded code (self-modifying code). */
    public interface CodeWriteListener {
        void codePageWritten(int page);
    }

    public PhysicalMemory(long ramSize) {
        if (ramSize <= 0 || ramSize > MAX_RAM || (ramSize & 0xfff) != 0) {
            throw new IllegalArgumentException("RAM size must be a multiple of 4 KiB between 4 KiB and 3584 MiB");
        }
        this.ramSize = ramSize;
        this.chunks = new byte[(int) ((ramSize + CHUNK - 1) >>> CHUNK_BITS)][];
        for (int c = 0; c < chunks.length; c++) {
            chunks[c] = new byte[(int) Math.min(CHUNK, ramSize - ((long) c << CHUNK_BITS))];
        }
        this.codePages = new byte[(int) (ramSize >>> 12)];
    }

    public long ramSize() {
        return ramSize;
    }

    /** The array holding RAM address {@code pa} (which must be below {@link #ramSize()}). */
    /**
     * The RAM arrays themselves (not a copy), indexed by {@code pa >>> CHUNK_BITS}: the CPU's
     * soft-TLB fast path reads and writes RAM pages through them directly.
     */
    public byte[][] chunks() {
        return chunks;
    }

    public byte[] chunk(long pa) {
        return chunks[(int) (pa >>> CHUNK_BITS)];
    }

    /** Where RAM address {@code pa} is in its {@link #chunk}. */
    public static int offsetInChunk(long pa) {
        return (int) pa & (CHUNK - 1);
    }

    /** Index of the first byte where this RAM and {@code other}'s differ, or -1 (sizes must match). */
    public long mismatch(PhysicalMemory other) {
        for (int c = 0; c < chunks.length; c++) {
            int at = Arrays.mismatch(chunks[c], other.chunks[c]);
            if (at >= 0) {
                return ((long) c << CHUNK_BITS) + at;
            }
        }
        return ramSize == other.ramSize ? -1 : Math.min(ramSize, other.ramSize);
    }

    /** Copies RAM bytes out (tests, snapshots); {@code [pa, pa+len)} must be RAM. */
    public void copyOut(long pa, byte[] dst, int off, int len) {
        while (len > 0) {
            int at = offsetInChunk(pa);
            int n = Math.min(len, chunk(pa).length - at);
            System.arraycopy(chunk(pa), at, dst, off, n);
            pa += n;
            off += n;
            len -= n;
        }
    }

    /** True if RAM at {@code [pa, pa+len)}, within one chunk, holds {@code data[off, off+len)}. */
    public boolean ramEquals(long pa, byte[] data, int off, int len) {
        int at = offsetInChunk(pa);
        return Arrays.equals(chunk(pa), at, at + len, data, off, off + len);
    }

    public void setCodeWriteListener(CodeWriteListener l) {
        this.codeWriteListener = l;
    }

    /** Maps a device at [start, start+length). */
    public void addMmio(long start, long length, MmioHandler handler) {
        addWindow(new Window(start, start + length, handler, null));
    }

    /** Maps a copy of {@code image} read-only at {@code start}. */
    public void addRom(long start, byte[] image) {
        addWindow(new Window(start, start + image.length, null, image.clone()));
    }

    private void addWindow(Window w) {
        for (Window o : windows) {
            if (w.start < o.end && o.start < w.end) {
                throw new IllegalArgumentException(String.format("window %x-%x overlaps %x-%x", w.start, w.end, o.start, o.end));
            }
        }
        windows.add(w);
        windowArray = windows.toArray(new Window[0]);
    }

    private Window window(long pa) {
        for (Window w : windowArray) {
            if (pa >= w.start && pa < w.end) {
                return w;
            }
        }
        return null;
    }

    /** True if the whole 4 KiB page at {@code pa} is plain RAM (no window over it). */
    public boolean isRamPage(long pa) {
        long page = pa & ~0xfffL;
        if (page + 4096 > ramSize || page < 0) {
            return false;
        }
        for (Window w : windowArray) {
            if (page < w.end && w.start < page + 4096) {
                return false;
            }
        }
        return true;
    }

    public int read8(long pa) {
        if (pa >= 0 && pa < ramSize && !inWindowFast(pa)) {
            return chunk(pa)[offsetInChunk(pa)] & 0xff;
        }
        return readSlow(pa, 1);
    }

    public int read16(long pa) {
        if (pa >= 0 && pa + 1 < ramSize && !inWindowFast(pa) && (pa & 0xfff) != 0xfff) {
            return (short) U16.get(chunk(pa), offsetInChunk(pa)) & 0xffff;
        }
        return read8(pa) | read8(pa + 1) << 8;
    }

    public int read32(long pa) {
        if (pa >= 0 && pa + 3 < ramSize && !inWindowFast(pa) && (pa & 0xfff) <= 0xffc) {
            return (int) U32.get(chunk(pa), offsetInChunk(pa));
        }
        if ((pa & 3) == 0) {
            Window w = window(pa);
            if (w != null && w.handler != null && pa + 4 <= w.end) {
                return w.handler.read(pa - w.start, 4);
            }
        }
        return read16(pa) | read16(pa + 2) << 16;
    }

    public long read64(long pa) {
        return (read32(pa) & 0xffffffffL) | ((long) read32(pa + 4)) << 32;
    }

    public void write8(long pa, int v) {
        if (pa >= 0 && pa < ramSize && !inWindowFast(pa)) {
            noteWrite(pa);
            chunk(pa)[offsetInChunk(pa)] = (byte) v;
            return;
        }
        writeSlow(pa, 1, v);
    }

    public void write16(long pa, int v) {
        if (pa >= 0 && pa + 1 < ramSize && !inWindowFast(pa) && (pa & 0xfff) != 0xfff) {
            noteWrite(pa);
            U16.set(chunk(pa), offsetInChunk(pa), (short) v);
            return;
        }
        write8(pa, v);
        write8(pa + 1, v >>> 8);
    }

    public void write32(long pa, int v) {
        if (pa >= 0 && pa + 3 < ramSize && !inWindowFast(pa) && (pa & 0xfff) <= 0xffc) {
            noteWrite(pa);
            U32.set(chunk(pa), offsetInChunk(pa), v);
            return;
        }
        if ((pa & 3) == 0) {
            Window w = window(pa);
            if (w != null && w.handler != null && pa + 4 <= w.end) {
                w.handler.write(pa - w.start, 4, v);
                return;
            }
        }
        write16(pa, v);
        write16(pa + 2, v >>> 16);
    }

    public void write64(long pa, long v) {
        write32(pa, (int) v);
        write32(pa + 4, (int) (v >>> 32));
    }

    private boolean inWindowFast(long pa) {
        return windowArray.length != 0 && window(pa) != null;
    }

    /**
     * One byte as an inspector sees it (a monitor, a debugger): RAM or ROM, or -1 for device
     * windows and unassigned space, which are not read (a device read can have side effects).
     */
    public int peek(long pa) {
        Window w = window(pa);
        if (w == null) {
            return pa >= 0 && pa < ramSize ? chunk(pa)[offsetInChunk(pa)] & 0xff : -1;
        }
        return w.rom != null ? w.rom[(int) (pa - w.start)] & 0xff : -1;
    }

    /** Writes one byte of RAM for an inspector (a debugger); false (nothing written) outside RAM. */
    public boolean poke(long pa, int v) {
        if (pa < 0 || pa >= ramSize || window(pa) != null) {
            return false;
        }
        write8(pa, v);
        return true;
    }

    private int readSlow(long pa, int size) {
        Window w = window(pa);
        if (w == null) {
            return size == 1 ? 0xff : size == 2 ? 0xffff : -1;   // unassigned: all ones
        }
        if (w.rom != null) {
            return w.rom[(int) (pa - w.start)] & 0xff;
        }
        return w.handler.read(pa - w.start, size);
    }

    private void writeSlow(long pa, int size, int v) {
        Window w = window(pa);
        if (w != null && w.handler != null) {
            w.handler.write(pa - w.start, size, v);
        }
        // ROM and unassigned space ignore writes
    }

    private void noteWrite(long pa) {
        int page = (int) (pa >>> 12);
        if (codePages[page] != 0) {
            codePages[page] = 0;
            codeWriteListener.codePageWritten(page);
        }
    }

    /** Marks a RAM page as holding decoded code; returns true if it was not marked before. */
    public boolean markCode(long pa) {
        if (pa < 0 || pa >= ramSize) {
            return false;
        }
        int page = (int) (pa >>> 12);
        boolean fresh = codePages[page] == 0;
        codePages[page] = 1;
        return fresh;
    }

    public boolean isCodePage(long pa) {
        return pa >= 0 && pa < ramSize && codePages[(int) (pa >>> 12)] != 0;
    }

    /** Copies bytes into guest physical memory (loaders); goes through the normal write path. */
    public void load(long pa, byte[] data, int off, int len) {
        for (int i = 0; i < len; i++) {
            write8(pa + i, data[off + i]);
        }
    }

    /** RAM is on the Java heap: nothing to release beyond dropping the VM. */
    @Override
    public void close() {
    }
}
