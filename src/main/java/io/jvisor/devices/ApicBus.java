package io.jvisor.devices;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The message bus between the local APICs of a VM (and the I/O APIC): delivers an
 * interprocessor interrupt to the APICs its destination names (SDM "Determining IPI
 * Destination"): a shorthand (self, all including self, all excluding self) or a
 * destination field read as a physical APIC ID (0xFF, or 0xFFFFFFFF in x2APIC mode, is a
 * broadcast) or as a logical destination (flat or cluster model). Lowest-priority delivery
 * goes to the addressed APIC whose processor priority is lowest.
 */
public final class ApicBus {
    private final List<LocalApic> apics = new CopyOnWriteArrayList<>();

    public void attach(LocalApic a) {
        apics.add(a);
        a.connect(this);
    }

    public List<LocalApic> apics() {
        return List.copyOf(apics);
    }

    /** Sends an IPI from {@code source} with the ICR's low word and the destination field. */
    public void send(LocalApic source, int icrLo, int destination) {
        int shorthand = icrLo >>> 18 & 3;
        List<LocalApic> targets = switch (shorthand) {
            case 1 -> List.of(source);
            case 2 -> apics;
            case 3 -> apics.stream().filter(a -> a != source).toList();
            default -> addressed(destination, (icrLo & 1 << 11) != 0, source.x2apic());
        };
        deliverTo(targets, icrLo);
    }

    /** Delivers an interrupt message (from the I/O APIC) to its destination. */
    public void deliver(int destination, boolean logical, int icrLayout) {
        deliverTo(addressed(destination, logical, false), icrLayout);
    }

    /** Delivers to every target, or in lowest-priority mode to the one whose processor priority is lowest. */
    private static void deliverTo(List<LocalApic> targets, int icr) {
        if ((icr >>> 8 & 7) == LocalApic.MODE_LOWEST && targets.size() > 1) {
            LocalApic best = targets.get(0);
            for (LocalApic a : targets) {
                if (a.ppr() < best.ppr()) {
                    best = a;
                }
            }
            targets = List.of(best);
        }
        for (LocalApic a : targets) {
            a.deliverFromBus(icr);
        }
    }

    private List<LocalApic> addressed(int destination, boolean logical, boolean x2apic) {
        List<LocalApic> out = new ArrayList<>();
        int broadcast = x2apic ? 0xffff_ffff : 0xff;
        for (LocalApic a : apics) {
            boolean hit = logical ? a.matchesLogical(destination)
                    : destination == broadcast || a.id() == destination;
            if (hit) {
                out.add(a);
            }
        }
        return out;
    }
}
