package io.jvisor.memory;

/** A device on the port I/O bus. Ports are absolute (0..0xffff); size is 1, 2 or 4. */
public interface IoDevice {
    int in(int port, int size);

    void out(int port, int size, int value);
}
