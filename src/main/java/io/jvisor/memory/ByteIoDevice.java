package io.jvisor.memory;

/**
 * A device whose registers are bytes (8-bit ISA devices: PIC, PIT, RTC, port 0x61): a word
 * or dword access becomes byte accesses at consecutive ports, lowest port first.
 */
public interface ByteIoDevice extends IoDevice {
    int read8(int port);

    void write8(int port, int value);

    @Override
    default int in(int port, int size) {
        int value = 0;
        for (int i = 0; i < size; i++) {
            value |= (read8(port + i) & 0xff) << (8 * i);
        }
        return value;
    }

    @Override
    default void out(int port, int size, int value) {
        for (int i = 0; i < size; i++) {
            write8(port + i, (value >>> (8 * i)) & 0xff);
        }
    }
}
