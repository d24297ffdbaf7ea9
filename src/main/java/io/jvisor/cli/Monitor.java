package io.jvisor.cli;

import io.jvisor.cpu.Cpu;
import io.jvisor.devices.Pic8259;
import io.jvisor.engine.CpuReport;
import io.jvisor.engine.PageTableReport;
import io.jvisor.vm.VirtualMachine;
import io.jvisor.vm.VmExitStatus;
import io.jvisor.vm.VmSupervisor;

import java.util.Locale;

/**
 * The human monitor, in the spirit of QEMU's: one command per line, answered as text. It
 * acts on whichever VM the supervisor runs now; state is read on the vCPU thread between
 * instructions ({@link VirtualMachine#onVcpu}), so a running VM shows a consistent state.
 */
final class Monitor {
    static final String PROMPT = "(jvisor) ";
    static final String HELP = """
            info registers     the vCPU's registers
            info cpus          the vCPUs and where they are
            info status        running or paused
            info stats         the exit counters, live
            info pic           the 8259 interrupt controllers
            info mem           the guest's mapped linear ranges (from its page tables)
            info tlb           every mapped page, linear: physical attributes
            x /Nfu ADDR        dump N units of guest virtual memory (f: x d u c; u: b h w g)
            xp /Nfu ADDR       the same for guest physical memory
            stop               pause the VM (VM time stops too)
            cont | c           resume it
            system_reset       reset the machine
            system_powerdown   press the ACPI power button
            nmi                inject a non-maskable interrupt
            quit | q           end jvisor
            help | ?           this list
            """;

    private final VmSupervisor supervisor;

    Monitor(VmSupervisor supervisor) {
        this.supervisor = supervisor;
    }

    /** Executes one command line; returns the answer (empty, or lines ending in a newline). */
    String execute(String line) {
        String cmd = line.strip();
        if (cmd.isEmpty()) {
            return "";
        }
        String[] w = cmd.split("\\s+", 2);
        String verb = w[0].toLowerCase(Locale.ROOT);
        String arg = w.length > 1 ? w[1].strip() : "";
        try {
            return switch (verb) {
                case "help", "?", "h" -> HELP;
                case "quit", "q" -> {
                    supervisor.stop(VmExitStatus.CLEAN, "quit from the monitor");
                    yield "";
                }
                case "info", "i" -> info(arg);
                case "stop" -> {
                    vm().pause();
                    yield "";
                }
                case "cont", "c" -> {
                    vm().resume();
                    yield "";
                }
                case "system_reset" -> {
                    supervisor.reset("system_reset from the monitor");
                    yield "";
                }
                case "system_powerdown" -> {
                    vm().pressPowerButton();
                    yield "";
                }
                case "nmi" -> {
                    vm().injectNmi();
                    yield "";
                }
                case "x" -> dump(arg, true);
                case "xp" -> dump(arg, false);
                default -> "unknown command: '" + verb + "' (help lists the commands)\n";
            };
        } catch (MonitorError e) {
            return e.getMessage() + "\n";
        } catch (IllegalStateException e) {
            return "error: " + e.getMessage() + "\n";
        }
    }

    private static final class MonitorError extends RuntimeException {
        MonitorError(String m) {
            super(m, null, false, false);
        }
    }

    private VirtualMachine vm() {
        VirtualMachine vm = supervisor.awaitCurrent(10_000);
        if (vm == null) {
            throw new MonitorError(supervisor.held() ? "the guest has powered off (system_reset boots it again)"
                    : "no VM is running");
        }
        return vm;
    }

    private String info(String what) {
        VirtualMachine vm = vm();
        return switch (what.toLowerCase(Locale.ROOT)) {
            case "registers", "r" -> vm.onVcpu(() -> CpuReport.registers(vm.cpu()) + "\n");
            case "cpus" -> vm.onVcpu(() -> cpus(vm));
            case "status" -> "VM status: " + (vm.pauseRequested() ? "paused" : "running") + "\n";
            case "stats" -> vm.onVcpu(() -> StatsTable.render(vm.cpus(), System.nanoTime() - vm.createdNanos(),
                    vm.engine()) + StatsTable.renderEngine(vm.engine()));
            case "pic" -> vm.onVcpu(() -> pic("master", vm.pic().master()) + pic("slave", vm.pic().slave()));
            case "mem" -> vm.onVcpu(() -> PageTableReport.mem(vm.cpu()));
            case "tlb" -> vm.onVcpu(() -> PageTableReport.tlb(vm.cpu()));
            case "" -> "info what? registers, cpus, status, stats, pic, mem, tlb\n";
            default -> "info " + what + ": unknown (registers, cpus, status, stats, pic, mem, tlb)\n";
        };
    }

    /**
     * The vCPUs and where they are, as QEMU's info cpus ("*" marks the one the monitor's
     * other commands look at, the BSP). The BSP's line is exact (read on its thread); the
     * other vCPUs run on while it is taken, so theirs is a sample.
     */
    private static String cpus(VirtualMachine vm) {
        StringBuilder sb = new StringBuilder();
        java.util.List<io.jvisor.cpu.Cpu> all = vm.cpus();
        for (int k = 0; k < all.size(); k++) {
            io.jvisor.cpu.Cpu c = all.get(k);
            String state = vm.waitingForSipi(k) ? " (wait-for-SIPI)" : c.halted ? " (halted)" : "";
            // another vCPU's code bytes are not read from here: that would fill its soft TLB from this thread
            String where = k == 0 ? CpuReport.location(c).split(" bytes")[0]
                    : String.format("%04x:%08x", c.segSel[io.jvisor.cpu.Cpu.CS], c.eip);
            sb.append(String.format("%s CPU #%d: pc=0x%08x (%s)%s%n", k == 0 ? "*" : " ", k, c.eip, where, state));
        }
        return sb.toString();
    }

    private static String pic(String name, Pic8259 p) {
        Pic8259.State s = p.state();
        return String.format("pic %-6s irr=%02x imr=%02x isr=%02x vector base=%02x elcr=%02x%n", name, s.irr(),
                s.imr(), s.isr(), s.vectorBase(), s.elcr());
    }

    /** x / xp: QEMU's /Nfu format (count, format x d u c, unit b h w g), then an address. */
    private String dump(String arg, boolean virtual) {
        int count = 1;
        char format = 'x';
        int unit = 4;
        String addr = arg;
        if (arg.startsWith("/")) {
            String[] p = arg.split("\\s+", 2);
            addr = p.length > 1 ? p[1] : "";
            String f = p[0].substring(1);
            int i = 0;
            while (i < f.length() && Character.isDigit(f.charAt(i))) {
                i++;
            }
            if (i > 0) {
                count = Integer.parseInt(f.substring(0, i));
            }
            for (char ch : f.substring(i).toCharArray()) {
                switch (ch) {
                    case 'x', 'd', 'u', 'c' -> format = ch;
                    case 'b' -> unit = 1;
                    case 'h' -> unit = 2;
                    case 'w' -> unit = 4;
                    case 'g' -> unit = 8;
                    default -> throw new MonitorError("format '" + ch + "' is not supported (x d u c, b h w g)");
                }
            }
            if (format == 'c') {
                unit = 1;
            }
        }
        if (count < 1 || count > 4096) {
            throw new MonitorError("count must be 1 to 4096");
        }
        long address = parseAddress(addr);
        VirtualMachine vm = vm();
        final int n = count, size = unit;
        final char fmt = format;
        return vm.onVcpu(() -> render(vm.cpu(), address, n, size, fmt, virtual));
    }

    static long parseAddress(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        if (t.isEmpty()) {
            throw new MonitorError("an address is needed, e.g. x /4x 0xc0000000");
        }
        try {
            return t.startsWith("0x") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new MonitorError("'" + s + "' is not an address (decimal or 0x hex)");
        }
    }

    private static String render(Cpu c, long address, int count, int unit, char format, boolean virtual) {
        StringBuilder b = new StringBuilder();
        int perLine = format == 'c' ? 16 : 16 / unit;
        for (int k = 0; k < count; k++) {
            long a = address + (long) k * unit;
            if (k % perLine == 0) {
                if (k > 0) {
                    b.append('\n');
                }
                b.append(String.format(virtual ? "%08x:" : "%09x:", a));
            }
            long v = 0;
            boolean ok = true;
            for (int i = unit - 1; i >= 0; i--) {
                int x = byteAt(c, a + i, virtual);
                if (x < 0) {
                    ok = false;
                    break;
                }
                v = v << 8 | x;
            }
            if (!ok) {
                b.append(k % perLine == 0 ? "" : "\n").append(String.format(" cannot access %s %x%n",
                        virtual ? "linear address" : "physical address", a));
                return b.toString();
            }
            b.append(' ').append(switch (format) {
                case 'd' -> Long.toString(unit == 8 ? v : signExtend(v, unit));
                case 'u' -> Long.toUnsignedString(v);
                case 'c' -> v >= 0x20 && v < 0x7f ? "'" + (char) v + "'" : String.format("\\x%02x", v);
                default -> String.format("0x%0" + (2 * unit) + "x", v);
            });
        }
        return b.append('\n').toString();
    }

    private static long signExtend(long v, int unit) {
        int shift = 64 - 8 * unit;
        return v << shift >> shift;
    }

    private static int byteAt(Cpu c, long a, boolean virtual) {
        long pa = virtual ? c.probe((int) a) : a;
        return pa < 0 ? -1 : c.mem.peek(pa);
    }
}
