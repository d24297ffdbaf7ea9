package io.jvisor.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest physical address space of one VM: RAM from address 0, read-only ROM windows,
 * MMIO windows dispatched to devices, and holes that read as all ones. Physical addresses
 * are 36-bit values held in a long; RAM is at most 3.5 GiB so that it fits below the 4 GiB
 * MMIO/ROM hole.
 *
 * <p>RAM is one native {@link MemorySegment} (off the Java heap, zeroed, freed by {@link #close}
 * or, failing that, once this object is unreachable), accessed little-endian at any alignment. Being native memory it
 * is naturally aligned, so several vCPUs can update it with the processor's own atomic
 * instructions ({@link #compareAndExchange}): the JVM offers compare-and-set only on
 * aligned memory, which a byte array does not promise. The engine's fast paths access RAM
 * directly through {@link #ram()} after the soft TLB has proved the page is RAM;
 * everything else comes here.
 */
public final class PhysicalMemory implements AutoCloseable {
    /** Little-endian views of RAM, for any alignment. */
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Aligned quadword access with the atomic modes (compare-and-set, volatile reads). */
    private static final VarHandle ATOMIC64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    public static final long MAX_RAM = 0xE000_0000L;
    private record Window(long start, long end, MmioHandler handler, byte[] rom) { }

    private final MemorySegment ram;
    /** Frees the RAM (once): on {@link #close}, or by the cleaner if close is never called. */
    private final java.lang.ref.Cleaner.Cleanable release;
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();
    private final long ramSize;
    private final List<Window> windows = new ArrayList<>();
    /** The windows as an array (volatile: vCPU threads read it; a PCI BAR move replaces it). */
    private volatile Window[] windowArray = new Window[0];
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
        Arena arena = Arena.ofShared();
        this.ram = arena.allocate(ramSize, 4096);
        // freed by close(), or when this object becomes unreachable without one (a test's scratch memory)
        this.release = CLEANER.register(this, arena::close);
        this.codePages = new byte[(int) (ramSize >>> 12)];
    }

    public long ramSize() {
        return ramSize;
    }

    /**
     * Guest RAM itself (not a copy), indexed by physical address: the CPU's soft-TLB fast
     * path reads and writes RAM pages through it directly.
     */
    public MemorySegment ram() {
        return ram;
    }

    /** Index of the first byte where this RAM and {@code other}'s differ, or -1 (sizes must match). */
    public long mismatch(PhysicalMemory other) {
        if (ramSize != other.ramSize) {
            return Math.min(ramSize, other.ramSize);
        }
        return ram.mismatch(other.ram);
    }

    /** Copies RAM bytes out (tests, snapshots); {@code [pa, pa+len)} must be RAM. */
    public void copyOut(long pa, byte[] dst, int off, int len) {
        MemorySegment.copy(ram, ValueLayout.JAVA_BYTE, pa, dst, off, len);
    }

    /** True if RAM at {@code [pa, pa+len)} holds {@code data[off, off+len)}. */
    public boolean ramEquals(long pa, byte[] data, int off, int len) {
        return MemorySegment.mismatch(ram, pa, pa + len, MemorySegment.ofArray(data), off, off + len) < 0;
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

    private synchronized void addWindow(Window w) {
        Window o = overlapping(w.start, w.end);
        if (o != null) {
            throw new IllegalArgumentException(String.format("window %x-%x overlaps %x-%x", w.start, w.end, o.start, o.end));
        }
        windows.add(w);
        windowArray = windows.toArray(new Window[0]);
    }

    private Window overlapping(long start, long end) {
        for (Window o : windows) {
            if (start < o.end && o.start < end) {
                return o;
            }
        }
        return null;
    }

    /**
     * Moves {@code handler}'s window to [start, start+length), or unmaps it when length is 0:
     * a PCI memory BAR the guest programs. A place over RAM or over another window is not
     * taken (the device is then unmapped, as a BAR in conflict decodes nothing useful on a
     * PC) and false is returned. RAM is never shadowed, so the soft TLBs need no flush.
     */
    public synchronized boolean moveMmio(MmioHandler handler, long start, long length) {
        windows.removeIf(w -> w.handler == handler);
        boolean placed = false;
        if (length > 0 && start >= ramSize && start + length <= 0x1_0000_0000L && overlapping(start, start + length) == null) {
            windows.add(new Window(start, start + length, handler, null));
            placed = true;
        }
        windowArray = windows.toArray(new Window[0]);
        return placed;
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
        if (pa >= 0 && pa + 1 < ramSize && !inWindowFast(pa) && (pa & 0xfff) != 0xfff) {
            return ram.get(U16, pa) & 0xffff;
        }
        if ((pa & 3) != 3) {
            Window w = window(pa);
            if (w != null && w.handler != null && pa + 2 <= w.end) {
                return w.handler.read(pa - w.start, 2) & 0xffff;   // a device sees a word access whole
            }
        }
        return read8(pa) | read8(pa + 1) << 8;
    }

    public int read32(long pa) {
        if (pa >= 0 && pa + 3 < ramSize && !inWindowFast(pa) && (pa & 0xfff) <= 0xffc) {
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
        if ((pa & 3) != 3) {
            Window w = window(pa);
            if (w != null && w.handler != null && pa + 2 <= w.end) {
                w.handler.write(pa - w.start, 2, v & 0xffff);
                return;
            }
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

    /**
     * One byte as an inspector sees it (a monitor, a debugger): RAM or ROM, or -1 for device
     * windows and unassigned space, which are not read (a device read can have side effects).
     */
    public int peek(long pa) {
        Window w = window(pa);
        if (w == null) {
            return pa >= 0 && pa < ramSize ? ram.get(ValueLayout.JAVA_BYTE, pa) & 0xff : -1;
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

    // =====================================================================================
    // Atomic access for several vCPUs (LOCK-prefixed instructions, XCHG, the page walker's A/D bits)

    /** Serialises the rare locked accesses that straddle a host 8-byte word (a "split lock"). */
    private final Object splitLock = new Object();

    /** True if {@code [pa, pa+size)} is plain RAM within one page (no device window over it). */
    public boolean isRam(long pa, int size) {
        return pa >= 0 && pa + size <= ramSize && (pa & 0xfff) + size <= 0x1000 && isRamPage(pa);
    }

    /**
     * Atomically compares the {@code size} bytes (1, 2, 4 or 8) of RAM at {@code pa} with
     * {@code expected} and, if equal, replaces them with {@code update}; returns the value
     * found (equal to {@code expected} exactly when the update was made). The range must be
     * RAM ({@link #isRam}). A compare-and-set on the host word holding the range makes it
     * atomic against every other vCPU's loads, stores and atomic operations; a range split
     * across two host words falls back to a lock shared by such split accesses only (as a
     * split lock on hardware, it is rare and slow: guests avoid it).
     */
    public long compareAndExchange(long pa, int size, long expected, long update) {
        long sizeMask = size == 8 ? -1L : (1L << (size * 8)) - 1;
        expected &= sizeMask;
        update &= sizeMask;
        long word = pa & ~7L;
        int at = (int) (pa - word);
        if (at + size <= 8) {
            int shift = at * 8;
            long mask = sizeMask << shift;
            while (true) {
                long w = (long) ATOMIC64.getVolatile(ram, word);
                long found = (w & mask) >>> shift & sizeMask;
                if (found != expected || expected == update) {
                    VarHandle.fullFence();   // a locked instruction orders as one even when it changes nothing
                    return found;
                }
                noteWrite(pa);
                if (ATOMIC64.compareAndSet(ram, word, w, (w & ~mask) | update << shift)) {
                    return found;
                }
            }
        }
        synchronized (splitLock) {
            long found = 0;
            for (int k = size - 1; k >= 0; k--) {
                found = found << 8 | ram.get(ValueLayout.JAVA_BYTE, pa + k) & 0xff;
            }
            if (found == expected && expected != update) {
                noteWrite(pa);
                for (int k = 0; k < size; k++) {
                    ram.set(ValueLayout.JAVA_BYTE, pa + k, (byte) (update >>> (8 * k)));
                }
            }
            VarHandle.fullFence();
            return found;
        }
    }

    /**
     * Sets bits in the 32-bit value at {@code pa} as one atomic operation when it is RAM (the
     * page walker's accessed and dirty bits, which other vCPUs may be clearing with locked
     * instructions at the same time), else with a plain read and write.
     */
    public void atomicOr32(long pa, int bits) {
        if (!isRam(pa, 4)) {
            write32(pa, read32(pa) | bits);
            return;
        }
        long v = read32(pa) & 0xffffffffL;
        while (true) {
            long found = compareAndExchange(pa, 4, v, v | (bits & 0xffffffffL));
            if (found == v) {
                return;
            }
            v = found;
        }
    }

    /** Copies bytes into guest physical memory (loaders); goes through the normal write path. */
    public void load(long pa, byte[] data, int off, int len) {
        for (int i = 0; i < len; i++) {
            write8(pa + i, data[off + i]);
        }
    }

    /**
     * Frees the RAM now (the host gets it back at once; a large guest must not wait for a
     * garbage collection). Any later access fails with IllegalStateException, never touches
     * freed memory. Idempotent.
     */
    @Override
    public void close() {
        try {
            release.clean();
        } catch (IllegalStateException stillInUse) {
            // a thread was inside a memory access as the RAM was closed (a vCPU that did not stop in time):
            // the memory stays until the process ends rather than failing the caller
        }
    }
}
