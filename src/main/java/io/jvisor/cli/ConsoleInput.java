package io.jvisor.cli;

import io.jvisor.vm.VirtualMachine;
import io.jvisor.vm.VmSupervisor;

import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/**
 * The host console's typed bytes, delivered to the serial port of whichever VM the
 * supervisor runs now: one console for the whole process, so input keeps going to the guest
 * across guest reboots. Bytes typed while no VM exists (between a reset and the next boot)
 * are kept, up to {@link #PENDING_MAX}, and delivered to the next VM.
 */
final class ConsoleInput implements Consumer<byte[]> {
    static final int PENDING_MAX = 64 << 10;

    private final VmSupervisor supervisor;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    ConsoleInput(VmSupervisor supervisor) {
        this.supervisor = supervisor;
    }

    @Override
    public synchronized void accept(byte[] bytes) {
        VirtualMachine vm = supervisor.current();
        if (vm == null) {
            if (pending.size() + bytes.length <= PENDING_MAX) {
                pending.writeBytes(bytes);
            }
            return;
        }
        if (pending.size() > 0) {
            vm.serialPort().receive(pending.toByteArray());
            pending.reset();
        }
        vm.serialPort().receive(bytes);
    }

    /** Delivers what was typed between VMs to the VM now running (called when a VM starts). */
    synchronized void flushPending() {
        VirtualMachine vm = supervisor.current();
        if (vm != null && pending.size() > 0) {
            vm.serialPort().receive(pending.toByteArray());
            pending.reset();
        }
    }
}
