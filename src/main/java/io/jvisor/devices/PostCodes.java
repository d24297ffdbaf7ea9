package io.jvisor.devices;

import io.jvisor.memory.IoDevice;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * POST code ports 0x80 (the classic diagnostic port) and 0x190: reads return the last value.
 * The first {@link #LOGGED} writes are logged; Linux also uses port 0x80 as an I/O delay
 * (half a million writes in a boot), so later writes are only counted.
 */
public final class PostCodes implements IoDevice {
    public static final int LOGGED = 64;
    private long writes;
    private final List<Integer> codes = new ArrayList<>();
    private final Consumer<String> log;
    private int last = 0xff;

    public PostCodes(Consumer<String> log) {
        this.log = log;
    }

    @Override
    public int in(int port, int size) {
        return last;
    }

    @Override
    public void out(int port, int size, int value) {
        last = value & 0xff;
        if (codes.size() < 4096) {
            codes.add(last);
        }
        writes++;
        if (writes <= LOGGED) {
            log.accept(String.format("POST code 0x%02x (port 0x%x)", last, port));
        } else if (writes == LOGGED + 1) {
            log.accept("POST codes: further writes to ports 0x80/0x190 are not logged");
        }
    }

    /** Writes seen so far. */
    public long writes() {
        return writes;
    }

    public List<Integer> codes() {
        return List.copyOf(codes);
    }
}
