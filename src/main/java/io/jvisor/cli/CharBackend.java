package io.jvisor.cli;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a character device goes, in QEMU's spelling of -serial, -debugcon and -monitor:
 * {@code stdio}, {@code mon:stdio} (the console shared with the monitor, Ctrl-A c switches),
 * {@code file:PATH}, {@code unix:PATH[,server][,nowait]} (the monitor only), {@code none} or
 * {@code null}. A bare path is jvisor's own shorthand for {@code file:PATH}. QEMU's other
 * backends (vc, pty, tcp:, udp:, telnet:, pipe:, chardev:) are refused by name.
 */
record CharBackend(Kind kind, Path path, boolean noWait) {
    enum Kind { STDIO, MON_STDIO, FILE, UNIX, NONE }

    static final CharBackend STDIO = new CharBackend(Kind.STDIO, null);
    static final CharBackend NONE = new CharBackend(Kind.NONE, null);

    CharBackend(Kind kind, Path path) {
        this(kind, path, true);
    }

    /** Parses {@code spec} for {@code option}; throws {@link BadInput} for anything jvisor cannot do. */
    static CharBackend parse(String option, String spec, boolean unixAllowed) {
        String s = spec.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        switch (lower) {
            case "stdio" -> {
                return STDIO;
            }
            case "mon:stdio" -> {
                return new CharBackend(Kind.MON_STDIO, null);
            }
            case "none", "null" -> {
                return NONE;
            }
            case "vc", "pty", "msmouse", "braille", "spicevmc", "spiceport" -> throw unsupported(option, spec);
            default -> { }
        }
        if (lower.startsWith("file:")) {
            String p = s.substring(5);
            if (p.isEmpty()) {
                throw new BadInput(option + " file: needs a path, as in file:console.log");
            }
            return new CharBackend(Kind.FILE, Path.of(p));
        }
        if (lower.startsWith("unix:") && unixAllowed) {
            String[] parts = s.substring(5).split(",");
            boolean noWait = false;
            for (int i = 1; i < parts.length; i++) {
                String o = parts[i].strip();
                noWait |= o.equals("nowait") || o.equals("wait=off");
                if (!o.equals("server") && !o.equals("server=on") && !o.equals("nowait") && !o.equals("wait=off")) {
                    throw new BadInput(option + " unix: option '" + o + "' is not supported (server, nowait)");
                }
            }
            if (parts[0].isEmpty()) {
                throw new BadInput(option + " unix: needs a socket path, as in unix:/tmp/jvisor.sock,server,nowait");
            }
            return new CharBackend(Kind.UNIX, Path.of(parts[0]), noWait);
        }
        int colon = s.indexOf(':');
        if (colon > 0 && !s.startsWith("/") && !s.startsWith(".")) {
            throw unsupported(option, spec);
        }
        if (s.isEmpty()) {
            throw new BadInput(option + " needs a backend: stdio, mon:stdio, file:PATH or none");
        }
        return new CharBackend(Kind.FILE, Path.of(s));
    }

    private static BadInput unsupported(String option, String spec) {
        return new BadInput(option + " backend '" + spec + "' is not supported yet (stdio, mon:stdio, file:PATH"
                + (option.contains("monitor") ? ", unix:PATH,server,nowait" : "") + ", none)");
    }
}
