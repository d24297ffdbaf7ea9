package io.jvisor.cli;

import io.jvisor.vm.VmConfig;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * QEMU's machine-level options in QEMU's spelling, checked against what jvisor has: up to
 * 16 vCPUs of one model on a PC with software execution. What a QEMU user may type is accepted
 * with QEMU's meaning; what jvisor cannot do is refused with a line that says so.
 */
final class QemuOptions {
    private QemuOptions() {
    }

    /** QEMU's list syntax: {@code first[,key=value...]}; the first item may itself be key=value. */
    static Map<String, String> props(String spec, String firstKey) {
        Map<String, String> m = new LinkedHashMap<>();
        String[] parts = spec.split(",");
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].strip();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq < 0) {
                m.put(i == 0 && firstKey != null ? firstKey : p, i == 0 && firstKey != null ? p : "on");
            } else {
                m.put(p.substring(0, eq).strip(), p.substring(eq + 1).strip());
            }
        }
        return m;
    }

    /** -accel / -machine accel=: the engine name jvisor uses ("jit" or "interp"). */
    static String engineForAccel(String spec) {
        Map<String, String> p = props(spec, "accel");
        String accel = p.getOrDefault("accel", "").toLowerCase(Locale.ROOT);
        for (String k : p.keySet()) {
            if (!k.equals("accel") && !k.equals("thread") && !k.equals("tb-size")) {
                throw new BadInput("-accel option '" + k + "' is not supported (thread, tb-size)");
            }
        }
        if (p.containsKey("thread") && !p.get("thread").equals("single") && !p.get("thread").equals("multi")) {
            throw new BadInput("-accel thread must be single or multi, not '" + p.get("thread") + "'");
        }
        return switch (accel) {
            case "tcg", "jit" -> "jit";
            case "interp" -> "interp";
            case "kvm", "xen", "hvf", "whpx", "nvmm", "hax" -> throw new BadInput("-accel " + accel
                    + " is not available: jvisor is a software VMM (use tcg, the default, or interp)");
            default -> throw new BadInput("-accel '" + accel + "' is unknown (tcg or jit: the translator; interp: "
                    + "the interpreter)");
        };
    }

    /**
     * -smp [cpus=]N[,sockets=S][,dies=D][,cores=C][,threads=T][,maxcpus=M]: the vCPU count,
     * 1 to {@link VmConfig#MAX_CPUS}. Without N it is the product of the topology counts, as
     * in QEMU; with both they must agree. Each vCPU is presented as a single-core package (as
     * QEMU's pc machine does by default); CPU hotplug (maxcpus above the count) is not offered.
     */
    static int smp(String spec) {
        Map<String, String> p = props(spec, "cpus");
        Map<String, Integer> n = new java.util.HashMap<>();
        for (Map.Entry<String, String> e : p.entrySet()) {
            if (!Set.of("cpus", "maxcpus", "sockets", "dies", "cores", "threads").contains(e.getKey())) {
                throw new BadInput("-smp option '" + e.getKey() + "' is unknown");
            }
            try {
                n.put(e.getKey(), Integer.parseInt(e.getValue()));
            } catch (NumberFormatException ex) {
                throw new BadInput("-smp " + e.getKey() + " must be a number, not '" + e.getValue() + "'");
            }
            if (n.get(e.getKey()) < 1) {
                throw new BadInput("-smp " + e.getKey() + " must be at least 1, not " + e.getValue());
            }
        }
        long topology = (long) n.getOrDefault("sockets", 1) * n.getOrDefault("dies", 1) * n.getOrDefault("cores", 1)
                * n.getOrDefault("threads", 1);
        boolean anyTopology = n.keySet().stream().anyMatch(k -> !k.equals("cpus") && !k.equals("maxcpus"));
        long cpus = n.containsKey("cpus") ? n.get("cpus") : topology;
        if (n.containsKey("cpus") && anyTopology && topology != cpus) {
            throw new BadInput("-smp " + spec + ": sockets*dies*cores*threads is " + topology + ", not " + cpus);
        }
        if (cpus > VmConfig.MAX_CPUS) {
            throw new BadInput("-smp " + spec + ": at most " + VmConfig.MAX_CPUS + " vCPUs, not " + cpus);
        }
        if (n.containsKey("maxcpus") && n.get("maxcpus") != cpus) {
            throw new BadInput("-smp maxcpus=" + n.get("maxcpus") + ": CPU hotplug is not supported; maxcpus must "
                    + "equal the vCPU count (" + cpus + ")");
        }
        return (int) cpus;
    }

    /** -cpu: jvisor emulates one model, a 32-bit Core 2 (CpuId): QEMU's name for it, core2duo, or max. */
    static void checkCpu(String spec) {
        Map<String, String> p = props(spec, "model");
        String model = p.getOrDefault("model", "").toLowerCase(Locale.ROOT);
        if (p.size() > 1) {
            throw new BadInput("-cpu feature flags are not supported (" + spec + "); jvisor's CPU model is fixed");
        }
        if (!model.equals("core2duo") && !model.equals("max")) {
            throw new BadInput("-cpu " + model + " is not available: jvisor emulates one model, an Intel Core 2 "
                    + "without long mode (-cpu core2duo, or -cpu max)");
        }
    }

    /**
     * -machine / -M: the PC (i440FX class, as QEMU's pc); returns the accel property if given,
     * else null.
     */
    static String machine(String spec) {
        Map<String, String> p = props(spec, "type");
        String type = p.getOrDefault("type", "pc").toLowerCase(Locale.ROOT);
        if (!type.equals("pc") && !type.startsWith("pc-i440fx")) {
            throw new BadInput("-machine " + type + " is not available: jvisor emulates a PC (-machine pc)");
        }
        for (String k : p.keySet()) {
            if (!k.equals("type") && !k.equals("accel")) {
                throw new BadInput("-machine option '" + k + "' is not supported (accel)");
            }
        }
        return p.get("accel");
    }

    /** -display: jvisor has no graphical display. */
    static void checkDisplay(String spec) {
        String type = props(spec, "type").getOrDefault("type", "").toLowerCase(Locale.ROOT);
        if (!type.equals("none")) {
            throw new BadInput("-display " + type + " is not available: jvisor has no graphical display "
                    + "(use -display none or -nographic)");
        }
    }

    /** -m [size=]SIZE: the size part (QEMU's slots and maxmem are memory hotplug, not supported). */
    static String memorySize(String spec) {
        Map<String, String> p = props(spec, "size");
        for (String k : p.keySet()) {
            if (!k.equals("size")) {
                throw new BadInput("-m option '" + k + "' is not supported (memory hotplug); give a size, e.g. -m 256M");
            }
        }
        return p.getOrDefault("size", "");
    }

    /** -d items jvisor can log, with QEMU's names. */
    static final Map<String, String> LOG_ITEMS = Map.of(
            "guest_errors", "the guest's use of ports and registers no device claims",
            "unimp", "device features the guest asks for that jvisor does not implement",
            "cpu_reset", "each guest reset, with the CPU state before it");

    /** -d ITEM,ITEM: the items, checked (help prints the list and is handled by the caller). */
    static Set<String> logItems(String spec) {
        Set<String> items = new java.util.TreeSet<>();
        for (String s : spec.split(",")) {
            String i = s.strip();
            if (i.isEmpty()) {
                continue;
            }
            if (!LOG_ITEMS.containsKey(i) && !i.equals("help")) {
                throw new BadInput("-d item '" + i + "' is not available (" + String.join(", ",
                        new java.util.TreeSet<>(LOG_ITEMS.keySet())) + "; -d help lists them)");
            }
            items.add(i);
        }
        return items;
    }
}
