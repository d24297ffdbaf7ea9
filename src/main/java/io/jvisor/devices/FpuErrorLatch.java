package io.jvisor.devices;

import io.jvisor.memory.IoDevice;

/**
 * The PC/AT wiring of the x87 error signal (MS-DOS compatible mode, CR0.NE = 0): FERR#
 * raises IRQ 13 and holds it until software writes port 0xF0 (which also releases IGNNE#
 * on real chipsets). Reads of 0xF0 return all ones.
 */
public final class FpuErrorLatch implements IoDevice {
    public static final int PORT = 0xf0;
    private final IrqLine irq13;
    private boolean asserted;

    public FpuErrorLatch(IrqLine irq13) {
        this.irq13 = irq13;
    }

    /** FERR# from the FPU: an unmasked x87 exception is pending. */
    public void ferr() {
        if (!asserted) {
            asserted = true;
            irq13.set(true);
        }
    }

    public boolean asserted() {
        return asserted;
    }

    @Override
    public int in(int port, int size) {
        return size == 1 ? 0xff : size == 2 ? 0xffff : -1;
    }

    @Override
    public void out(int port, int size, int value) {
        if (asserted) {
            asserted = false;
            irq13.set(false);
        }
    }
}
