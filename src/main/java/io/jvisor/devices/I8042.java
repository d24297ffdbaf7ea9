package io.jvisor.devices;

import io.jvisor.memory.IoDevice;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.IntConsumer;

/**
 * The PC's 8042 keyboard controller at ports 0x60 (data) and 0x64 (status / command), with a
 * PS/2 keyboard on its first port and a plain PS/2 mouse (ID 0, three-byte packets) on its
 * auxiliary port; keyboard data interrupts on IRQ 1, auxiliary data on IRQ 12.
 *
 * <h2>Controller</h2>
 * <ul>
 * <li>Status (read 0x64): bit 0 output buffer full, 1 input buffer full (always 0: writes are
 *     processed at once), 2 system flag (command byte bit 2, set by the self-test), 3 last write
 *     was a command, 4 keyboard not inhibited (always 1), 5 output buffer holds auxiliary data,
 *     6/7 timeout/parity errors (never).</li>
 * <li>Commands (write 0x64): 0x20-0x3f read internal RAM (0x20: command byte); 0x60-0x7f write
 *     it (next data byte); 0xa4 password test (0xf1: none); 0xa7/0xa8 disable/enable the aux
 *     port; 0xa9/0xab aux/keyboard interface tests (0x00); 0xaa self-test (0x55); 0xad/0xae
 *     disable/enable the keyboard port; 0xc0 read input port; 0xd0/0xd1 read/write output
 *     port; 0xd2/0xd3 next data byte appears as keyboard/aux data; 0xd4 next data byte goes to
 *     the aux device; 0xdd/0xdf A20 off/on; 0xe0 test inputs (0); 0xf0-0xff pulse output port
 *     bits low (bit 0 clear, as in 0xfe, resets the system). Others are ignored.</li>
 * <li>Command byte: bit 0 keyboard interrupt, 1 aux interrupt, 2 system flag, 3 ignore keylock,
 *     4 keyboard port disabled, 5 aux port disabled, 6 translate keyboard set 2 to set 1.
 *     After reset it is {@value #RESET_COMMAND_BYTE} (0x65: translate, aux off, system flag,
 *     keyboard interrupt), what firmware typically leaves.</li>
 * <li>Output port: bit 0 system reset (writing 0 resets), bit 1 A20 gate, bits 4/5 keyboard
 *     and aux output buffer full (read back live). After reset {@value #RESET_OUTPUT_PORT}
 *     (A20 enabled).</li>
 * <li>One output buffer. Controller replies have priority over device bytes; keyboard and aux
 *     bytes wait in their devices (and host input in a host queue) while their port is
 *     disabled in the command byte or the buffer is full, taking turns when both have data.
 *     Reading 0x60 empties the buffer and loads the next byte at once; the IRQ line drops and
 *     rises again so an edge-triggered PIC sees every byte. Reading 0x60 when empty returns
 *     the previous byte. Writing a byte to the keyboard (or via 0xd4 to the mouse) re-enables
 *     that port, as 8042 firmware does.</li>
 * <li>Translation (command byte bit 6) maps the keyboard's set 2 codes to set 1 for the keys of
 *     a 102-key keyboard and the Windows keys; an 0xf0 break prefix becomes bit 7 of the next
 *     code; bytes 0x80-0xff pass unchanged except 0x83 (F7) and 0x84 (SysRq); unassigned
 *     set 2 codes pass unchanged. Replies to 0xd2 are not translated.</li>
 * </ul>
 *
 * <h2>Keyboard</h2>
 * 0xff reset (0xfa 0xaa), 0xfe resend, 0xf6 defaults, 0xf5/0xf4 disable/enable scanning,
 * 0xf3 typematic, 0xf2 identify (0xfa 0xab 0x83), 0xf0 get/set scan code set, 0xee echo (0xee),
 * 0xed LEDs, 0xf7-0xfd set 3 key types (acknowledged, ignored); anything else is answered with
 * 0xfe. A byte sent while a command waits for its parameter that is itself a command (0xed or
 * above) starts that command instead. A new command drops replies not yet read. Host key
 * bytes ({@link #keyboardInput}) are raw bytes from the keyboard, in the set the guest chose
 * (normally set 2; the controller translates to set 1 when told to); they are dropped while the
 * guest has scanning disabled (0xf5), as a real keyboard does.
 *
 * <h2>Mouse</h2>
 * 0xff reset (0xfa 0xaa 0x00), 0xfe, 0xf6, 0xf5, 0xf4, 0xf3 rate, 0xf2 ID (0x00), 0xf0 remote,
 * 0xee wrap, 0xec end wrap, 0xeb read data, 0xea stream, 0xe9 status (three bytes), 0xe8
 * resolution, 0xe7/0xe6 scaling; others 0xfe. Host movement ({@link #mouseInput}) becomes
 * packets in stream mode with reporting enabled and is otherwise dropped.
 *
 * <h2>Threads</h2>
 * {@link #keyboardInput} and {@link #mouseInput} may be called from any thread; they queue the
 * input and run the input listener on the calling thread. Everything else belongs to the vCPU
 * thread, which moves queued input into the controller on any port access and in
 * {@link #advance} (due as soon as {@link #inputPending()} is true).
 */
public final class I8042 implements IoDevice, TimedDevice {
    public static final int DATA_PORT = 0x60;
    public static final int STATUS_PORT = 0x64;
    public static final int COMMAND_PORT = 0x64;
    public static final int KEYBOARD_IRQ = 1;
    public static final int AUX_IRQ = 12;

    // status register
    public static final int STR_OBF = 0x01, STR_IBF = 0x02, STR_SYS = 0x04, STR_CMD = 0x08, STR_UNLOCKED = 0x10,
            STR_AUXDATA = 0x20, STR_TIMEOUT = 0x40, STR_PARITY = 0x80;
    // command byte
    public static final int CTR_KBDINT = 0x01, CTR_AUXINT = 0x02, CTR_SYS = 0x04, CTR_IGNKEYLOCK = 0x08,
            CTR_KBDDIS = 0x10, CTR_AUXDIS = 0x20, CTR_XLATE = 0x40;
    public static final int RESET_COMMAND_BYTE = CTR_XLATE | CTR_AUXDIS | CTR_SYS | CTR_KBDINT;
    // output port
    public static final int OUT_RESET = 0x01, OUT_A20 = 0x02, OUT_KBD_OBF = 0x10, OUT_AUX_OBF = 0x20;
    public static final int RESET_OUTPUT_PORT = 0xcf;
    /** Input port: keyboard not inhibited, no manufacturing jumper, colour display. */
    public static final int INPUT_PORT = 0xa0;

    static final int ACK = 0xfa, RESEND = 0xfe, BAT_OK = 0xaa;
    static final int DEFAULT_TYPEMATIC = 0x2b;
    private static final int AUX_TAG = 0x100;
    private static final int NONE = -1;
    private static final int[] SET2_TO_SET1 = translationTable();

    private final IrqLine kbdIrq;
    private final IrqLine auxIrq;
    private final Runnable resetHandler;
    private final IntConsumer a20Gate;
    private final ConcurrentLinkedQueue<Integer> hostKeys = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<int[]> hostMouse = new ConcurrentLinkedQueue<>();
    private volatile Runnable inputListener = () -> { };

    // controller
    private final int[] ram = new int[32];
    private int outputPort;
    private int pendingCommand;
    private boolean lastWasCommand;
    private boolean obf;
    private int outData;
    private boolean outAux;
    private boolean auxTurn;
    private final ArrayDeque<Integer> controllerQueue = new ArrayDeque<>();
    private boolean xlatBreak;
    private boolean kbdIrqLevel;
    private boolean auxIrqLevel;

    // keyboard
    private final ArrayDeque<Integer> kbdQueue = new ArrayDeque<>();
    private boolean kbdScanning;
    private volatile int kbdSet;
    private int kbdLeds;
    private int kbdTypematic;
    private int kbdPending;
    private int kbdLastSent;

    // mouse
    private final ArrayDeque<Integer> auxQueue = new ArrayDeque<>();
    private boolean mouseReporting;
    private boolean mouseRemote;
    private boolean mouseWrap;
    private boolean mouseScaling21;
    private int mouseRate;
    private int mouseResolution;
    private int mouseButtons;
    private int mousePending;
    private int mouseLastSent;

    /**
     * @param kbdIrq       IRQ 1
     * @param auxIrq       IRQ 12
     * @param resetHandler runs (on the vCPU thread) when the guest pulses the reset line
     * @param a20Gate      receives 1 when the output port opens the A20 gate and 0 when it
     *                     masks A20, on every change (the VM combines it with port 0x92's)
     */
    public I8042(IrqLine kbdIrq, IrqLine auxIrq, Runnable resetHandler, IntConsumer a20Gate) {
        this.kbdIrq = Objects.requireNonNull(kbdIrq);
        this.auxIrq = Objects.requireNonNull(auxIrq);
        this.resetHandler = Objects.requireNonNull(resetHandler);
        this.a20Gate = Objects.requireNonNull(a20Gate);
        this.outputPort = RESET_OUTPUT_PORT;
        reset();
    }

    /**
     * Power-on state of the controller, keyboard and mouse. Host input still queued stays
     * queued. The A20 callback runs if the gate changes.
     */
    public void reset() {
        java.util.Arrays.fill(ram, 0);
        ram[0] = RESET_COMMAND_BYTE;
        setOutputPortBits(RESET_OUTPUT_PORT);
        pendingCommand = NONE;
        lastWasCommand = false;
        obf = false;
        outData = 0;
        outAux = false;
        auxTurn = false;
        xlatBreak = false;
        controllerQueue.clear();
        kbdQueue.clear();
        auxQueue.clear();
        keyboardDefaults();
        kbdScanning = true;
        kbdLeds = 0;
        kbdSet = 2;
        kbdPending = 0;
        kbdLastSent = 0;
        mouseDefaults();
        mouseWrap = false;
        mouseButtons = 0;
        mousePending = 0;
        mouseLastSent = 0;
        fill();
        updateIrq();
    }

    // ---------------------------------------------------------------- host side (any thread)

    /** Queues bytes as sent by the keyboard (scan codes in its current set). Any thread. */
    public void keyboardInput(byte... bytes) {
        for (byte b : bytes) {
            hostKeys.add(b & 0xff);
        }
        inputListener.run();
    }

    /**
     * Queues a mouse movement: {@code dx} right, {@code dy} up, {@code buttons} bit 0 left,
     * bit 1 right, bit 2 middle. Large movements are split into several packets. Any thread.
     */
    public void mouseInput(int dx, int dy, int buttons) {
        hostMouse.add(new int[] {dx, dy, buttons & 7});
        inputListener.run();
    }

    /** Sets what runs on the input-queuing thread after host input arrives (wake the vCPU). */
    public void setInputListener(Runnable listener) {
        this.inputListener = Objects.requireNonNull(listener);
    }

    /** The scan code set the guest selected (1, 2 or 3); host key bytes should be in it. */
    public int scancodeSet() {
        return kbdSet;
    }

    // ---------------------------------------------------------------- VM side (vCPU thread)

    /** True when queued host input could enter the output buffer now. vCPU thread. */
    public boolean inputPending() {
        if (obf) {
            return false;
        }
        return (!hostKeys.isEmpty() && (ram[0] & CTR_KBDDIS) == 0)
                || (!hostMouse.isEmpty() && (ram[0] & CTR_AUXDIS) == 0);
    }

    @Override
    public void advance(long now) {
        fill();
        updateIrq();
    }

    @Override
    public long nextDeadline() {
        return inputPending() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }

    /** The command byte. */
    public int commandByte() {
        return ram[0];
    }

    /** The output port as last written (bits 4 and 5 not live). */
    public int outputPort() {
        return outputPort;
    }

    public boolean a20Enabled() {
        return (outputPort & OUT_A20) != 0;
    }

    /** Keyboard LEDs as last set: bit 0 scroll lock, 1 num lock, 2 caps lock. */
    public int leds() {
        return kbdLeds;
    }

    public boolean keyboardScanning() {
        return kbdScanning;
    }

    public boolean mouseReporting() {
        return mouseReporting;
    }

    // ---------------------------------------------------------------- port I/O

    @Override
    public int in(int port, int size) {
        int v;
        if (port == DATA_PORT) {
            v = readData();
        } else if (port == STATUS_PORT) {
            fill();
            updateIrq();
            v = status();
        } else {
            v = 0xff;
        }
        return size == 1 ? v : size == 2 ? v | 0xff00 : v | 0xffffff00;
    }

    @Override
    public void out(int port, int size, int value) {
        if (port == DATA_PORT) {
            writeData(value & 0xff);
        } else if (port == COMMAND_PORT) {
            writeCommand(value & 0xff);
        }
    }

    private int status() {
        int s = STR_UNLOCKED;
        if (obf) {
            s |= STR_OBF;
            if (outAux) {
                s |= STR_AUXDATA;
            }
        }
        if ((ram[0] & CTR_SYS) != 0) {
            s |= STR_SYS;
        }
        if (lastWasCommand) {
            s |= STR_CMD;
        }
        return s;
    }

    private int readData() {
        int v = outData;
        if (obf) {
            obf = false;
            updateIrq(); // falling edge before the next byte's rising one
        }
        fill();
        updateIrq();
        return v;
    }

    private void writeCommand(int cmd) {
        lastWasCommand = true;
        pendingCommand = NONE;
        if (cmd >= 0x20 && cmd <= 0x3f) {
            reply(ram[cmd & 0x1f]);
        } else if (cmd >= 0x60 && cmd <= 0x7f) {
            pendingCommand = cmd;
        } else if (cmd >= 0xf0) {
            if ((cmd & OUT_RESET) == 0) {
                resetHandler.run();
            }
        } else {
            switch (cmd) {
                case 0xa4 -> reply(0xf1);
                case 0xa7 -> ram[0] |= CTR_AUXDIS;
                case 0xa8 -> ram[0] &= ~CTR_AUXDIS;
                case 0xa9, 0xab -> reply(0x00);
                case 0xaa -> {
                    ram[0] |= CTR_SYS;
                    reply(0x55);
                }
                case 0xad -> ram[0] |= CTR_KBDDIS;
                case 0xae -> ram[0] &= ~CTR_KBDDIS;
                case 0xc0 -> reply(INPUT_PORT);
                case 0xd0 -> reply(liveOutputPort());
                case 0xd1, 0xd2, 0xd3, 0xd4 -> pendingCommand = cmd;
                case 0xdd -> setOutputPortBits(outputPort & ~OUT_A20);
                case 0xdf -> setOutputPortBits(outputPort | OUT_A20);
                case 0xe0 -> reply(0x00);
                default -> { } // unsupported: ignored
            }
        }
        fill();
        updateIrq();
    }

    private void writeData(int v) {
        lastWasCommand = false;
        int cmd = pendingCommand;
        pendingCommand = NONE;
        if (cmd >= 0x60 && cmd <= 0x7f) {
            ram[cmd & 0x1f] = v;
        } else if (cmd == 0xd1) {
            writeOutputPort(v);
        } else if (cmd == 0xd2) {
            controllerQueue.add(v);
        } else if (cmd == 0xd3) {
            controllerQueue.add(v | AUX_TAG);
        } else if (cmd == 0xd4) {
            ram[0] &= ~CTR_AUXDIS;
            mouseWrite(v);
        } else {
            ram[0] &= ~CTR_KBDDIS;
            keyboardWrite(v);
        }
        fill();
        updateIrq();
    }

    private void reply(int v) {
        controllerQueue.add(v);
    }

    private int liveOutputPort() {
        int v = outputPort & ~(OUT_KBD_OBF | OUT_AUX_OBF);
        if (obf) {
            v |= outAux ? OUT_AUX_OBF : OUT_KBD_OBF;
        }
        return v;
    }

    private void writeOutputPort(int v) {
        setOutputPortBits(v);
        if ((v & OUT_RESET) == 0) {
            resetHandler.run();
        }
    }

    private void setOutputPortBits(int v) {
        int old = outputPort;
        outputPort = v & 0xff;
        if (((old ^ v) & OUT_A20) != 0) {
            a20Gate.accept((v & OUT_A20) != 0 ? 1 : 0);
        }
    }

    // ---------------------------------------------------------------- output buffer

    /** Loads the output buffer from the queues if it is empty. */
    private void fill() {
        if (!kbdScanning) {
            hostKeys.clear();
        }
        while (!obf) {
            Integer c = controllerQueue.poll();
            if (c != null) {
                load(c & 0xff, (c & AUX_TAG) != 0);
                return;
            }
            boolean kbdReady = (ram[0] & CTR_KBDDIS) == 0 && (!kbdQueue.isEmpty() || !hostKeys.isEmpty());
            boolean auxReady = (ram[0] & CTR_AUXDIS) == 0 && (!auxQueue.isEmpty() || mousePacketReady());
            if (kbdReady && (!auxReady || !auxTurn)) {
                Integer b = kbdQueue.poll();
                int v = b != null ? b : hostKeys.poll();
                if ((ram[0] & CTR_XLATE) != 0) {
                    if (v == 0xf0) {
                        xlatBreak = true;
                        continue;
                    }
                    v = SET2_TO_SET1[v] | (xlatBreak ? 0x80 : 0);
                    xlatBreak = false;
                }
                auxTurn = true;
                load(v, false);
            } else if (auxReady) {
                auxTurn = false;
                load(auxQueue.poll(), true);
            } else {
                return;
            }
        }
    }

    private void load(int v, boolean aux) {
        obf = true;
        outData = v;
        outAux = aux;
    }

    private void updateIrq() {
        boolean k = obf && !outAux && (ram[0] & CTR_KBDINT) != 0;
        boolean a = obf && outAux && (ram[0] & CTR_AUXINT) != 0;
        if (k != kbdIrqLevel) {
            kbdIrqLevel = k;
            kbdIrq.set(k);
        }
        if (a != auxIrqLevel) {
            auxIrqLevel = a;
            auxIrq.set(a);
        }
    }

    // ---------------------------------------------------------------- keyboard

    private void keyboardWrite(int v) {
        if (kbdPending != 0 && v < 0xed) {
            switch (kbdPending) {
                case 0xed -> {
                    kbdLeds = v & 7;
                    kbdPending = 0;
                    kbdSend(ACK);
                }
                case 0xf3 -> {
                    kbdTypematic = v & 0x7f;
                    kbdPending = 0;
                    kbdSend(ACK);
                }
                case 0xf0 -> {
                    kbdPending = 0;
                    if (v == 0) {
                        kbdSend(ACK);
                        kbdSend(kbdSet);
                    } else if (v <= 3) {
                        kbdSet = v;
                        kbdSend(ACK);
                    } else {
                        kbdSend(RESEND);
                    }
                }
                default -> kbdSend(ACK); // 0xfb-0xfd key lists: acknowledged and ignored
            }
            return;
        }
        kbdPending = 0;
        if (v != 0xfe) {
            kbdQueue.clear();
            xlatBreak = false;
        }
        switch (v) {
            case 0xed, 0xf0, 0xf3, 0xfb, 0xfc, 0xfd -> {
                kbdPending = v;
                kbdSend(ACK);
            }
            case 0xee -> kbdSend(0xee);
            case 0xf2 -> {
                kbdSend(ACK);
                kbdSend(0xab);
                kbdSend(0x83);
            }
            case 0xf4 -> {
                kbdScanning = true;
                kbdSend(ACK);
            }
            case 0xf5 -> {
                kbdScanning = false;
                keyboardDefaults();
                kbdSend(ACK);
            }
            case 0xf6 -> {
                keyboardDefaults();
                kbdSend(ACK);
            }
            case 0xf7, 0xf8, 0xf9, 0xfa -> kbdSend(ACK);
            case 0xfe -> kbdQueue.add(kbdLastSent);
            case 0xff -> {
                keyboardDefaults();
                kbdScanning = true;
                kbdSet = 2;
                kbdLeds = 0;
                kbdSend(ACK);
                kbdSend(BAT_OK);
            }
            default -> kbdSend(RESEND);
        }
    }

    private void keyboardDefaults() {
        kbdTypematic = DEFAULT_TYPEMATIC;
    }

    private void kbdSend(int v) {
        kbdQueue.add(v);
        kbdLastSent = v;
    }

    // ---------------------------------------------------------------- mouse

    private void mouseWrite(int v) {
        if (mouseWrap && v != 0xec && v != 0xff) {
            auxSend(v);
            return;
        }
        if (mousePending != 0 && v < 0xe6) {
            if (mousePending == 0xf3) {
                mouseRate = v;
            } else {
                mouseResolution = v & 3;
            }
            mousePending = 0;
            auxSend(ACK);
            return;
        }
        mousePending = 0;
        if (v != 0xfe) {
            auxQueue.clear();
        }
        switch (v) {
            case 0xe6 -> {
                mouseScaling21 = false;
                auxSend(ACK);
            }
            case 0xe7 -> {
                mouseScaling21 = true;
                auxSend(ACK);
            }
            case 0xe8, 0xf3 -> {
                mousePending = v;
                auxSend(ACK);
            }
            case 0xe9 -> {
                auxSend(ACK);
                int b = (mouseRemote ? 0x40 : 0) | (mouseReporting ? 0x20 : 0) | (mouseScaling21 ? 0x10 : 0)
                        | ((mouseButtons & 1) << 2) | ((mouseButtons & 4) >> 1) | ((mouseButtons & 2) >> 1);
                auxSend(b);
                auxSend(mouseResolution);
                auxSend(mouseRate);
            }
            case 0xea -> {
                mouseRemote = false;
                auxSend(ACK);
            }
            case 0xeb -> {
                auxSend(ACK);
                packets(0, 0, mouseButtons);
            }
            case 0xec -> {
                mouseWrap = false;
                auxSend(ACK);
            }
            case 0xee -> {
                mouseWrap = true;
                auxSend(ACK);
            }
            case 0xf0 -> {
                mouseRemote = true;
                auxSend(ACK);
            }
            case 0xf2 -> {
                auxSend(ACK);
                auxSend(0x00);
            }
            case 0xf4 -> {
                mouseReporting = true;
                auxSend(ACK);
            }
            case 0xf5 -> {
                mouseReporting = false;
                auxSend(ACK);
            }
            case 0xf6 -> {
                mouseDefaults();
                auxSend(ACK);
            }
            case 0xfe -> auxQueue.add(mouseLastSent);
            case 0xff -> {
                mouseDefaults();
                mouseWrap = false;
                auxSend(ACK);
                auxSend(BAT_OK);
                auxSend(0x00);
            }
            default -> auxSend(RESEND);
        }
    }

    private void mouseDefaults() {
        mouseReporting = false;
        mouseRemote = false;
        mouseScaling21 = false;
        mouseRate = 100;
        mouseResolution = 2;
    }

    private void auxSend(int v) {
        auxQueue.add(v);
        mouseLastSent = v;
    }

    /** Turns queued host movement into packets when the aux queue is empty; true if a byte waits. */
    private boolean mousePacketReady() {
        while (auxQueue.isEmpty()) {
            int[] ev = hostMouse.poll();
            if (ev == null) {
                return false;
            }
            mouseButtons = ev[2];
            if (mouseReporting && !mouseRemote && !mouseWrap) {
                int dx = ev[0];
                int dy = ev[1];
                do {
                    int px = Math.clamp(dx, -255, 255);
                    int py = Math.clamp(dy, -255, 255);
                    dx -= px;
                    dy -= py;
                    packets(px, py, ev[2]);
                } while (dx != 0 || dy != 0);
            }
        }
        return true;
    }

    private void packets(int dx, int dy, int buttons) {
        if (mouseScaling21) {
            dx = scale21(dx);
            dy = scale21(dy);
        }
        int b0 = 0x08 | (buttons & 7);
        if (dx < -256 || dx > 255) {
            b0 |= 0x40;
            dx = Math.clamp(dx, -256, 255);
        }
        if (dy < -256 || dy > 255) {
            b0 |= 0x80;
            dy = Math.clamp(dy, -256, 255);
        }
        if (dx < 0) {
            b0 |= 0x10;
        }
        if (dy < 0) {
            b0 |= 0x20;
        }
        auxQueue.add(b0);
        auxQueue.add(dx & 0xff);
        auxQueue.add(dy & 0xff);
    }

    /** 2:1 scaling, as PS/2 mice apply it in stream mode. */
    private static int scale21(int d) {
        int a = Math.abs(d);
        int s = switch (a) {
            case 0 -> 0;
            case 1, 2 -> 1;
            case 3 -> 3;
            case 4 -> 6;
            case 5 -> 9;
            default -> 2 * a;
        };
        return d < 0 ? -s : s;
    }

    // ---------------------------------------------------------------- translation

    private static int[] translationTable() {
        int[] t = new int[256];
        for (int i = 0; i < 256; i++) {
            t[i] = i;
        }
        // set 2 code, set 1 code: per key of a 102-key keyboard
        int[] pairs = {
            0x00, 0xff, // key detection error / overrun
            0x76, 0x01, 0x05, 0x3b, 0x06, 0x3c, 0x04, 0x3d, 0x0c, 0x3e, 0x03, 0x3f, 0x0b, 0x40, 0x83, 0x41,
            0x0a, 0x42, 0x01, 0x43, 0x09, 0x44, 0x78, 0x57, 0x07, 0x58, // Esc, F1-F12
            0x0e, 0x29, 0x16, 0x02, 0x1e, 0x03, 0x26, 0x04, 0x25, 0x05, 0x2e, 0x06, 0x36, 0x07, 0x3d, 0x08,
            0x3e, 0x09, 0x46, 0x0a, 0x45, 0x0b, 0x4e, 0x0c, 0x55, 0x0d, 0x66, 0x0e, // ` 1-0 - = Bksp
            0x0d, 0x0f, 0x15, 0x10, 0x1d, 0x11, 0x24, 0x12, 0x2d, 0x13, 0x2c, 0x14, 0x35, 0x15, 0x3c, 0x16,
            0x43, 0x17, 0x44, 0x18, 0x4d, 0x19, 0x54, 0x1a, 0x5b, 0x1b, 0x5a, 0x1c, // Tab Q-P [ ] Enter
            0x14, 0x1d, 0x1c, 0x1e, 0x1b, 0x1f, 0x23, 0x20, 0x2b, 0x21, 0x34, 0x22, 0x33, 0x23, 0x3b, 0x24,
            0x42, 0x25, 0x4b, 0x26, 0x4c, 0x27, 0x52, 0x28, // Ctrl A-L ; '
            0x12, 0x2a, 0x5d, 0x2b, 0x1a, 0x2c, 0x22, 0x2d, 0x21, 0x2e, 0x2a, 0x2f, 0x32, 0x30, 0x31, 0x31,
            0x3a, 0x32, 0x41, 0x33, 0x49, 0x34, 0x4a, 0x35, 0x59, 0x36, // LShift \ Z-M , . / RShift
            0x7c, 0x37, 0x11, 0x38, 0x29, 0x39, 0x58, 0x3a, 0x77, 0x45, 0x7e, 0x46, // KP* Alt Space Caps Num Scroll
            0x6c, 0x47, 0x75, 0x48, 0x7d, 0x49, 0x7b, 0x4a, 0x6b, 0x4b, 0x73, 0x4c, 0x74, 0x4d, 0x79, 0x4e,
            0x69, 0x4f, 0x72, 0x50, 0x7a, 0x51, 0x70, 0x52, 0x71, 0x53, // keypad
            0x84, 0x54, 0x61, 0x56, // SysRq, 102nd key
            0x1f, 0x5b, 0x27, 0x5c, 0x2f, 0x5d, // (E0) left/right Windows, menu
        };
        for (int i = 0; i < pairs.length; i += 2) {
            t[pairs[i]] = pairs[i + 1];
        }
        return t;
    }

    /** The controller's set 2 to set 1 translation of one code (without the break prefix). */
    static int translate(int set2) {
        return SET2_TO_SET1[set2 & 0xff];
    }

    // ---------------------------------------------------------------- snapshots

    /**
     * The guest-visible state. Queues list bytes oldest first; {@code controllerQueue} entries
     * are a byte | 0x100 when they go out as aux data. Host input still queued is not part of it.
     */
    public record State(List<Integer> ram, int outputPort, int pendingCommand, boolean lastWasCommand,
                        boolean obf, int outData, boolean outAux, boolean auxTurn, List<Integer> controllerQueue,
                        boolean xlatBreak, List<Integer> kbdQueue, boolean kbdScanning, int kbdSet, int kbdLeds,
                        int kbdTypematic, int kbdPending, int kbdLastSent, List<Integer> auxQueue,
                        boolean mouseReporting, boolean mouseRemote, boolean mouseWrap, boolean mouseScaling21,
                        int mouseRate, int mouseResolution, int mouseButtons, int mousePending, int mouseLastSent) {
        public State {
            ram = List.copyOf(ram);
            controllerQueue = List.copyOf(controllerQueue);
            kbdQueue = List.copyOf(kbdQueue);
            auxQueue = List.copyOf(auxQueue);
            if (ram.size() != 32) {
                throw new IllegalArgumentException("the controller has 32 bytes of RAM");
            }
        }
    }

    public State state() {
        List<Integer> r = new ArrayList<>(32);
        for (int b : ram) {
            r.add(b);
        }
        return new State(r, outputPort, pendingCommand, lastWasCommand, obf, outData, outAux, auxTurn,
                new ArrayList<>(controllerQueue), xlatBreak, new ArrayList<>(kbdQueue), kbdScanning, kbdSet,
                kbdLeds, kbdTypematic, kbdPending, kbdLastSent, new ArrayList<>(auxQueue), mouseReporting,
                mouseRemote, mouseWrap, mouseScaling21, mouseRate, mouseResolution, mouseButtons, mousePending,
                mouseLastSent);
    }

    /**
     * Puts the controller in state {@code s} and drives both IRQ lines to match; the A20
     * callback runs if the gate differs from the current one (the reset line is not pulsed).
     */
    public void restore(State s) {
        for (int i = 0; i < 32; i++) {
            ram[i] = s.ram().get(i) & 0xff;
        }
        setOutputPortBits(s.outputPort());
        pendingCommand = s.pendingCommand();
        lastWasCommand = s.lastWasCommand();
        obf = s.obf();
        outData = s.outData() & 0xff;
        outAux = s.outAux();
        auxTurn = s.auxTurn();
        controllerQueue.clear();
        controllerQueue.addAll(s.controllerQueue());
        xlatBreak = s.xlatBreak();
        kbdQueue.clear();
        kbdQueue.addAll(s.kbdQueue());
        kbdScanning = s.kbdScanning();
        kbdSet = s.kbdSet();
        kbdLeds = s.kbdLeds();
        kbdTypematic = s.kbdTypematic();
        kbdPending = s.kbdPending();
        kbdLastSent = s.kbdLastSent();
        auxQueue.clear();
        auxQueue.addAll(s.auxQueue());
        mouseReporting = s.mouseReporting();
        mouseRemote = s.mouseRemote();
        mouseWrap = s.mouseWrap();
        mouseScaling21 = s.mouseScaling21();
        mouseRate = s.mouseRate();
        mouseResolution = s.mouseResolution();
        mouseButtons = s.mouseButtons();
        mousePending = s.mousePending();
        mouseLastSent = s.mouseLastSent();
        kbdIrqLevel = obf && !outAux && (ram[0] & CTR_KBDINT) != 0;
        auxIrqLevel = obf && outAux && (ram[0] & CTR_AUXINT) != 0;
        kbdIrq.set(kbdIrqLevel);
        auxIrq.set(auxIrqLevel);
    }
}
