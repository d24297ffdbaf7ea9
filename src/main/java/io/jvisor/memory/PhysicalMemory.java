package io.jvisor.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest physical address space of one VM: RAM from address 0 (one off-heap
 * {@link MemorySegment}), read-only ROM windows, MMIO windows dispatched to devices, and
 * holes that read as all ones. Physical addresses are 36-bit values held in a long; RAM is
 * at most 3.5 GiB so that it fits below the 4 GiB MMIO/ROM hole.
 *
 * <p>The engine's fast paths read RAM directly through {@link #ram()} after the soft TLB
 * has proved the page is RAM; everything else comes here.
 */
public final class PhysicalMemory implements AutoCloseable {
    public static final long MAX_RAM = 0xE000_0000L;
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private record Window(long start, long end, MmioHandler handler, MemorySegment rom) { }

    private final Arena arena;
    private final MemorySegment ram;
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
        this.arena = Arena.ofShared();
        this.ramSize = ramSize;
        this.ram = arena.allocate(ramSize, 4096);
        this.codePages = new byte[(int) (ramSize >>> 12)];
    }

    public MemorySegment ram() {
        return ram;
    }

    public long ramSize() {
        return ramSize;
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
        MemorySegment rom = arena.allocate(image.length);
        MemorySegment.copy(image, 0, rom, ValueLayout.JAVA_BYTE, 0, image.length);
        addWindow(new Window(start, start + image.length, null, rom));
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
            return ram.get(ValueLayout.JAVA_BYTE, pa) & 0xff;
        }
        return readSlow(pa, 1);
    }

    public int read16(long pa) {
        if (pa >= 0 && pa + 1 < ramSize && !inWindowFast(pa)) {
            return ram.get(U16, pa) & 0xffff;
        }
        return read8(pa) | read8(pa + 1) << 8;
    }

    public int read32(long pa) {
        if (pa >= 0 && pa + 3 < ramSize && !inWindowFast(pa)) {
            return ram.get(U32, pa);
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
            ram.set(ValueLayout.JAVA_BYTE, pa, (byte) v);
            return;
        }
        writeSlow(pa, 1, v);
    }

    public void write16(long pa, int v) {
        if (pa >= 0 && pa + 1 < ramSize && !inWindowFast(pa) && (pa & 0xfff) != 0xfff) {
            noteWrite(pa);
            ram.set(U16, pa, (short) v);
            return;
        }
        write8(pa, v);
        write8(pa + 1, v >>> 8);
    }

    public void write32(long pa, int v) {
        if (pa >= 0 && pa + 3 < ramSize && !inWindowFast(pa) && (pa & 0xfff) <= 0xffc) {
            noteWrite(pa);
            ram.set(U32, pa, v);
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

    private int readSlow(long pa, int size) {
        Window w = window(pa);
        if (w == null) {
            return size == 1 ? 0xff : size == 2 ? 0xffff : -1;   // unassigned: all ones
        }
        if (w.rom != null) {
            return w.rom.get(ValueLayout.JAVA_BYTE, pa - w.start) & 0xff;
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

    @Override
    public void close() {
        arena.close();
    }
}
