package io.jvisor.devices;

import io.jvisor.memory.IoDevice;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A National Semiconductor 16550A UART (the PC's COM ports: COM1 at 0x3f8 on IRQ 4, COM2 at
 * 0x2f8 on IRQ 3), modelled on the PC16550D datasheet and on what the Linux 8250 driver
 * checks when it probes a port.
 *
 * <h2>Registers (offset from the base)</h2>
 * <pre>
 *  0  RBR (read) / THR (write)            DLL when LCR.DLAB = 1
 *  1  IER (bits 0-3; 4-7 read 0)          DLM when LCR.DLAB = 1
 *  2  IIR (read) / FCR (write)            both whatever DLAB is
 *  3  LCR   4 MCR (bits 0-4)   5 LSR   6 MSR   7 SCR
 * </pre>
 *
 * <h2>Model</h2>
 * <ul>
 * <li>The transmitter is infinitely fast: a byte written to THR leaves at once, so LSR.THRE
 *     and LSR.TEMT always read 1 and the THRE interrupt is re-armed by every THR write (as
 *     QEMU does). Bytes go to the host {@link OutputStream} whole (8 bits, whatever the word
 *     length), flushed on '\n' or {@value #FLUSH_DELAY_NANOS} ns of VM time after the first
 *     unflushed byte (see {@link #nextDeadline()}), and by {@link #flush()}.</li>
 * <li>The receiver takes host bytes from a thread-safe queue ({@link #receive}) whenever its
 *     buffer has room: up to 16 bytes in FIFO mode, one in 16450 (non-FIFO) mode. Excess stays
 *     queued on the host side, so host input never overruns and nothing is lost. Host bytes
 *     are not paced at the baud rate: they move in as soon as there is room (on register
 *     accesses and in {@link #advance}).</li>
 * <li>The character timeout interrupt (FIFO mode) fires when the RX FIFO holds data and nothing
 *     entered or left it for four character times at the programmed line settings: one
 *     character is 1 start bit + 5..8 data bits + parity + 1, 1.5 or 2 stop bits at
 *     115200 / divisor baud, measured in VM time (divisor 0 counts as 1).</li>
 * <li>Interrupt identification priorities are the datasheet's: receiver line status (OE, PE,
 *     FE, BI; cleared by reading LSR) &gt; received data available (FIFO at the trigger level,
 *     or RBR full in 16450 mode) &gt; character timeout (cleared by reading RBR) &gt; THR empty
 *     (cleared by reading IIR when it is the source, or by writing THR; re-armed when IER.ETBEI
 *     goes from 0 to 1 while THR is empty, which Linux's THRE test relies on) &gt; modem status
 *     (cleared by reading MSR). IIR bits 6-7 read 11 when the FIFOs are enabled.</li>
 * <li>As on PCs, the interrupt reaches the IRQ line only while MCR.OUT2 is set. In loopback
 *     (MCR bit 4) the datasheet forces the OUT2 pin inactive, so the IRQ line stays low; the
 *     interrupt sources still show in IIR. Loopback routes THR to the receiver (overrunning
 *     when the FIFO is full), a rising LCR break bit to a break character, and mirrors
 *     DTR/RTS/OUT1/OUT2 to DSR/CTS/RI/DCD. Host input waits while loopback is on.</li>
 * <li>Outside loopback the modem inputs are those of a connected terminal: CTS, DSR and DCD
 *     asserted, RI clear ({@link #setModemInputs}). No parity or framing errors ever arrive
 *     from the host.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Everything except {@link #receive} and {@link #hostQueued()} belongs to the vCPU thread.
 * {@link #receive} may be called from any thread; it queues the bytes and then runs the input
 * listener ({@link #setInputListener}) on the calling thread, so the VM can wake a halted vCPU;
 * the vCPU thread then calls {@link #advance} (or checks {@link #inputPending()}), which moves
 * the bytes into the receiver and raises the interrupt.
 */
public final class Uart16550 implements IoDevice, TimedDevice {
    public static final int COM1_BASE = 0x3f8;
    public static final int COM1_IRQ = 4;
    public static final int COM2_BASE = 0x2f8;
    public static final int COM2_IRQ = 3;
    /** Number of ports the UART occupies from its base. */
    public static final int PORT_COUNT = 8;
    public static final int FIFO_SIZE = 16;
    /** How long an unterminated line may wait in the output stream before it is flushed. */
    public static final long FLUSH_DELAY_NANOS = 1_000_000;
    /** The PC's 1.8432 MHz crystal divided by 16: the baud rate for divisor 1. */
    public static final int BASE_BAUD = 115_200;

    // register offsets
    static final int RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4,
            LSR = 5, MSR = 6, SCR = 7;

    // IER
    static final int IER_RDA = 0x01, IER_THRE = 0x02, IER_RLS = 0x04, IER_MS = 0x08;
    // IIR
    static final int IIR_NONE = 0x01, IIR_RLS = 0x06, IIR_RDA = 0x04, IIR_TIMEOUT = 0x0c, IIR_THRE = 0x02,
            IIR_MS = 0x00, IIR_FIFO = 0xc0;
    // FCR
    static final int FCR_ENABLE = 0x01, FCR_CLEAR_RX = 0x02, FCR_CLEAR_TX = 0x04, FCR_DMA = 0x08;
    // LCR
    static final int LCR_BREAK = 0x40, LCR_DLAB = 0x80;
    // MCR
    static final int MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10;
    // LSR
    static final int LSR_DR = 0x01, LSR_OE = 0x02, LSR_PE = 0x04, LSR_FE = 0x08, LSR_BI = 0x10, LSR_THRE = 0x20,
            LSR_TEMT = 0x40, LSR_FIFO_ERROR = 0x80;
    static final int LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;
    // MSR
    public static final int MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80;
    static final int MSR_DCTS = 0x01, MSR_DDSR = 0x02, MSR_TERI = 0x04, MSR_DDCD = 0x08;

    /** Modem inputs of a terminal on the other end of the cable: CTS, DSR and DCD asserted. */
    public static final int DEFAULT_MODEM_INPUTS = MSR_CTS | MSR_DSR | MSR_DCD;
    /** Divisor latch after power-on: 12, that is 9600 baud. */
    public static final int RESET_DIVISOR = 12;

    private final int base;
    private final IrqLine irq;
    private final VmClock clock;
    private final OutputStream out;
    private final HostQueue host = new HostQueue();
    private volatile Runnable inputListener = () -> { };

    // registers
    private int divisor;
    private int ier;
    private int lcr;
    private int mcr;
    private int scr;
    private boolean fifoEnabled;
    private int rxTrigger;
    private boolean dmaMode;
    /** Receive FIFO entries: data byte | (PE, FE, BI error bits of that character) << 8. */
    private final int[] rx = new int[FIFO_SIZE];
    private int rxHead;
    private int rxCount;
    private int lastRbr;
    /** OE, PE, FE, BI latched in LSR until it is read. */
    private int lsrErrors;
    /** THR-empty interrupt indicator: set when THR empties, cleared by an IIR read or a THR write. */
    private boolean thrInterrupt;
    /** MSR bits 0-3 (the deltas). */
    private int msrDeltas;
    /** External modem input lines (MSR bits 4-7 layout) used outside loopback. */
    private int modemInputs;
    /** MSR bits 4-7 as last seen, to compute the deltas. */
    private int msrStatus;
    /** VM time of the last character moved into or out of the RX FIFO (character timeout). */
    private long lastRxActivity;

    /** The latest VM time the UART was told about (advance or a register access). */
    private long lastNow = Long.MIN_VALUE;
    private boolean irqLevel;
    private boolean outputDirty;
    private long flushDeadline = Long.MAX_VALUE;
    private IOException outputError;

    /**
     * A UART at {@code base} (ports base..base+7) driving {@code irq}; transmitted bytes go to
     * {@code out}; {@code clock} gives the VM time for the receive character timeout and the
     * output flush delay.
     */
    public Uart16550(int base, IrqLine irq, VmClock clock, OutputStream out) {
        this.base = base & 0xffff;
        this.irq = Objects.requireNonNull(irq);
        this.clock = Objects.requireNonNull(clock);
        this.out = Objects.requireNonNull(out);
        this.modemInputs = DEFAULT_MODEM_INPUTS;
        reset();
    }

    /** The first port. */
    public int base() {
        return base;
    }

    /**
     * Master reset (power-on state, per the datasheet): IER, FCR, LCR, MCR, LSR errors and the
     * MSR deltas cleared, FIFOs emptied and disabled; divisor set to {@value #RESET_DIVISOR} and
     * the scratch register to 0. Host input still queued stays queued.
     */
    public void reset() {
        divisor = RESET_DIVISOR;
        ier = 0;
        lcr = 0;
        mcr = 0;
        scr = 0;
        fifoEnabled = false;
        rxTrigger = 1;
        dmaMode = false;
        rxHead = 0;
        rxCount = 0;
        lastRbr = 0;
        lsrErrors = 0;
        thrInterrupt = false;
        msrDeltas = 0;
        msrStatus = modemInputs;
        lastRxActivity = clock.nanos();
        updateIrq(clock.nanos());
    }

    // ---------------------------------------------------------------- host side (any thread)

    /** Queues one byte from the host for the guest to receive. Any thread. */
    public void receive(int b) {
        host.add((byte) b);
        inputListener.run();
    }

    /** Queues bytes from the host for the guest to receive. Any thread. */
    public void receive(byte[] data) {
        receive(data, 0, data.length);
    }

    /** Queues {@code len} bytes of {@code data} from {@code off}. Any thread. */
    public void receive(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, data.length);
        if (len == 0) {
            return;
        }
        host.add(data, off, len);
        inputListener.run();
    }

    /**
     * Sets what runs (on the thread calling {@link #receive}) after host input is queued,
     * typically a wake-up of the vCPU thread. It must be quick and thread-safe.
     */
    public void setInputListener(Runnable listener) {
        this.inputListener = Objects.requireNonNull(listener);
    }

    /** Host bytes queued and not yet taken by the receiver. Any thread. */
    public int hostQueued() {
        return host.size();
    }

    // ---------------------------------------------------------------- VM side (vCPU thread)

    /**
     * True when host bytes are waiting and the receiver can take some now, i.e. calling
     * {@link #advance} would change what the guest sees. vCPU thread.
     */
    public boolean inputPending() {
        return host.size() > 0 && rxRoom() > 0 && (mcr & MCR_LOOP) == 0;
    }

    @Override
    public void advance(long now) {
        pullHostInput(now);
        if (outputDirty && now >= flushDeadline) {
            flush();
        }
        updateIrq(now);
    }

    @Override
    public long nextDeadline() {
        long next = outputDirty ? flushDeadline : Long.MAX_VALUE;
        if (inputPending()) {
            next = Long.MIN_VALUE;
        }
        if (fifoEnabled && rxCount > 0 && rxCount < rxTrigger && (ier & IER_RDA) != 0) {
            long t = lastRxActivity + timeoutNanos();
            if (t > lastNow) { // not yet seen: once seen, the interrupt is already up
                next = Math.min(next, t);
            }
        }
        return next;
    }

    /** Flushes the output stream now. */
    public void flush() {
        outputDirty = false;
        flushDeadline = Long.MAX_VALUE;
        if (outputError != null) {
            return;
        }
        try {
            out.flush();
        } catch (IOException e) {
            outputError = e;
        }
    }

    /**
     * The error that stopped output, or null. After an I/O error on the output stream the
     * UART keeps working for the guest but drops what it transmits (a cable pulled out).
     */
    public IOException outputError() {
        return outputError;
    }

    /**
     * Sets the modem input lines seen outside loopback, as MSR bits 4-7 ({@link #MSR_CTS},
     * {@link #MSR_DSR}, {@link #MSR_RI}, {@link #MSR_DCD}); changes set the delta bits and may
     * raise a modem status interrupt. vCPU thread.
     */
    public void setModemInputs(int bits) {
        modemInputs = bits & 0xf0;
        updateModemStatus();
        updateIrq(clock.nanos());
    }

    /** Whether the IRQ line is currently driven high. */
    public boolean irqAsserted() {
        return irqLevel;
    }

    /** The baud rate the guest programmed (115200 / divisor; divisor 0 counts as 1). */
    public int baudRate() {
        return BASE_BAUD / Math.max(1, divisor);
    }

    // ---------------------------------------------------------------- port I/O

    @Override
    public int in(int port, int size) {
        int reg = (port - base) & 0xffff;
        int value = 0;
        for (int i = 0; i < size; i++) {
            int r = reg + i;
            int b = r < PORT_COUNT ? read(r) : 0xff;
            value |= b << (8 * i);
        }
        return value;
    }

    @Override
    public void out(int port, int size, int value) {
        int reg = (port - base) & 0xffff;
        for (int i = 0; i < size; i++) {
            int r = reg + i;
            if (r < PORT_COUNT) {
                write(r, (value >>> (8 * i)) & 0xff);
            }
        }
    }

    private int read(int reg) {
        long now = clock.nanos();
        pullHostInput(now);
        int value;
        switch (reg) {
            case RBR -> value = (lcr & LCR_DLAB) != 0 ? divisor & 0xff : readRbr(now);
            case IER -> value = (lcr & LCR_DLAB) != 0 ? divisor >>> 8 : ier;
            case IIR -> {
                value = interruptId(now);
                if (value == IIR_THRE) {
                    thrInterrupt = false;
                }
                if (fifoEnabled) {
                    value |= IIR_FIFO;
                }
            }
            case LCR -> value = lcr;
            case MCR -> value = mcr;
            case LSR -> {
                value = lineStatus();
                lsrErrors = 0;
            }
            case MSR -> {
                updateModemStatus();
                value = msrStatus | msrDeltas;
                msrDeltas = 0;
            }
            default -> value = scr;
        }
        updateIrq(now);
        return value;
    }

    private void write(int reg, int value) {
        long now = clock.nanos();
        pullHostInput(now);
        switch (reg) {
            case THR -> {
                if ((lcr & LCR_DLAB) != 0) {
                    divisor = (divisor & 0xff00) | value;
                } else {
                    transmit(value, now);
                }
            }
            case IER -> {
                if ((lcr & LCR_DLAB) != 0) {
                    divisor = (divisor & 0xff) | (value << 8);
                } else {
                    int old = ier;
                    ier = value & 0x0f;
                    if ((ier & IER_THRE) == 0) {
                        thrInterrupt = false;
                    } else if ((old & IER_THRE) == 0) {
                        // THRE interrupt on enabling: THR is always empty in this model
                        thrInterrupt = true;
                    }
                }
            }
            case FCR -> writeFcr(value, now);
            case LCR -> {
                int old = lcr;
                lcr = value;
                if ((value & LCR_BREAK) != 0 && (old & LCR_BREAK) == 0 && (mcr & MCR_LOOP) != 0) {
                    // loopback: the break we start is received as a break character
                    receiveCharacter(LSR_BI << 8, now);
                }
            }
            case MCR -> {
                int old = mcr;
                mcr = value & 0x1f;
                updateModemStatus();
                if ((old & MCR_LOOP) != 0 && (mcr & MCR_LOOP) == 0) {
                    pullHostInput(now);
                }
            }
            case SCR -> scr = value;
            default -> { } // LSR and MSR writes: factory test only, ignored
        }
        updateIrq(now);
    }

    private int readRbr(long now) {
        if (rxCount > 0) {
            int entry = rx[rxHead];
            rxHead = (rxHead + 1) % FIFO_SIZE;
            rxCount--;
            lastRbr = entry & 0xff;
            revealHeadErrors();
            lastRxActivity = now;
            pullHostInput(now);
        }
        return lastRbr;
    }

    private void writeFcr(int value, long now) {
        boolean enable = (value & FCR_ENABLE) != 0;
        if (enable != fifoEnabled) {
            // changing FCR0 empties both FIFOs
            rxHead = 0;
            rxCount = 0;
        }
        fifoEnabled = enable;
        if (enable) {
            if ((value & FCR_CLEAR_RX) != 0) {
                rxHead = 0;
                rxCount = 0;
            }
            // FCR_CLEAR_TX: the transmit FIFO is always empty here
            dmaMode = (value & FCR_DMA) != 0;
            rxTrigger = switch (value >>> 6) {
                case 0 -> 1;
                case 1 -> 4;
                case 2 -> 8;
                default -> 14;
            };
        }
        pullHostInput(now);
    }

    private void transmit(int value, long now) {
        // writing THR clears the THRE interrupt; it is raised again below as the
        // (infinitely fast) transmitter empties at once
        if ((mcr & MCR_LOOP) != 0) {
            receiveCharacter(value, now);
        } else if (outputError == null) {
            try {
                out.write(value);
                if (value == '\n') {
                    out.flush();
                    outputDirty = false;
                    flushDeadline = Long.MAX_VALUE;
                } else if (!outputDirty) {
                    outputDirty = true;
                    flushDeadline = now + FLUSH_DELAY_NANOS;
                }
            } catch (IOException e) {
                outputError = e;
                outputDirty = false;
                flushDeadline = Long.MAX_VALUE;
            }
        }
        thrInterrupt = true;
    }

    /** A character arriving at the receiver shift register (loopback): overruns if no room. */
    private void receiveCharacter(int entry, long now) {
        if (rxRoom() == 0) {
            lsrErrors |= LSR_OE;
            return;
        }
        push(entry, now);
    }

    private void push(int entry, long now) {
        rx[(rxHead + rxCount) % FIFO_SIZE] = entry;
        rxCount++;
        if (rxCount == 1) {
            revealHeadErrors();
        }
        lastRxActivity = now;
    }

    /** The character at the top of the FIFO shows its PE/FE/BI bits in LSR. */
    private void revealHeadErrors() {
        if (rxCount > 0) {
            lsrErrors |= (rx[rxHead] >>> 8) & (LSR_PE | LSR_FE | LSR_BI);
        }
    }

    private int rxRoom() {
        return (fifoEnabled ? FIFO_SIZE : 1) - rxCount;
    }

    private void pullHostInput(long now) {
        if ((mcr & MCR_LOOP) != 0) {
            return;
        }
        while (rxRoom() > 0) {
            int b = host.poll();
            if (b < 0) {
                return;
            }
            push(b, now);
        }
    }

    private int lineStatus() {
        int v = LSR_THRE | LSR_TEMT | lsrErrors;
        if (rxCount > 0) {
            v |= LSR_DR;
        }
        if (fifoEnabled) {
            for (int i = 0; i < rxCount; i++) {
                if ((rx[(rxHead + i) % FIFO_SIZE] >>> 8) != 0) {
                    v |= LSR_FIFO_ERROR;
                    break;
                }
            }
        }
        return v;
    }

    private void updateModemStatus() {
        int now;
        if ((mcr & MCR_LOOP) != 0) {
            now = ((mcr & MCR_RTS) != 0 ? MSR_CTS : 0)
                    | ((mcr & MCR_DTR) != 0 ? MSR_DSR : 0)
                    | ((mcr & MCR_OUT1) != 0 ? MSR_RI : 0)
                    | ((mcr & MCR_OUT2) != 0 ? MSR_DCD : 0);
        } else {
            now = modemInputs;
        }
        int changed = now ^ msrStatus;
        if ((changed & MSR_CTS) != 0) {
            msrDeltas |= MSR_DCTS;
        }
        if ((changed & MSR_DSR) != 0) {
            msrDeltas |= MSR_DDSR;
        }
        if ((changed & MSR_DCD) != 0) {
            msrDeltas |= MSR_DDCD;
        }
        if ((changed & MSR_RI) != 0 && (now & MSR_RI) == 0) {
            msrDeltas |= MSR_TERI; // trailing edge of ring indicator
        }
        msrStatus = now;
    }

    private long timeoutNanos() {
        int dataBits = 5 + (lcr & 3);
        int halfBits = 2 * (1 + dataBits) + ((lcr & 0x08) != 0 ? 2 : 0);
        if ((lcr & 0x04) == 0) {
            halfBits += 2;
        } else {
            halfBits += dataBits == 5 ? 3 : 4;
        }
        long div = Math.max(1, divisor);
        return 4L * halfBits * 1_000_000_000L * div / (2L * BASE_BAUD);
    }

    private boolean timedOut(long now) {
        return fifoEnabled && rxCount > 0 && now - lastRxActivity >= timeoutNanos();
    }

    /** IIR bits 0-3 for the highest-priority pending interrupt. */
    private int interruptId(long now) {
        if ((ier & IER_RLS) != 0 && (lsrErrors & LSR_ERRORS) != 0) {
            return IIR_RLS;
        }
        if ((ier & IER_RDA) != 0) {
            if (fifoEnabled ? rxCount >= rxTrigger : rxCount > 0) {
                return IIR_RDA;
            }
            if (timedOut(now)) {
                return IIR_TIMEOUT;
            }
        }
        if ((ier & IER_THRE) != 0 && thrInterrupt) {
            return IIR_THRE;
        }
        if ((ier & IER_MS) != 0 && msrDeltas != 0) {
            return IIR_MS;
        }
        return IIR_NONE;
    }

    private void updateIrq(long now) {
        lastNow = Math.max(lastNow, now);
        boolean level = (mcr & MCR_OUT2) != 0 && (mcr & MCR_LOOP) == 0 && interruptId(now) != IIR_NONE;
        if (level != irqLevel) {
            irqLevel = level;
            irq.set(level);
        }
    }

    // ---------------------------------------------------------------- snapshots

    /**
     * The guest-visible state. {@code rxFifo} lists the received characters oldest first, each
     * the data byte | (its PE/FE/BI LSR bits) &lt;&lt; 8. Host input still queued and the
     * output stream are not part of it.
     */
    public record State(int divisor, int ier, int lcr, int mcr, int scr, boolean fifoEnabled, int rxTrigger,
                        boolean dmaMode, List<Integer> rxFifo, int lastRbr, int lsrErrors, boolean thrInterrupt,
                        int msrDeltas, int msrStatus, int modemInputs, long lastRxActivity) {
        public State {
            rxFifo = List.copyOf(rxFifo);
            if (rxFifo.size() > FIFO_SIZE) {
                throw new IllegalArgumentException("RX FIFO holds at most 16 characters");
            }
        }
    }

    public State state() {
        List<Integer> fifo = new ArrayList<>(rxCount);
        for (int i = 0; i < rxCount; i++) {
            fifo.add(rx[(rxHead + i) % FIFO_SIZE]);
        }
        return new State(divisor, ier, lcr, mcr, scr, fifoEnabled, rxTrigger, dmaMode, fifo, lastRbr, lsrErrors,
                thrInterrupt, msrDeltas, msrStatus, modemInputs, lastRxActivity);
    }

    /** Puts the UART in state {@code s} and drives the IRQ line to match. */
    public void restore(State s) {
        divisor = s.divisor() & 0xffff;
        ier = s.ier() & 0x0f;
        lcr = s.lcr() & 0xff;
        mcr = s.mcr() & 0x1f;
        scr = s.scr() & 0xff;
        fifoEnabled = s.fifoEnabled();
        rxTrigger = s.rxTrigger();
        dmaMode = s.dmaMode();
        rxHead = 0;
        rxCount = s.rxFifo().size();
        for (int i = 0; i < rxCount; i++) {
            rx[i] = s.rxFifo().get(i) & 0x1cff;
        }
        lastRbr = s.lastRbr() & 0xff;
        lsrErrors = s.lsrErrors() & LSR_ERRORS;
        thrInterrupt = s.thrInterrupt();
        msrDeltas = s.msrDeltas() & 0x0f;
        msrStatus = s.msrStatus() & 0xf0;
        modemInputs = s.modemInputs() & 0xf0;
        lastRxActivity = s.lastRxActivity();
        long now = clock.nanos();
        irqLevel = (mcr & MCR_OUT2) != 0 && (mcr & MCR_LOOP) == 0 && interruptId(now) != IIR_NONE;
        irq.set(irqLevel);
    }

    // ---------------------------------------------------------------- host input queue

    /** A growable byte ring shared between host threads (add) and the vCPU thread (poll). */
    private static final class HostQueue {
        private byte[] buf = new byte[256];
        private int head;
        private int count;
        private volatile int size;

        synchronized void add(byte b) {
            ensure(1);
            buf[(head + count) % buf.length] = b;
            count++;
            size = count;
        }

        synchronized void add(byte[] data, int off, int len) {
            ensure(len);
            for (int i = 0; i < len; i++) {
                buf[(head + count + i) % buf.length] = data[off + i];
            }
            count += len;
            size = count;
        }

        /** The next byte (0..255) or -1. */
        int poll() {
            if (size == 0) {
                return -1;
            }
            synchronized (this) {
                if (count == 0) {
                    return -1;
                }
                int b = buf[head] & 0xff;
                head = (head + 1) % buf.length;
                count--;
                size = count;
                return b;
            }
        }

        int size() {
            return size;
        }

        private void ensure(int more) {
            if (count + more <= buf.length) {
                return;
            }
            int cap = buf.length;
            while (cap < count + more) {
                cap *= 2;
            }
            byte[] n = new byte[cap];
            for (int i = 0; i < count; i++) {
                n[i] = buf[(head + i) % buf.length];
            }
            buf = n;
            head = 0;
        }
    }
}
