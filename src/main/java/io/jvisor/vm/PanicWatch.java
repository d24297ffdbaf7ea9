package io.jvisor.vm;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Watches a guest console's output for Linux's panic line, {@code Kernel panic - not syncing:
 * REASON}, passing every byte on unchanged. The line is recognised when its newline arrives;
 * from then on {@link #reason()} holds REASON (the first panic only).
 */
final class PanicWatch extends FilterOutputStream {
    static final String MARKER = "Kernel panic - not syncing: ";
    private static final int MAX_LINE = 512;

    private final byte[] line = new byte[MAX_LINE];
    private int length;
    private boolean overflow;
    private volatile String reason;

    PanicWatch(OutputStream out) {
        super(out);
    }

    /** The panic's reason once the panic line was written, else null. */
    String reason() {
        return reason;
    }

    @Override
    public void write(int b) throws IOException {
        observe(b);
        out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        for (int i = off; i < off + len; i++) {
            observe(b[i]);
        }
        out.write(b, off, len);
    }

    private void observe(int b) {
        b &= 0xff;
        if (b == '\n') {
            if (!overflow && reason == null) {
                String s = new String(line, 0, length, StandardCharsets.ISO_8859_1).strip();
                int at = s.indexOf(MARKER);
                if (at >= 0) {
                    reason = s.substring(at + MARKER.length()).strip();
                }
            }
            length = 0;
            overflow = false;
        } else if (length < MAX_LINE) {
            line[length++] = (byte) b;
        } else {
            overflow = true;
        }
    }
}
