package io.jvisor.devices;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Uart16550Test {
    static final int B = Uart16550.COM1_BASE;
    static final int RBR = B, THR = B, DLL = B, IER = B + 1, DLM = B + 1, IIR = B + 2, FCR = B + 2, LCR = B + 3,
            MCR = B + 4, LSR = B + 5, MSR = B + 6, SCR = B + 7;
    /** Four character times at 115200 baud, 8N1 (10 bits): 4 * 10 / 115200 s. */
    static final long TIMEOUT_115200_8N1 = 4L * 10 * 1_000_000_000L / 115_200;

    static final class TestClock implements VmClock {
        long now = 1_000_000;

        @Override
        public long nanos() {
            return now;
        }
    }

    static final class RecordingIrq implements IrqLine {
        boolean high;
        final List<Boolean> edges = new ArrayList<>();

        @Override
        public void set(boolean level) {
            high = level;
            edges.add(level);
        }
    }

    static final class CountingStream extends ByteArrayOutputStream {
        int flushes;
        int flushedSize;

        @Override
        public void flush() {
            flushes++;
            flushedSize = size();
        }

        String text() {
            return toString(StandardCharsets.ISO_8859_1);
        }
    }

    TestClock clock;
    RecordingIrq irq;
    CountingStream out;
    Uart16550 uart;

    @BeforeEach
    void setUp() {
        clock = new TestClock();
        irq = new RecordingIrq();
        out = new CountingStream();
        uart = new Uart16550(B, irq, clock, out);
    }

    int in(int port) {
        return uart.in(port, 1);
    }

    void out(int port, int value) {
        uart.out(port, 1, value);
    }

    /** What Linux's 8250 driver leaves after set_termios for 115200 8N1 with a 16550A. */
    void linuxSetup(int fcr) {
        out(LCR, 0x83);
        out(DLL, 1);
        out(DLM, 0);
        out(LCR, 0x03);
        out(FCR, fcr);
        out(MCR, 0x0b); // DTR | RTS | OUT2
    }

    // ---------------------------------------------------------------- probing

    @Test
    void powerOnState() {
        assertEquals(0x00, in(IER));
        assertEquals(0x01, in(IIR));
        assertEquals(0x00, in(LCR));
        assertEquals(0x00, in(MCR));
        assertEquals(0x60, in(LSR));
        assertEquals(0xb0, in(MSR), "CTS, DSR and DCD of a connected terminal");
        assertEquals(9600, uart.baudRate());
        assertFalse(irq.high);
    }

    @Test
    void scratchRegisterHoldsAnyByte() {
        for (int v : new int[] {0x00, 0x55, 0xaa, 0xff, 0x5a}) {
            out(SCR, v);
            assertEquals(v, in(SCR));
        }
    }

    @Test
    void ierHoldsLowNibbleOnly() {
        // autoconfig: IER=0 reads 0, IER=0x0f reads 0x0f
        out(IER, 0);
        assertEquals(0, in(IER) & 0x0f);
        out(IER, 0x0f);
        assertEquals(0x0f, in(IER) & 0x0f);
        // the XScale UUE bit (and all high bits) must not stick, or Linux calls it an XScale
        out(IER, 0xff);
        assertEquals(0x0f, in(IER));
        out(IER, 0x40);
        assertEquals(0x00, in(IER));
    }

    @Test
    void mcrHoldsFiveBits() {
        out(MCR, 0xff);
        assertEquals(0x1f, in(MCR));
    }

    @Test
    void loopbackMirrorsModemControlIntoMsr() {
        out(MCR, 0x10 | 0x0a); // LOOP | RTS | OUT2: Linux's "is a UART there" test
        assertEquals(0x90, in(MSR) & 0xf0);
        out(MCR, 0x10 | 0x01); // DTR -> DSR
        assertEquals(0x20, in(MSR) & 0xf0);
        out(MCR, 0x10 | 0x04); // OUT1 -> RI
        assertEquals(0x40, in(MSR) & 0xf0);
        out(MCR, 0x1f);
        assertEquals(0xf0, in(MSR) & 0xf0);
        out(MCR, 0x10);
        assertEquals(0x00, in(MSR) & 0xf0);
        out(MCR, 0x00);
        assertEquals(0xb0, in(MSR) & 0xf0, "back to the external lines");
    }

    @Test
    void fifoEnableShowsInIirBits6And7() {
        assertEquals(0x01, in(IIR));
        out(FCR, 0x01);
        assertEquals(0xc1, in(IIR));
        assertEquals(3, in(IIR) >> 6, "16550A: both FIFO bits");
        out(FCR, 0x00);
        assertEquals(0x01, in(IIR));
    }

    @Test
    void noSixtyFourByteFifoWhateverDlab() {
        // Linux's TI16750 check: bit 5 must not follow FCR bit 5, with or without DLAB
        out(LCR, 0);
        out(FCR, 0x21);
        assertEquals(6, in(IIR) >> 5);
        out(FCR, 0x01);
        out(LCR, 0x80);
        out(FCR, 0x21);
        assertEquals(6, in(IIR) >> 5);
        out(FCR, 0x01);
        out(LCR, 0);
    }

    @Test
    void linuxAutoconfigSequenceFindsA16550A() {
        // drivers/tty/serial/8250/8250_port.c autoconfig(), step by step, checking what each
        // step needs to see for the port to be taken as a plain 16550A
        int scratch = in(IER);
        out(IER, 0);
        int scratch2 = in(IER) & 0x0f;
        out(IER, 0x0f);
        int scratch3 = in(IER) & 0x0f;
        out(IER, scratch);
        assertEquals(0, scratch2);
        assertEquals(0x0f, scratch3);

        int saveMcr = in(MCR);
        int saveLcr = in(LCR);
        out(MCR, 0x10 | 0x0a);
        int status1 = in(MSR) & 0xf0;
        out(MCR, saveMcr);
        assertEquals(0x90, status1, "loopback test");

        out(LCR, 0xbf);
        out(B + 2, 0); // EFR on 16650s; FCR here
        out(LCR, 0);
        out(FCR, 0x01);
        int iir = in(IIR);
        assertEquals(3, iir >> 6, "FIFO bits: a 16550A");

        // autoconfig_16550a: EFR tests must fail (offset 2 reads IIR, never 0)
        out(LCR, 0x80);
        assertTrue(in(B + 2) != 0, "no EFR with DLAB (ST16C650V1)");
        out(LCR, 0xbf);
        assertTrue(in(B + 2) != 0, "no EFR with LCR=0xbf (ST16C650V2 and friends)");
        // NS SuperIO bank test: IIR bit 4 must not follow MCR.LOOP
        out(LCR, 0);
        int mcr = in(MCR);
        out(LCR, 0xe0);
        int excr1 = in(B + 2);
        assertEquals(0, (excr1 ^ mcr) & 0x10);
        out(LCR, 0);
        out(MCR, mcr ^ 0x10);
        out(LCR, 0xe0);
        excr1 = in(B + 2);
        out(LCR, 0);
        out(MCR, mcr);
        assertEquals(0, (excr1 ^ mcr) & 0x10, "not an NS16550 SuperIO");

        out(LCR, saveLcr);
        out(MCR, saveMcr);
        out(FCR, 0x07);
        out(FCR, 0);
        in(RBR);
        // LCR=0xe0 has the break bit: in loopback that received a break (as on the chip),
        // which serial8250_do_startup's LSR/RX/IIR/MSR reads clear
        in(LSR);
        in(RBR);
        in(IIR);
        in(MSR);
        assertEquals(0x01, in(IIR));
        assertEquals(0x60, in(LSR));
    }

    @Test
    void lsrSafetyCheckIsNotAllOnes() {
        in(LSR);
        in(RBR);
        in(IIR);
        in(MSR);
        assertTrue(in(LSR) != 0xff);
        assertEquals(0x60, in(LSR) & 0x60, "THRE and TEMT");
    }

    @Test
    void divisorLatchBehindDlab() {
        out(LCR, 0x80);
        out(DLL, 0x34);
        out(DLM, 0x12);
        assertEquals(0x34, in(DLL));
        assertEquals(0x12, in(DLM));
        out(LCR, 0x03);
        assertEquals(0x00, in(IER), "IER untouched by DLM writes");
        out(IER, 0x05);
        out(LCR, 0x83);
        assertEquals(0x12, in(DLM));
        out(DLL, 1);
        out(DLM, 0);
        out(LCR, 0x03);
        assertEquals(115_200, uart.baudRate());
        assertEquals(0x05, in(IER));
        assertEquals(0, out.size(), "DLL writes are not transmitted");
    }

    @Test
    void fcrAndIirReachableWithDlabSet() {
        out(LCR, 0x80);
        out(FCR, 0x01);
        assertEquals(0xc1, in(IIR));
    }

    // ---------------------------------------------------------------- THRE

    @Test
    void threInterruptOnEnablingAsLinuxTestsIt() {
        // serial8250_do_startup's THRE re-assert test
        linuxSetup(0);
        out(IER, 0x02);
        int iir1 = in(IIR);
        out(IER, 0);
        out(IER, 0x02);
        int iir = in(IIR);
        out(IER, 0);
        assertEquals(0x02, iir1 & 0x0f);
        assertEquals(0x02, iir & 0x0f, "THRE re-asserted when IER.ETBEI rises again");
    }

    @Test
    void threInterruptClearedByReadingIir() {
        linuxSetup(0x01);
        out(IER, 0x02);
        assertTrue(irq.high);
        assertEquals(0xc2, in(IIR));
        assertFalse(irq.high);
        assertEquals(0xc1, in(IIR));
        // writing IER again with ETBEI still set is no rising edge
        out(IER, 0x02);
        assertEquals(0xc1, in(IIR));
    }

    @Test
    void threRearmedAfterEachTransmittedByte() {
        linuxSetup(0x01);
        out(IER, 0x02);
        in(IIR);
        assertFalse(irq.high);
        out(THR, 'x');
        assertTrue(irq.high, "THR empties at once and interrupts again");
        assertEquals(0xc2, in(IIR));
        assertEquals(0x60, in(LSR) & 0x60);
    }

    @Test
    void txenTestSeesThreAndTemt() {
        // the UART_BUG_TXEN probe: IER=THRI then LSR has TEMT and IIR has an interrupt
        linuxSetup(0);
        out(IER, 0x02);
        int lsr = in(LSR);
        int iir = in(IIR);
        out(IER, 0);
        assertEquals(0x40, lsr & 0x40);
        assertEquals(0, iir & 0x01);
    }

    // ---------------------------------------------------------------- transmit

    @Test
    void transmitsToOutputFlushingOnNewline() {
        linuxSetup(0x01);
        for (byte b : "hello\r\n".getBytes(StandardCharsets.US_ASCII)) {
            out(THR, b);
        }
        assertEquals("hello\r\n", out.text());
        assertEquals(1, out.flushes);
        assertEquals(7, out.flushedSize);
        assertEquals(Long.MAX_VALUE, uart.nextDeadline());
    }

    @Test
    void partialLineFlushedAfterDelay() {
        linuxSetup(0x01);
        out(THR, '$');
        out(THR, ' ');
        assertEquals(0, out.flushes);
        assertEquals(clock.now + Uart16550.FLUSH_DELAY_NANOS, uart.nextDeadline());
        long deadline = uart.nextDeadline();
        clock.now += 10;
        out(THR, 'x');
        assertEquals(deadline, uart.nextDeadline(), "counted from the first unflushed byte");
        uart.advance(deadline - 1);
        assertEquals(0, out.flushes);
        uart.advance(deadline);
        assertEquals(1, out.flushes);
        assertEquals(3, out.flushedSize);
        assertEquals(Long.MAX_VALUE, uart.nextDeadline());
    }

    @Test
    void allEightBitsTransmittedWhateverWordLength() {
        out(LCR, 0x00); // 5 bits: the virtual line still carries the whole byte
        out(THR, 0xe9);
        assertArrayEquals(new byte[] {(byte) 0xe9}, out.toByteArray());
    }

    @Test
    void explicitFlush() {
        out(THR, 'a');
        uart.flush();
        assertEquals(1, out.flushes);
        assertEquals(Long.MAX_VALUE, uart.nextDeadline());
    }

    @Test
    void outputErrorDropsOutputWithoutFailingTheGuest() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("pipe closed");
            }
        };
        Uart16550 u = new Uart16550(B, irq, clock, broken);
        u.out(THR, 1, 'a');
        u.out(THR, 1, 'b');
        assertNotNull(u.outputError());
        assertEquals(0x60, u.in(LSR, 1) & 0x60);
    }

    // ---------------------------------------------------------------- receive

    @Test
    void receiveWithoutFifoHoldsOneByteAndKeepsTheRest() {
        linuxSetup(0);
        uart.receive("abc".getBytes(StandardCharsets.US_ASCII));
        assertEquals(3, uart.hostQueued(), "queued until the vCPU thread takes them");
        uart.advance(clock.now);
        assertEquals(2, uart.hostQueued(), "one byte in RBR, the rest host-side");
        assertEquals(0x61, in(LSR));
        assertEquals('a', in(RBR));
        assertEquals('b', in(RBR));
        assertEquals('c', in(RBR));
        assertEquals(0x60, in(LSR));
        assertEquals('c', in(RBR), "an empty RBR reads the last byte again");
        assertEquals(0, uart.hostQueued());
    }

    @Test
    void receivedDataInterruptWithoutFifo() {
        linuxSetup(0);
        out(IER, 0x01);
        assertFalse(irq.high);
        uart.receive('z');
        uart.advance(clock.now);
        assertTrue(irq.high);
        assertEquals(0x04, in(IIR));
        assertEquals('z', in(RBR));
        assertFalse(irq.high);
        assertEquals(0x01, in(IIR));
    }

    @Test
    void manyBytesNothingLostNoOverrun() {
        linuxSetup(0xc7);
        byte[] data = new byte[1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        uart.receive(data);
        uart.advance(clock.now);
        assertEquals(data.length - 16, uart.hostQueued());
        byte[] got = new byte[data.length];
        int n = 0;
        int lsr;
        while (((lsr = in(LSR)) & 0x01) != 0) {
            assertEquals(0, lsr & 0x1e, "no errors");
            got[n++] = (byte) in(RBR);
        }
        assertEquals(data.length, n);
        assertArrayEquals(data, got);
    }

    @ParameterizedTest
    @CsvSource({"0x01, 1", "0x41, 4", "0x81, 8", "0xc1, 14"})
    void triggerLevels(int fcr, int level) {
        linuxSetup(fcr);
        out(IER, 0x01);
        for (int i = 0; i < level - 1; i++) {
            uart.receive('0' + i);
        }
        uart.advance(clock.now);
        assertEquals(0xc1, in(IIR), "below the trigger level");
        assertFalse(irq.high);
        uart.receive('!');
        uart.advance(clock.now);
        assertEquals(0xc4, in(IIR));
        assertTrue(irq.high);
        in(RBR);
        assertEquals(0xc1, in(IIR), "under the level again");
        assertFalse(irq.high);
    }

    @Test
    void characterTimeoutAtProgrammedBaudRate() {
        linuxSetup(0x81); // trigger 8
        out(IER, 0x01);
        uart.receive("abc".getBytes(StandardCharsets.US_ASCII));
        uart.advance(clock.now);
        long start = clock.now;
        assertEquals(start + TIMEOUT_115200_8N1, uart.nextDeadline());
        clock.now = start + TIMEOUT_115200_8N1 - 1;
        uart.advance(clock.now);
        assertFalse(irq.high);
        assertEquals(0xc1, in(IIR));
        clock.now = start + TIMEOUT_115200_8N1;
        uart.advance(clock.now);
        assertTrue(irq.high);
        assertEquals(0xcc, in(IIR));
        assertEquals(Long.MAX_VALUE, uart.nextDeadline(), "already signalled");
        assertEquals('a', in(RBR));
        assertEquals(0xc1, in(IIR), "reading RBR clears the timeout and restarts its timer");
        assertFalse(irq.high);
        assertEquals(clock.now + TIMEOUT_115200_8N1, uart.nextDeadline());
        clock.now += TIMEOUT_115200_8N1;
        uart.advance(clock.now);
        assertEquals(0xcc, in(IIR));
        in(RBR);
        in(RBR);
        assertEquals(0xc1, in(IIR));
        assertEquals(Long.MAX_VALUE, uart.nextDeadline(), "empty FIFO: no timeout");
    }

    @Test
    void timeoutFollowsLineSettings() {
        // 9600 baud, 7 data bits, even parity, 2 stop bits: 1 + 7 + 1 + 2 = 11 bits
        out(LCR, 0x80);
        out(DLL, 12);
        out(DLM, 0);
        out(LCR, 0x1e);
        out(FCR, 0xc1);
        out(IER, 0x01);
        uart.receive('q');
        uart.advance(clock.now);
        long expected = 4L * 11 * 1_000_000_000L * 12 / 115_200;
        assertEquals(clock.now + expected, uart.nextDeadline());
        // 5 data bits with "2" stop bits means 1.5: 1 + 5 + 1.5 = 7.5 bits
        out(LCR, 0x04);
        assertEquals(clock.now + 4L * 15 * 1_000_000_000L * 12 / (2 * 115_200), uart.nextDeadline());
    }

    @Test
    void noTimeoutInterruptWithoutFifo() {
        linuxSetup(0);
        out(IER, 0x01);
        uart.receive('a');
        clock.now += 1_000_000_000L;
        uart.advance(clock.now);
        assertEquals(0x04, in(IIR), "data available, never a timeout in 16450 mode");
    }

    @Test
    void fcrClearsReceiveFifo() {
        linuxSetup(0x01);
        uart.receive("xyz".getBytes(StandardCharsets.US_ASCII));
        uart.advance(clock.now);
        assertEquals(0x61, in(LSR));
        out(FCR, 0x03);
        // cleared, then refilled from nothing: the bytes had all moved in already
        assertEquals(0x60, in(LSR));
        assertEquals(0, uart.hostQueued());
    }

    @Test
    void fifoDisableEmptiesFifo() {
        linuxSetup(0x01);
        out(MCR, 0x1b); // loopback so the host does not refill
        out(THR, 1);
        out(THR, 2);
        assertEquals(0x01, in(LSR) & 0x01);
        out(FCR, 0x00);
        assertEquals(0x00, in(LSR) & 0x01);
    }

    @Test
    void dataAvailableNeedsOut2ToReachTheIrqLine() {
        linuxSetup(0x01);
        out(MCR, 0x03); // DTR | RTS, no OUT2
        out(IER, 0x01);
        uart.receive('k');
        uart.advance(clock.now);
        assertEquals(0xc4, in(IIR));
        assertFalse(irq.high, "OUT2 gates the IRQ as on PCs");
        out(MCR, 0x0b);
        assertTrue(irq.high);
        out(MCR, 0x03);
        assertFalse(irq.high);
        assertEquals(List.of(true, false), irq.edges);
    }

    // ---------------------------------------------------------------- loopback

    @Test
    void loopbackRoutesTransmitterToReceiver() {
        linuxSetup(0x07);
        out(MCR, 0x1b);
        out(IER, 0x01);
        out(THR, 'L');
        assertEquals(0, out.size(), "nothing leaves in loopback");
        assertEquals(0x61, in(LSR));
        assertEquals(0xc4, in(IIR));
        assertFalse(irq.high, "the OUT2 pin is forced inactive in loopback");
        assertEquals('L', in(RBR));
        out(MCR, 0x0b);
        assertEquals(0, out.size());
    }

    @Test
    void loopbackOverrunIsALineStatusInterrupt() {
        linuxSetup(0x07);
        out(MCR, 0x1b);
        out(IER, 0x05);
        for (int i = 0; i < 17; i++) {
            out(THR, 'a' + i);
        }
        assertEquals(0xc6, in(IIR), "overrun: receiver line status first");
        int lsr = in(LSR);
        assertEquals(0x63, lsr, "DR | OE | THRE | TEMT");
        assertEquals(0xc4, in(IIR), "OE cleared by the LSR read");
        for (int i = 0; i < 16; i++) {
            assertEquals('a' + i, in(RBR));
        }
        assertEquals(0x60, in(LSR));
    }

    @Test
    void loopbackBreakArrivesAsBreakCharacter() {
        linuxSetup(0x07);
        out(MCR, 0x1b);
        out(IER, 0x05);
        out(LCR, 0x43);
        out(LCR, 0x03);
        assertEquals(0xc6, in(IIR));
        int lsr = in(LSR);
        assertEquals(0x10, lsr & 0x10, "BI");
        assertEquals(0x80, lsr & 0x80, "an error is in the FIFO");
        assertEquals(0x01, lsr & 0x01);
        assertEquals(0x00, in(LSR) & 0x10, "BI reported once");
        assertEquals(0, in(RBR), "a break reads as a zero character");
        assertEquals(0x60, in(LSR));
    }

    @Test
    void hostInputWaitsWhileInLoopback() {
        linuxSetup(0x07);
        out(MCR, 0x1b);
        uart.receive('h');
        uart.advance(clock.now);
        assertFalse(uart.inputPending());
        assertEquals(0x60, in(LSR), "host line disconnected");
        assertEquals(1, uart.hostQueued());
        out(MCR, 0x0b);
        assertEquals(0x61, in(LSR));
        assertEquals('h', in(RBR));
    }

    // ---------------------------------------------------------------- modem status, priorities

    @Test
    void modemStatusInterruptFromExternalLines() {
        linuxSetup(0x01);
        in(MSR);
        out(IER, 0x08);
        assertEquals(0xc1, in(IIR));
        uart.setModemInputs(Uart16550.MSR_CTS | Uart16550.MSR_DSR); // carrier lost
        assertTrue(irq.high);
        assertEquals(0xc0, in(IIR));
        assertEquals(0x30 | 0x08, in(MSR), "CTS DSR, delta DCD");
        assertEquals(0xc1, in(IIR));
        assertFalse(irq.high);
        uart.setModemInputs(Uart16550.MSR_CTS | Uart16550.MSR_DSR | Uart16550.MSR_RI);
        assertEquals(0x70, in(MSR), "RI rising edge is not a delta");
        uart.setModemInputs(Uart16550.MSR_CTS | Uart16550.MSR_DSR);
        assertEquals(0x34, in(MSR), "trailing edge of RI");
    }

    @Test
    void interruptPrioritiesAsInTheDatasheet() {
        linuxSetup(0x41); // trigger 4
        out(MCR, 0x1b); // loopback to make characters and errors
        out(IER, 0x0f);
        for (int i = 0; i < 17; i++) {
            out(THR, i);      // fills the FIFO and overruns
        }
        out(MCR, 0x1f);       // OUT1 -> RI and a modem status change
        out(MCR, 0x1b);       // RI trailing edge
        assertEquals(0xc6, in(IIR), "line status first");
        in(LSR);
        assertEquals(0xc4, in(IIR), "then data available");
        for (int i = 0; i < 14; i++) {
            in(RBR);
        }
        assertEquals(0xc2, in(IIR), "below trigger, not yet timed out: THR empty");
        assertEquals(0xc0, in(IIR), "THRE cleared by the IIR read: modem status");
        clock.now += 1_000_000_000L;
        uart.advance(clock.now);
        assertEquals(0xcc, in(IIR), "character timeout beats modem status");
        in(RBR);
        in(RBR);
        assertEquals(0xc0, in(IIR));
        in(MSR);
        assertEquals(0xc1, in(IIR));
    }

    // ---------------------------------------------------------------- threads, wake-up

    @Test
    void inputListenerAndInputPending() throws InterruptedException {
        AtomicInteger wakes = new AtomicInteger();
        uart.setInputListener(wakes::incrementAndGet);
        linuxSetup(0x01);
        out(IER, 0x01);
        assertFalse(uart.inputPending());
        Thread t = new Thread(() -> uart.receive(new byte[] {1, 2, 3}));
        t.start();
        t.join();
        assertEquals(1, wakes.get());
        assertTrue(uart.inputPending());
        assertEquals(Long.MIN_VALUE, uart.nextDeadline(), "due at once");
        assertFalse(irq.high);
        uart.advance(clock.now);
        assertFalse(uart.inputPending());
        assertTrue(irq.high);
    }

    @Test
    void inputPendingFalseWhenReceiverFull() {
        linuxSetup(0);
        uart.receive(new byte[] {1, 2});
        uart.advance(clock.now);
        assertEquals(1, uart.hostQueued());
        assertFalse(uart.inputPending(), "RBR full: nothing to do until the guest reads");
        in(RBR);
        assertEquals(0, uart.hostQueued(), "a read pulls the next byte in");
    }

    @Test
    void concurrentProducersLoseNothing() throws InterruptedException {
        linuxSetup(0xc7);
        int perThread = 20_000;
        Thread[] producers = new Thread[2];
        for (int p = 0; p < producers.length; p++) {
            int id = p;
            producers[p] = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    uart.receive((id << 7) | (i & 0x7f));
                }
            });
            producers[p].start();
        }
        int[] next = new int[2];
        int received = 0;
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (received < 2 * perThread && System.nanoTime() < deadline) {
            uart.advance(clock.now);
            while ((in(LSR) & 1) != 0) {
                int b = in(RBR);
                int id = b >> 7;
                assertEquals(next[id] & 0x7f, b & 0x7f, "in order per producer");
                next[id]++;
                received++;
            }
        }
        for (Thread t : producers) {
            t.join();
        }
        assertEquals(2 * perThread, received);
    }

    // ---------------------------------------------------------------- misc

    @Test
    void wideReadsSplitIntoByteRegisters() {
        out(SCR, 0x5a);
        assertEquals(0x5ab0, uart.in(MSR, 2), "MSR in the low byte, SCR in the high byte");
        assertEquals(0xff5a, uart.in(SCR, 2), "past the last register reads as open bus");
    }

    @Test
    void wordWriteHitsTwoRegisters() {
        uart.out(LCR, 2, 0x0b83); // LCR=0x83, MCR=0x0b
        assertEquals(0x83, in(LCR));
        assertEquals(0x0b, in(MCR));
        uart.out(DLL, 2, 0x0001);
        assertEquals(0x0001, uart.in(DLL, 2));
        assertEquals(115_200, uart.baudRate());
    }

    @Test
    void stateRoundTrip() {
        linuxSetup(0x81);
        out(IER, 0x0d);
        out(SCR, 0x77);
        out(MCR, 0x1b);
        out(THR, 'p');
        out(THR, 'q');
        out(LCR, 0x43);
        out(LCR, 0x03);
        out(MCR, 0x0b);
        Uart16550.State s = uart.state();
        assertEquals(3, s.rxFifo().size());

        RecordingIrq irq2 = new RecordingIrq();
        Uart16550 copy = new Uart16550(B, irq2, clock, new ByteArrayOutputStream());
        copy.restore(s);
        assertEquals(s, copy.state());
        assertEquals(uart.irqAsserted(), irq2.high);
        assertEquals(in(LSR), copy.in(LSR, 1));
        assertEquals(in(IIR), copy.in(IIR, 1));
        for (int i = 0; i < 3; i++) {
            assertEquals(in(RBR), copy.in(RBR, 1));
        }
        assertEquals(0x77, copy.in(SCR, 1));
        assertEquals(115_200, copy.baudRate());
    }

    @Test
    void stateIsImmutable() {
        out(MCR, 0x1b);
        out(THR, 9);
        Uart16550.State s = uart.state();
        assertThrowsUoe(() -> s.rxFifo().add(1));
        in(RBR);
        assertEquals(List.of(9), s.rxFifo());
    }

    private static void assertThrowsUoe(Runnable r) {
        try {
            r.run();
        } catch (UnsupportedOperationException e) {
            return;
        }
        throw new AssertionError("expected UnsupportedOperationException");
    }

    @Test
    void resetDropsInterruptAndRegisters() {
        linuxSetup(0x01);
        out(IER, 0x02);
        assertTrue(irq.high);
        out(SCR, 0x12);
        uart.reset();
        assertFalse(irq.high);
        assertEquals(0x01, in(IIR));
        assertEquals(0x00, in(MCR));
        assertEquals(0x00, in(SCR));
        assertEquals(9600, uart.baudRate());
    }
}
