package io.jvisor.devices;

import io.jvisor.memory.IoDevice;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** POST code ports 0x80 (the classic diagnostic port) and 0x190: values are logged, reads return the last one. */
public final class PostCodes implements IoDevice {
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
        log.accept(String.format("POST code 0x%02x (port 0x%x)", last, port));
    }

    public List<Integer> codes() {
        return List.copyOf(codes);
    }
}
