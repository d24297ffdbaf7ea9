package io.jvisor.cpu;

/** What the CPU sees of its interrupt controller: a maskable INTR line, the acknowledge cycle, and NMI. */
public interface InterruptSource {
    /** True while a maskable interrupt is requested. */
    boolean hasInterrupt();

    /** The INTA cycle: returns the vector of the highest-priority pending interrupt. */
    int acknowledge();

    /** True while a non-maskable interrupt waits (an NMI message, LINT1). */
    default boolean nmiPending() {
        return false;
    }

    /** The NMI is being delivered: the controller forgets it. */
    default void acknowledgeNmi() {
    }

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
