package io.jvisor.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GDB remote serial protocol framing (the GDB manual, "Overview" of the remote protocol):
 * packets are {@code $data#cc} with cc the modulo-256 sum of data in two hex digits, each
 * acknowledged with {@code +}; a lone 0x03 outside a packet is an interrupt request; in
 * binary data, 0x7d escapes the next byte (XOR 0x20).
 */
final class GdbConnection {
    /** What {@link #read()} returns for a Ctrl-C from the debugger. */
    static final String INTERRUPT = "\u0003";

    private final InputStream in;
    private final OutputStream out;

    GdbConnection(InputStream in, OutputStream out) {
        this.in = in;
        this.out = out;
    }

    /** The next packet's data (escapes kept), {@link #INTERRUPT}, or null at end of input. */
    String read() throws IOException {
        while (true) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            if (c == 0x03) {
                return INTERRUPT;
            }
            if (c != '$') {
                continue;   // acks (+/-) and noise between packets
            }
            StringBuilder data = new StringBuilder();
            int sum = 0;
            while ((c = in.read()) >= 0 && c != '#') {
                data.append((char) c);
                sum += c;
            }
            int h = in.read(), l = in.read();
            if (c < 0 || h < 0 || l < 0) {
                return null;
            }
            int given = Character.digit(h, 16) << 4 | Character.digit(l, 16);
            if (given != (sum & 0xff)) {
                send("-");
                continue;
            }
            send("+");
            return data.toString();
        }
    }

    /** Sends one packet (data is ASCII; '$', '#' and '}' in it are escaped). */
    synchronized void packet(String data) throws IOException {
        StringBuilder b = new StringBuilder("$");
        int sum = 0;
        for (char ch : data.toCharArray()) {
            if (ch == '$' || ch == '#' || ch == '}' || ch == '*') {
                b.append('}');
                sum += '}';
                ch ^= 0x20;
            }
            b.append(ch);
            sum += ch;
        }
        b.append('#').append(String.format("%02x", sum & 0xff));
        send(b.toString());
    }

    private synchronized void send(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Undoes the binary escapes of an X packet's data. */
    static byte[] unescape(String data) {
        byte[] b = new byte[data.length()];
        int n = 0;
        for (int i = 0; i < data.length(); i++) {
            char ch = data.charAt(i);
            if (ch == '}' && i + 1 < data.length()) {
                b[n++] = (byte) (data.charAt(++i) ^ 0x20);
            } else {
                b[n++] = (byte) ch;
            }
        }
        return java.util.Arrays.copyOf(b, n);
    }
}
