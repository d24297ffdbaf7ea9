package io.jvisor.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EscapeFilterTest {
    int quits;
    int helps;
    EscapeFilter f;

    @BeforeEach
    void setUp() {
        f = new EscapeFilter(() -> quits++, () -> helps++);
    }

    byte[] run(int... bytes) {
        byte[] buf = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            buf[i] = (byte) bytes[i];
        }
        int n = f.filter(buf, 0, buf.length);
        return Arrays.copyOf(buf, n);
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    @Test
    void ordinaryBytesPassUnchanged() {
        int[] all = new int[255];
        int k = 0;
        for (int b = 0; b < 256; b++) {
            if (b != 0x01) {
                all[k++] = b;
            }
        }
        byte[] out = run(all);
        assertEquals(255, out.length);
        for (int i = 0; i < 255; i++) {
            assertEquals(all[i], out[i] & 0xff);
        }
        assertEquals(0, quits);
        assertEquals(0, helps);
    }

    @Test
    void doubleCtrlASendsOne() {
        assertArrayEquals(bytes('a', 0x01, 'b'), run('a', 0x01, 0x01, 'b'));
        assertArrayEquals(bytes(0x01, 0x01), run(0x01, 0x01, 0x01, 0x01));
        assertFalse(f.escapePending());
    }

    @Test
    void ctrlAxQuitsAndIgnoresTheRest() {
        assertArrayEquals(bytes('l', 's'), run('l', 's', 0x01, 'x', 'r', 'm'));
        assertEquals(1, quits);
        assertTrue(f.quitRequested());
        assertArrayEquals(bytes(), run('m', 'o', 'r', 'e', 0x01, 'x'));
        assertEquals(1, quits, "quit runs once");
    }

    @Test
    void upperCaseXQuitsToo() {
        run(0x01, 'X');
        assertEquals(1, quits);
    }

    @Test
    void helpKeys() {
        assertArrayEquals(bytes('a', 'b'), run('a', 0x01, 'h', 'b'));
        assertArrayEquals(bytes(), run(0x01, '?'));
        assertEquals(2, helps);
        assertEquals(0, quits);
        assertFalse(f.quitRequested());
    }

    @Test
    void unknownEscapeCommandIsDropped() {
        assertArrayEquals(bytes('1', '2'), run('1', 0x01, 'z', '2'));
        assertArrayEquals(bytes(), run(0x01, 0x03), "Ctrl-A Ctrl-C is no command either");
        assertEquals(0, quits);
    }

    @Test
    void escapeSpansChunks() {
        assertArrayEquals(bytes('a'), run('a', 0x01));
        assertTrue(f.escapePending());
        assertArrayEquals(bytes(0x01, 'b'), run(0x01, 'b'));
        assertArrayEquals(bytes(), run(0x01));
        assertArrayEquals(bytes(), run('x'));
        assertEquals(1, quits);
    }

    @Test
    void filtersInPlaceFromAnOffset() {
        byte[] buf = bytes('-', '-', 'a', 0x01, 0x01, 'b', 0x01, 'h', 'c', '-');
        int n = f.filter(buf, 2, 7);
        assertEquals(4, n);
        assertArrayEquals(bytes('a', 0x01, 'b', 'c'), Arrays.copyOfRange(buf, 2, 6));
        assertEquals('-', buf[0]);
        assertEquals('-', buf[9], "bytes outside the range are untouched");
        assertEquals(1, helps);
    }

    @Test
    void rejectsBadRange() {
        assertThrows(IndexOutOfBoundsException.class, () -> f.filter(new byte[4], 2, 3));
    }

    @Test
    void helpTextNamesTheKeys() {
        String h = EscapeFilter.helpText();
        assertTrue(h.contains("C-a x"));
        assertTrue(h.contains("C-a h"));
        assertTrue(h.contains("C-a C-a"));
        assertTrue(h.endsWith("\r\n"));
    }
}
