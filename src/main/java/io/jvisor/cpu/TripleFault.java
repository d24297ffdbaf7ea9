package io.jvisor.cpu;

/** A fault while delivering a double fault: the processor shuts down (SDM 6.15, interrupt 8). */
public final class TripleFault extends RuntimeException {
    public TripleFault(String message) {
        super(message, null, false, false);
    }
}
