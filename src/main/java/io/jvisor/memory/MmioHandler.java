package io.jvisor.memory;

/** A device window in the guest physical address space. Offsets are relative to the region start. */
public interface MmioHandler {
    /** Reads {@code size} (1, 2 or 4) bytes at {@code offset}; the result is zero-extended. */
    int read(long offset, int size);

    /** Writes the low {@code size} bytes of {@code value} at {@code offset}. */
    void write(long offset, int size, int value);
}
