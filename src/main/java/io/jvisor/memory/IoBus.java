package io.jvisor.memory;

import java.util.BitSet;
import java.util.function.Consumer;

/**
 * The 64 K port I/O space of one VM. Port accesses hold this bus's monitor, which is also the
 * lock of the devices behind ports (the VM advances their time holding it): a device sees
 * one vCPU's access at a time. Each port is claimed by at most one device; an
 * unclaimed port reads as all ones and ignores writes (as on a PC's ISA bus), and is
 * counted and reported once.
 */
public final class IoBus {
    private final IoDevice[] ports = new IoDevice[0x10000];
    private final BitSet reported = new BitSet(0x10000);
    private long unclaimedAccesses;
    private Consumer<String> log = s -> { };

    public void setLog(Consumer<String> log) {
        this.log = log;
    }

    public synchronized void register(int first, int count, IoDevice device) {
        for (int p = first; p < first + count; p++) {
            if (ports[p] != null) {
                throw new IllegalStateException(String.format("port 0x%x already claimed", p));
            }
            ports[p] = device;
        }
    }

    /**
     * Moves {@code device}'s ports to [first, first+count), or releases them when count is 0:
     * a PCI I/O BAR the guest programs. Ports another device holds are not taken (the device
     * is then unmapped) and false is returned.
     */
    public synchronized boolean move(IoDevice device, int first, int count) {
        for (int p = 0; p < ports.length; p++) {
            if (ports[p] == device) {
                ports[p] = null;
            }
        }
        if (count <= 0 || first < 0 || first + count > ports.length) {
            return false;
        }
        for (int p = first; p < first + count; p++) {
            if (ports[p] != null) {
                return false;
            }
        }
        for (int p = first; p < first + count; p++) {
            ports[p] = device;
        }
        return true;
    }

    public synchronized int in(int port, int size) {
        IoDevice d = ports[port & 0xffff];
        if (d == null) {
            unclaimed(port, "read");
            return size == 1 ? 0xff : size == 2 ? 0xffff : -1;
        }
        return d.in(port & 0xffff, size);
    }

    public synchronized void out(int port, int size, int value) {
        IoDevice d = ports[port & 0xffff];
        if (d == null) {
            unclaimed(port, "write");
            return;
        }
        d.out(port & 0xffff, size, value);
    }

    private void unclaimed(int port, String what) {
        unclaimedAccesses++;
        if (!reported.get(port & 0xffff)) {
            reported.set(port & 0xffff);
            log.accept(String.format("unclaimed I/O port 0x%04x (%s)", port & 0xffff, what));
        }
    }

    public long unclaimedAccesses() {
        return unclaimedAccesses;
    }
}
