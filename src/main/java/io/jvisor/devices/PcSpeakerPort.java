package io.jvisor.devices;

import io.jvisor.memory.ByteIoDevice;

/**
 * System control port B at 0x61 (the "speaker port").
 *
 * <ul>
 *   <li>bit 0 (read/write): GATE of PIT counter 2</li>
 *   <li>bit 1 (read/write): speaker data enable (OUT2 reaches the speaker when bits 0 and 1 are set;
 *       no sound is produced)</li>
 *   <li>bits 2-3 (read/write): parity / channel check enables, stored only</li>
 *   <li>bit 4 (read only): the DRAM refresh toggle; it flips on every read of this port, so code
 *       that waits for it to change never waits long</li>
 *   <li>bit 5 (read only): PIT counter 2's OUT (Linux's TSC calibration polls it in mode 0)</li>
 *   <li>bits 6-7 (read only): channel check / parity error, always 0</li>
 * </ul>
 *
 * Starts at 0: counter 2's gate low.
 */
public final class PcSpeakerPort implements ByteIoDevice {
    public static final int PORT = 0x61;

    /** Immutable snapshot. */
    public record State(int control, boolean refreshToggle) {
    }

    private final Pit8254 pit;
    private int control;
    private boolean refresh;

    public PcSpeakerPort(Pit8254 pit) {
        this.pit = pit;
    }

    @Override
    public int read8(int port) {
        return port == PORT ? read() : 0xff;
    }

    private int read() {
        int v = control | (refresh ? 0x10 : 0) | (pit.output(2) ? 0x20 : 0);
        refresh = !refresh;
        return v;
    }

    @Override
    public void write8(int port, int value) {
        if (port == PORT) {
            control = value & 0x0f;
            pit.setGate(2, (control & 1) != 0);
        }
    }

    /** True while the speaker is driven from counter 2 (bits 0 and 1 set). */
    public boolean speakerEnabled() {
        return (control & 3) == 3;
    }

    public State state() {
        return new State(control, refresh);
    }

    /** Restores the register; counter 2's gate is part of the PIT's own snapshot. */
    public void restore(State s) {
        control = s.control() & 0x0f;
        refresh = s.refreshToggle();
    }
}
