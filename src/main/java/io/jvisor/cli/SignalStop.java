package io.jvisor.cli;

import io.jvisor.vm.VmExitStatus;
import io.jvisor.vm.VmSupervisor;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.ArrayList;
import java.util.List;

/**
 * SIGINT, SIGTERM and SIGHUP end the VM the normal way (its stats printed, the terminal
 * restored) with {@link VmExitStatus#SIGNALLED}; a second signal while that is under way
 * exits at once.
 */
final class SignalStop {
    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();
    private volatile boolean signalled;

    private SignalStop() {
    }

    static SignalStop install(VmSupervisor supervisor) {
        SignalStop s = new SignalStop();
        for (String name : new String[] {"INT", "TERM", "HUP"}) {
            try {
                Signal sig = new Signal(name);
                SignalHandler old = Signal.handle(sig, x -> {
                    if (s.signalled) {
                        System.exit(VmExitStatus.SIGNALLED);
                    }
                    s.signalled = true;
                    supervisor.stop(VmExitStatus.SIGNALLED, "ended by SIG" + name);
                });
                s.signals.add(sig);
                s.previous.add(old);
            } catch (IllegalArgumentException unavailable) {
                // the JVM keeps this signal (for example with -Xrs): its default action stays
            }
        }
        return s;
    }

    void uninstall() {
        for (int i = 0; i < signals.size(); i++) {
            try {
                Signal.handle(signals.get(i), previous.get(i));
            } catch (IllegalArgumentException ignored) {
                // nothing to restore
            }
        }
    }
}
