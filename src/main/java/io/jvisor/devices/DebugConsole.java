package io.jvisor.devices;

import io.jvisor.memory.IoDevice;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * The Bochs/QEMU debug console at port 0xe9: every byte written goes to the output; a read
 * answers 0xe9 so guests can detect it.
 */
public final class DebugConsole implements IoDevice {
    public static final int PORT = 0xe9;
    private final OutputStream out;

    public DebugConsole(OutputStream out) {
        this.out = out;
    }

    @Override
    public int in(int port, int size) {
        return 0xe9;
    }

    @Override
    public void out(int port, int size, int value) {
        try {
            out.write(value & 0xff);
            if ((value & 0xff) == '\n') {
                out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
