package io.jvisor.cpu;

/** What the CPU sees of its interrupt controller: a maskable INTR line and the acknowledge cycle. */
public interface InterruptSource {
    /** True while a maskable interrupt is requested. */
    boolean hasInterrupt();

    /** The INTA cycle: returns the vector of the highest-priority pending interrupt. */
    int acknowledge();

    InterruptSource NONE = new InterruptSource() {
        @Override
        public boolean hasInterrupt() {
            return false;
        }

        @Override
        public int acknowledge() {
            return 0xff;
        }
    };
}
