package io.jvisor.engine;

import io.jvisor.cpu.Alu;
import io.jvisor.cpu.BitOps;
import io.jvisor.cpu.Branch;
import io.jvisor.cpu.Cpu;
import io.jvisor.cpu.Flags;
import io.jvisor.cpu.InterruptSource;
import io.jvisor.cpu.MulDiv;
import io.jvisor.cpu.Shifts;
import io.jvisor.cpu.StackOps;
import io.jvisor.cpu.SystemOps;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;

import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

/**
 * Tier 1: turns one decoded {@link Block} into the bytecode of a {@link Translation}
 * subclass (DESIGN.md section 3). Operands are resolved here, once: register numbers,
 * displacements, immediates, operand sizes and segment flatness become constants, so each
 * guest instruction is a few loads and one call to the same {@code cpu} semantics the
 * {@link Interpreter} calls ({@code Alu}, {@code Shifts}, {@code MulDiv}, {@code Branch},
 * {@code SystemOps}, the {@code Cpu} access paths). Instructions without a specialised form
 * call {@link Interpreter#execute} on their decoded {@link Insn}: one meaning, two ways to
 * run it.
 *
 * <p>EIP is stored before every instruction that can fault, so a fault anywhere in the
 * block leaves the exact state of the faulting instruction. After every memory write the
 * block's validity is checked: code that writes into its own block leaves it at the next
 * instruction boundary. A block whose last instruction branches back to its own start loops
 * inside the method until the instruction bound given by the engine.
 */
final class BlockTranslator {
    static final ClassDesc CD_CPU = desc(Cpu.class), CD_INTERP = desc(Interpreter.class), CD_BLOCK = desc(Block.class),
            CD_INSN = desc(Insn.class), CD_TRANSLATION = desc(Translation.class), CD_ALU = desc(Alu.class),
            CD_SHIFTS = desc(Shifts.class), CD_MULDIV = desc(MulDiv.class), CD_BRANCH = desc(Branch.class),
            CD_SYSOPS = desc(SystemOps.class), CD_IRQ = desc(InterruptSource.class),
            CD_STACK = desc(StackOps.class), CD_BITOPS = desc(BitOps.class),
            CD_FAULT = desc(io.jvisor.cpu.Fault.class), CD_STRINGOPS = desc(io.jvisor.cpu.StringOps.class);
    static final MethodTypeDesc MTD_RUN = MethodTypeDesc.of(CD_int, CD_CPU, CD_INTERP, CD_BLOCK, CD_long);
    private static final MethodTypeDesc I_I = MethodTypeDesc.of(CD_int, CD_int), I_II = MethodTypeDesc.of(CD_int, CD_int, CD_int),
            I_III = MethodTypeDesc.of(CD_int, CD_int, CD_int, CD_int), V_II = MethodTypeDesc.of(CD_void, CD_int, CD_int),
            V_III = MethodTypeDesc.of(CD_void, CD_int, CD_int, CD_int), I_V = MethodTypeDesc.of(CD_int),
            V_CIII = MethodTypeDesc.of(CD_void, CD_CPU, CD_int, CD_int, CD_int),
            V_I = MethodTypeDesc.of(CD_void, CD_int), Z_I = MethodTypeDesc.of(CD_boolean, CD_int),
            V_IZ = MethodTypeDesc.of(CD_void, CD_int, CD_boolean), Z_V = MethodTypeDesc.of(CD_boolean),
            ALU3 = MethodTypeDesc.of(CD_int, CD_CPU, CD_int, CD_int, CD_int),
            ALU2 = MethodTypeDesc.of(CD_int, CD_CPU, CD_int, CD_int),
            NEAR = MethodTypeDesc.of(CD_int, CD_CPU, CD_int, CD_boolean),
            CALL = MethodTypeDesc.of(CD_void, CD_CPU, CD_int, CD_boolean, CD_int, CD_int),
            RET = MethodTypeDesc.of(CD_void, CD_CPU, CD_int, CD_boolean, CD_int),
            STATIC_V = MethodTypeDesc.of(CD_void, CD_CPU), STATIC_I = MethodTypeDesc.of(CD_int, CD_CPU),
            EXECUTE = MethodTypeDesc.of(CD_void, CD_INSN),
            ALU4 = MethodTypeDesc.of(CD_int, CD_CPU, CD_int, CD_int, CD_int, CD_int),
            MUL1 = MethodTypeDesc.of(CD_void, CD_CPU, CD_int, CD_int),
            LOOP = MethodTypeDesc.of(CD_boolean, CD_CPU, CD_int, CD_boolean, CD_boolean, CD_int),
            JCXZ = MethodTypeDesc.of(CD_boolean, CD_CPU, CD_boolean, CD_boolean, CD_int),
            STRING = MethodTypeDesc.of(CD_boolean, CD_CPU, CD_int, CD_int, CD_boolean, CD_int, CD_int);

    // local variable slots of run()
    private static final int THIS = 0, C = 1, INTERP = 2, B = 3, STOP_AT = 4, R = 6, EIP0 = 7, LIN = 8, V = 9,
            KIDX = 10, FA = 11, FB = 12, FR = 13;
    /** {@code faultEip} entry of an instruction that stored EIP itself before it ran. */
    static final int EIP_STORED = Integer.MIN_VALUE;
    /**
     * Deferred flags: the flag producer whose operands (ADD, SUB: in {@code FA}, {@code FB})
     * or result (logic: in {@code FA}) are held in locals instead of the CPU's lazy-flag
     * fields, which are written only where the flags can be observed.
     */
    private static final int FLAGS_NONE = -1, FLAGS_ADD = Alu.ADD, FLAGS_SUB = Alu.SUB, FLAGS_LOGIC = Alu.AND,
            NO_MODIFIER = -1, MOD_INC = 8, MOD_DEC = 9;
    /** HotSpot does not compile methods over 8,000 bytes of bytecode: a region that would is translated smaller. */
    static final int MAX_METHOD_BYTES = 7_600;

    private static ClassDesc desc(Class<?> k) {
        return ClassDesc.of(k.getName());
    }

    private final ClassFile classFile = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
            ClassHierarchyResolver.ofClassLoading(BlockTranslator.class.getClassLoader())));

    /**
     * The class file, the segments it assumed flat, the region's instructions in emission
     * order with each one's count correction for a fault, and the byte extent of the region
     * relative to its entry (for the CS limit check on entry).
     */
    record Result(byte[] bytes, int flatNeeded, int[] faultDelta, int[] faultEip, int[] faultFlags, Insn[] insns,
                  int lowOff, int highEnd, int blocks) { }

    /** Per-region emission state; the fields from {@link #insns} to {@link #first} describe the block being emitted. */
    private final class Emitter {
        final CodeBuilder cb;
        final boolean code32;
        /** The region's blocks, their byte offsets from the entry block, and the label of each one's start. */
        final Block[] region;
        final int[] bases;
        final Label[] labels;
        /** Segments flat at entry; a jump inside the region is a direct goto only while this still holds. */
        final int entryFlat;
        /** Segments that were flat when the block became hot and stay so through the block (no segment loads before use). */
        int flatAvailable;
        int flatNeeded;
        Insn[] insns;
        /** Offset of the current block from the entry, and the index of its first instruction in the region. */
        int base, first;
        /**
         * Instructions of the current pass through the current block already added to
         * {@code c.instructions}: the count is made exact before each instruction run by the
         * interpreter (RDTSC, I/O and device time read it) and at each jump inside the region;
         * {@link #faultDelta} gives the fault handler, for each instruction, how many before
         * it in its block were not counted yet.
         */
        int synced;
        final int[] faultDelta;
        /** For a fault at region instruction k: its EIP's offset from the entry, or {@link #EIP_STORED}. */
        final int[] faultEip;
        /** The instruction being emitted follows an STI: it runs in the interrupt shadow, after it interrupts are due. */
        boolean afterSti;
        /**
         * Deferred flags (liveness within the block): the last flag producer, an ADD or
         * CMP/SUB (operands in FA, FB) or a logic operation (result in FA) of {@code
         * pendingSize} bytes, whose flags are not yet in the CPU. A later producer simply
         * replaces it, so flags nothing reads are never recorded; they are recorded ({@link
         * #materialize}) on every path out of the method, before anything that reads or
         * changes the flags through the CPU, and by the fault handler ({@link #faultFlags}).
         * A condition after a CMP/SUB or logic operation is computed from the locals.
         */
        int pending, pendingSize;
        /**
         * A modifier after the deferred producer (or after flags already in the CPU), which
         * changes some flags and keeps the others: a ROL or ROR by a constant ({@link
         * Shifts#ROL}, {@link Shifts#ROR}; CF and OF follow from its result, kept in FR), or an
         * INC or DEC ({@link #MOD_INC}, {@link #MOD_DEC}; all but CF, from its operand in FR).
         */
        int modPending = NO_MODIFIER, modSize;
        /** For a fault at region instruction k: the deferred flags it found (see {@link Translation#faultFlags}). */
        final int[] faultFlags;

        Emitter(CodeBuilder cb, Block[] region, int[] bases, boolean code32, int flatAvailable) {
            this.cb = cb;
            this.region = region;
            this.bases = bases;
            this.code32 = code32;
            this.entryFlat = flatAvailable;
            int n = 0;
            this.labels = new Label[region.length];
            for (int j = 0; j < region.length; j++) {
                n += region[j].insns.length;
                labels[j] = cb.newLabel();
            }
            this.faultDelta = new int[n];
            this.faultEip = new int[n];
            this.faultFlags = new int[n];
            java.util.Arrays.fill(faultEip, EIP_STORED);
        }

        /** Starts block j of the region. */
        void beginBlock(int j) {
            cb.labelBinding(labels[j]);
            insns = region[j].insns;
            base = bases[j];
            synced = 0;
            pending = FLAGS_NONE;   // every way into a block's label recorded the flags first
            modPending = NO_MODIFIER;
            flatAvailable = entryFlat;
            afterSti = false;
        }

        /** The region block starting {@code rel} bytes from the entry, or -1. */
        int blockAt(int rel) {
            for (int j = 0; j < bases.length; j++) {
                if (bases[j] == rel) {
                    return j;
                }
            }
            return -1;
        }

        /**
         * The region block a near jump from instruction {@code i} to {@code rel} can go to
         * directly, or -1: only in 32-bit code with a 32-bit target, with the entry's flat
         * segments unchanged, and not from the instruction in an STI shadow or STI itself
         * (after those the dispatcher must look for an interrupt).
         */
        int directTarget(Insn i, int rel) {
            if (!code32 || !i.o32 || flatAvailable != entryFlat || afterSti || i.op == Op.STI) {
                return -1;
            }
            return blockAt(rel);
        }

        /**
         * A jump inside the region: counts this pass, leaves with EIP at the target once the
         * engine's instruction bound is reached (stop requests and device deadlines) or an
         * interrupt can be taken, else goes straight to the target's code.
         */
        void jumpTo(int j, int retired) {
            materialize();   // the target's label expects the flags in the CPU
            Label done = cb.newLabel();
            cb.aload(C);
            cb.dup();
            cb.getfield(CD_CPU, "instructions", CD_long);
            cb.loadConstant((long) (retired - synced));
            cb.ladd();
            cb.dup2_x1();
            cb.putfield(CD_CPU, "instructions", CD_long);
            cb.lload(STOP_AT);
            cb.lcmp();
            cb.ifge(done);
            // an interrupt made deliverable by this pass (an unmasking OUT, say) is taken at the jump
            cb.aload(C);
            cb.getfield(CD_CPU, "interrupts", CD_IRQ);
            cb.invokeinterface(CD_IRQ, "hasInterrupt", Z_V);
            cb.ifeq(labels[j]);
            cb.aload(C);
            cb.invokevirtual(CD_CPU, "interruptsEnabled", Z_V);
            cb.ifeq(labels[j]);
            cb.labelBinding(done);
            cb.aload(C);
            cb.iload(EIP0);
            if (bases[j] != 0) {
                cb.loadConstant(bases[j]);
                cb.iadd();
            }
            cb.putfield(CD_CPU, "eip", CD_int);
            cb.loadConstant(0);
            cb.ireturn();
        }

        /** Leaves with EIP at {@code off} in the current block, or jumps there inside the region. */
        void continueAt(Insn i, int off, int retired) {
            int j = directTarget(i, base + off);
            if (j >= 0) {
                jumpTo(j, retired);
            } else {
                exitAt(off, retired);
            }
        }

        /** Returns {@code retired} instructions of this pass, less those already counted. */
        void returnRetired(int retired) {
            materialize();
            cb.loadConstant(retired - synced);
            cb.ireturn();
        }

        /** Emits the recording of the deferred flags in the CPU, for the path being emitted (the state stays deferred). */
        void materialize() {
            if (pending != FLAGS_NONE) {
                cb.aload(C);
                cb.loadConstant(pending);
                cb.loadConstant(pendingSize);
                cb.iload(FA);
                cb.iload(FB);
                cb.invokestatic(CD_ALU, "settle", MethodTypeDesc.of(CD_void, CD_CPU, CD_int, CD_int, CD_int, CD_int));
            }
            if (modPending == MOD_INC || modPending == MOD_DEC) {
                cb.aload(C);
                cb.loadConstant(modSize);
                cb.iload(FR);
                cb.invokestatic(CD_ALU, modPending == MOD_INC ? "inc" : "dec", ALU2);
                cb.pop();
            } else if (modPending != NO_MODIFIER) {
                cb.aload(C);
                cb.loadConstant(modPending);
                cb.loadConstant(modSize);
                cb.iload(FR);
                cb.invokestatic(CD_SHIFTS, "rotateFlags", V_CIII);
            }
        }

        /** INC/DEC is deferred in FR: pushes its result, (FR +/- 1) masked. */
        void incDecResult() {
            cb.loadConstant(modSize);
            cb.iload(FR);
            cb.loadConstant(1);
            cb.invokestatic(CD_ALU, modPending == MOD_INC ? "sum" : "difference", I_III);
        }

        /** The deferred state as {@link Translation#faultFlags} records it for the fault handler. */
        int deferredCode() {
            int code = pending == FLAGS_NONE ? 0 : pending << 4 | pendingSize;
            if (modPending != NO_MODIFIER) {
                code |= (modPending + 1) << 8 | modSize << 12;
            }
            return code;
        }

        /** Records the deferred flags in the CPU: from here on the CPU's lazy flags are current. */
        void flush() {
            materialize();
            pending = FLAGS_NONE;
            modPending = NO_MODIFIER;
        }

        /** A producer of {@code size} bytes leaves its flags deferred: operands (or a logic result) were stored in FA/FB. */
        void defer(int kind, int size) {
            pending = kind;
            pendingSize = size;
            modPending = NO_MODIFIER;   // all six flags are the new producer's
        }

        /** Brings {@code c.instructions} up to the {@code k} instructions before instruction k. */
        void syncCount(int k) {
            if (k > synced) {
                cb.aload(C);
                cb.dup();
                cb.getfield(CD_CPU, "instructions", CD_long);
                cb.loadConstant((long) (k - synced));
                cb.ladd();
                cb.putfield(CD_CPU, "instructions", CD_long);
                synced = k;
            }
        }

        // ---------------------------------------------------------------- EIP and exits

        void eipAt(int off) {
            cb.iload(EIP0);
            if (off + base != 0) {
                cb.loadConstant(off + base);
                cb.iadd();
            }
            if (!code32) {
                cb.loadConstant(0xffff);
                cb.iand();
            }
        }

        void storeEip(int off) {
            cb.aload(C);
            eipAt(off);
            cb.putfield(CD_CPU, "eip", CD_int);
        }

        /** Leaves the method with EIP at {@code off} after {@code retired} instructions. */
        void exitAt(int off, int retired) {
            storeEip(off);
            returnRetired(retired);
        }

        /** After a memory write: if it hit this block's own code, leave at the next instruction. */
        void checkValid(int nextOff, int retired) {
            Label ok = cb.newLabel();
            cb.aload(B);
            cb.getfield(CD_BLOCK, "valid", CD_boolean);
            cb.ifne(ok);
            exitAt(nextOff, retired);
            cb.labelBinding(ok);
        }

        // ---------------------------------------------------------------- registers

        void readReg(int n, int size) {
            if (size == 4) {
                cb.aload(R);
                cb.loadConstant(n);
                cb.iaload();
            } else if (size == 2) {
                cb.aload(R);
                cb.loadConstant(n);
                cb.iaload();
                cb.loadConstant(0xffff);
                cb.iand();
            } else {
                cb.aload(C);
                cb.loadConstant(n);
                cb.invokevirtual(CD_CPU, "reg8", I_I);
            }
        }

        /** Pushes what a register store needs under its value; {@link #endStoreReg} completes it. */
        void beginStoreReg(int n, int size) {
            if (size == 4) {
                cb.aload(R);
                cb.loadConstant(n);
            } else {
                cb.aload(C);
                cb.loadConstant(n);
                cb.loadConstant(size);
            }
        }

        void endStoreReg(int size) {
            if (size == 4) {
                cb.iastore();
            } else {
                cb.invokevirtual(CD_CPU, "setReg", V_III);
            }
        }

        // ---------------------------------------------------------------- memory operands

        boolean flat(int seg) {
            if ((flatAvailable & (1 << seg)) != 0) {
                flatNeeded |= 1 << seg;
                return true;
            }
            return false;
        }

        /** The effective address (offset in its segment) of the ModRM memory operand. */
        void ea(Insn i) {
            cb.loadConstant(i.disp);
            if (i.base >= 0) {
                cb.aload(R);
                cb.loadConstant(i.base);
                cb.iaload();
                cb.iadd();
            }
            if (i.index >= 0) {
                cb.aload(R);
                cb.loadConstant(i.index);
                cb.iaload();
                if (i.a32 && i.scale != 0) {
                    cb.loadConstant(i.scale);
                    cb.ishl();
                }
                cb.iadd();
            }
            if (!i.a32) {
                cb.loadConstant(0xffff);
                cb.iand();
            }
        }

        /** Stack [c, seg, off] to the value read. */
        void read(int seg, int size) {
            String name = (flat(seg) ? "readFlat" : "read") + size * 8;
            cb.invokevirtual(CD_CPU, name, I_II);
        }

        /** Stack [c, seg, off, value] to nothing. */
        void write(int seg, int size) {
            String name = (flat(seg) ? "writeFlat" : "write") + size * 8;
            cb.invokevirtual(CD_CPU, name, V_III);
        }

        void loadE(Insn i, int size) {
            if (i.mod == 3) {
                readReg(i.rm, size);
            } else {
                cb.aload(C);
                cb.loadConstant(i.seg);
                ea(i);
                read(i.seg, size);
            }
        }

        /** Pushes operand {@code kind} ({@link Operand}) of {@code i}, as the interpreter's {@code operand} reads it. */
        void loadOperand(Insn i, int kind, int size) {
            switch (kind) {
                case Operand.E -> loadE(i, size);
                case Operand.G -> readReg(i.reg, size);
                case Operand.ACC -> readReg(Cpu.EAX, size);
                case Operand.IMM -> cb.loadConstant(i.imm & Alu.mask(size));
                case Operand.ONE -> cb.loadConstant(1);
                case Operand.CL -> {
                    cb.aload(R);
                    cb.loadConstant(Cpu.ECX);
                    cb.iaload();
                    cb.loadConstant(0xff);
                    cb.iand();
                }
                case Operand.NONE -> cb.loadConstant(0);
                default -> throw new IllegalArgumentException("operand form " + kind + " is not a value");
            }
        }

        /** The register the destination of {@code i} names, or -1 for a memory destination. */
        int dstReg(Insn i) {
            return switch (i.dst) {
                case Operand.G -> i.reg;
                case Operand.ACC -> Cpu.EAX;
                default -> i.isMem() ? -1 : i.rm;
            };
        }

        /** Pushes what a write of the destination needs under its value; {@link #endWrite} completes it. */
        void beginWrite(Insn i, int size) {
            int reg = dstReg(i);
            if (reg >= 0) {
                beginStoreReg(reg, size);
            } else {
                cb.aload(C);
                cb.loadConstant(i.seg);
                ea(i);
            }
        }

        void endWrite(Insn i, int size) {
            if (dstReg(i) >= 0) {
                endStoreReg(size);
            } else {
                write(i.seg, size);
            }
        }

        /** Read-modify-write destination: proves a memory destination writable first (faults come before any change). */
        void rmwBegin(Insn i, int size) {
            if (dstReg(i) < 0) {
                cb.aload(C);
                cb.loadConstant(i.seg);
                ea(i);
                cb.loadConstant(size);
                cb.invokevirtual(CD_CPU, flat(i.seg) ? "rmwAddrFlat" : "rmwAddr", I_III);
                cb.istore(LIN);
            }
        }

        void rmwStorePrefix(Insn i, int size) {
            int reg = dstReg(i);
            if (reg >= 0) {
                beginStoreReg(reg, size);
            } else {
                cb.aload(C);
                cb.iload(LIN);
            }
        }

        void rmwLoad(Insn i, int size) {
            int reg = dstReg(i);
            if (reg >= 0) {
                readReg(reg, size);
            } else {
                cb.aload(C);
                cb.iload(LIN);
                cb.invokevirtual(CD_CPU, "readLin" + size * 8, I_I);
            }
        }

        void rmwStore(Insn i, int size) {
            if (dstReg(i) >= 0) {
                endStoreReg(size);
            } else {
                cb.invokevirtual(CD_CPU, "writeLin" + size * 8, V_II);
            }
        }

        // ---------------------------------------------------------------- ALU

        /** Pushes what {@link #aluEnd} needs below the two operands: ADC and SBB read CF from the CPU. */
        void aluBegin(int sub, int size) {
            if (sub == Alu.ADC || sub == Alu.SBB) {
                cb.aload(C);
            }
            cb.loadConstant(size);
        }

        /**
         * Stack [size, a, b] (ADC, SBB: [c, size, a, b]) to the result; the flags of ADD,
         * SUB, CMP and the logic operations are deferred, those of ADC and SBB recorded as
         * {@link Alu#op} records them.
         */
        void aluEnd(int sub, int size) {
            switch (sub) {
                case Alu.ADD, Alu.SUB, Alu.CMP -> {
                    cb.dup2();   // the operands: for the flags, recorded later, and for a condition
                    cb.istore(FB);
                    cb.istore(FA);
                    defer(sub == Alu.ADD ? FLAGS_ADD : FLAGS_SUB, size);
                    cb.invokestatic(CD_ALU, sub == Alu.ADD ? "sum" : "difference", I_III);
                }
                case Alu.ADC -> cb.invokestatic(CD_ALU, "adc", ALU3);
                case Alu.SBB -> cb.invokestatic(CD_ALU, "sbb", ALU3);
                case Alu.OR -> {
                    cb.ior();
                    logicEnd(size);
                }
                case Alu.AND -> {
                    cb.iand();
                    logicEnd(size);
                }
                default -> {
                    cb.ixor();
                    logicEnd(size);
                }
            }
        }

        /** Stack [size, result] of a logic operation to the masked result, whose flags are deferred. */
        void logicEnd(int size) {
            cb.invokestatic(CD_ALU, "truncate", I_II);
            cb.dup();
            cb.istore(FA);
            defer(FLAGS_LOGIC, size);
        }

        /** Pushes condition {@code cc} (0 or 1): from the deferred operands when it can, else from the CPU's flags. */
        void condition(int cc) {
            if (forwardedCondition(cc)) {
                return;
            }
            flush();
            cb.aload(C);
            cb.loadConstant(cc);
            cb.invokevirtual(CD_CPU, "condition", Z_I);
        }

        /**
         * The condition straight from the deferred operands of a CMP/SUB or the result of a
         * logic operation (the same value {@link Cpu#condition} derives from the lazy flags
         * those leave). False after an ADD, and for the parity and overflow-after-SUB conditions.
         */
        boolean forwardedCondition(int cc) {
            int test = cc >> 1;
            if ((modPending == MOD_INC || modPending == MOD_DEC) && (test == 2 || test == 4)) {
                // ZF and SF after INC/DEC come from its result (E/NE, S/NS)
                Label yes = cb.newLabel(), done = cb.newLabel();
                incDecResult();
                if (test == 4) {
                    cb.loadConstant(Alu.signBit(modSize));
                    cb.iand();
                }
                boolean negate = (cc & 1) != 0;
                cb.branch(test == 2 ? (negate ? Opcode.IFNE : Opcode.IFEQ) : (negate ? Opcode.IFEQ : Opcode.IFNE), yes);
                cb.loadConstant(0);
                cb.goto_(done);
                cb.labelBinding(yes);
                cb.loadConstant(1);
                cb.labelBinding(done);
                return true;
            }
            if (pending == FLAGS_NONE || pending == FLAGS_ADD || modPending != NO_MODIFIER || test == 5
                    || (pending == FLAGS_SUB && test == 0)) {
                return false;
            }
            Label yes = cb.newLabel(), end = cb.newLabel();
            boolean negate = (cc & 1) != 0;
            int flagsSize = pendingSize;
            int sign = Alu.signBit(flagsSize);
            if (pending == FLAGS_LOGIC) {
                // CF = OF = 0: B never, BE and E are ZF, L is SF, LE is ZF or SF
                switch (test) {
                    case 0, 1 -> cb.goto_(negate ? yes : end);
                    case 2, 3 -> {
                        cb.iload(FA);
                        cb.branch(negate ? Opcode.IFNE : Opcode.IFEQ, yes);
                    }
                    case 4, 6 -> {
                        cb.iload(FA);
                        cb.loadConstant(sign);
                        cb.iand();
                        cb.branch(negate ? Opcode.IFEQ : Opcode.IFNE, yes);
                    }
                    default -> {   // LE / G
                        cb.iload(FA);
                        cb.loadConstant(sign);
                        cb.iand();
                        Label zf = cb.newLabel();
                        cb.iload(FA);
                        cb.ifeq(zf);
                        // ZF clear: LE iff SF
                        cb.branch(negate ? Opcode.IFEQ : Opcode.IFNE, yes);
                        cb.goto_(end);
                        cb.labelBinding(zf);
                        cb.pop();
                        if (!negate) {
                            cb.goto_(yes);
                        }
                    }
                }
            } else {
                switch (test) {
                    case 1, 3 -> {   // B / BE: unsigned compare (narrow operands are zero-extended)
                        cb.iload(FA);
                        cb.iload(FB);
                        if (flagsSize == 4) {
                            cb.invokestatic(ConstantDescs.CD_Integer, "compareUnsigned", I_II);
                            cb.loadConstant(0);
                        }
                        java.lang.classfile.Opcode op = test == 1
                                ? (negate ? Opcode.IF_ICMPGE : Opcode.IF_ICMPLT)
                                : (negate ? Opcode.IF_ICMPGT : Opcode.IF_ICMPLE);
                        cb.branch(op, yes);
                    }
                    case 2 -> {
                        cb.iload(FA);
                        cb.iload(FB);
                        cb.branch(negate ? Opcode.IF_ICMPNE : Opcode.IF_ICMPEQ, yes);
                    }
                    case 4 -> {
                        cb.iload(FA);
                        cb.iload(FB);
                        cb.isub();
                        cb.loadConstant(sign);
                        cb.iand();
                        cb.branch(negate ? Opcode.IFEQ : Opcode.IFNE, yes);
                    }
                    default -> {   // L / LE: signed compare of the sign-extended operands
                        cb.iload(FA);
                        narrowSigned();
                        cb.iload(FB);
                        narrowSigned();
                        java.lang.classfile.Opcode op = test == 6
                                ? (negate ? Opcode.IF_ICMPGE : Opcode.IF_ICMPLT)
                                : (negate ? Opcode.IF_ICMPGT : Opcode.IF_ICMPLE);
                        cb.branch(op, yes);
                    }
                }
            }
            cb.labelBinding(end);
            cb.loadConstant(0);
            Label done = cb.newLabel();
            cb.goto_(done);
            cb.labelBinding(yes);
            cb.loadConstant(1);
            cb.labelBinding(done);
            return true;
        }

        private void narrowSigned() {
            if (pendingSize == 2) {
                cb.i2s();
            } else if (pendingSize == 1) {
                cb.i2b();
            }
        }

        // ---------------------------------------------------------------- instructions

        /**
         * True for the specialised instructions whose semantics never read EIP (data moves,
         * arithmetic, stack pushes and pops): they may fault, but only the fault needs their
         * EIP, and the fault handler of the translation stores it. Control transfers, the
         * instructions the interpreter runs and string instructions get EIP stored before them.
         */
        boolean eipUnread(Insn i) {
            if (i.atomic) {
                return false;   // the interpreter runs it and moves EIP on from the stored value
            }
            return switch (i.op) {
                case Op.ALU, Op.TEST, Op.MOV, Op.MOVZX, Op.MOVSX, Op.INC, Op.DEC, Op.NOT, Op.NEG, Op.SHIFT, Op.CMOV,
                     Op.SETCC, Op.IMUL2, Op.XCHG, Op.BSF, Op.BSR, Op.SHLD, Op.SHRD, Op.XADD, Op.CMPXCHG, Op.MUL,
                     Op.IMUL1, Op.DIV, Op.IDIV, Op.PUSH, Op.LEAVE -> true;
                case Op.POP -> i.dst == Operand.G;
                case Op.BT -> i.src == Operand.IMM || !i.isMem();
                default -> false;
            };
        }

        /** True for the instructions that can neither fault nor read EIP: no EIP store needed before them. */
        boolean cannotFault(Insn i) {
            return switch (i.op) {
                case Op.NOP, Op.CLC, Op.STC, Op.CLD, Op.STD, Op.CMC, Op.CBW, Op.CWD, Op.SAHF, Op.LAHF, Op.LEA -> true;
                case Op.ALU, Op.TEST, Op.MOV, Op.MOVZX, Op.MOVSX, Op.INC, Op.DEC, Op.NOT, Op.NEG, Op.SHIFT, Op.CMOV,
                     Op.SETCC, Op.IMUL2, Op.XCHG -> !i.isMem();
                default -> false;
            };
        }

        /** Emits instruction {@code k}; returns false when it used the generic path (the interpreter). */
        void emit(int k) {
            Insn i = insns[k];
            boolean last = k == insns.length - 1;
            boolean incDec = i.op == Op.INC || i.op == Op.DEC;
            if (!keepsFlags(i) || (incDec && modPending != NO_MODIFIER)
                    || (rotateByConstant(i) && (modPending == MOD_INC || modPending == MOD_DEC))) {
                flush();   // it reads or changes the flags through the CPU (or leaves the method), or one modifier is pending
            }
            faultFlags[first + k] = deferredCode();
            int off = i.offset, nextOff = i.offset + i.len, size = i.size;
            if (afterSti) {
                // the shadow covers exactly this instruction: the dispatcher delivers nothing before it ends
                cb.aload(C);
                cb.loadConstant(0);
                cb.putfield(CD_CPU, "interruptShadow", CD_boolean);
            }
            if (!cannotFault(i)) {
                if (eipUnread(i)) {
                    faultEip[first + k] = off + base;   // the fault handler sets EIP
                } else {
                    storeEip(off);
                }
                cb.loadConstant(first + k);
                cb.istore(KIDX);
            }
            if (!specialised(i) || Interpreter.isString(i.op)) {
                syncCount(k);   // the interpreter, and StringOps counting iterations, see the exact count
            }
            faultDelta[first + k] = k - synced;
            if (i.atomic) {
                emitGeneric(k, last, nextOff);   // a locked read-modify-write: atomic in the interpreter
                return;
            }
            switch (i.op) {
                case Op.NOP, Op.NOP_E -> { }
                case Op.ALU -> {
                    if (i.sub == Alu.CMP) {
                        aluBegin(Alu.CMP, size);
                        loadOperand(i, i.dst, size);
                        loadOperand(i, i.src, size);
                        aluEnd(Alu.SUB, size);
                        cb.pop();
                    } else {
                        rmwBegin(i, size);
                        rmwStorePrefix(i, size);
                        aluBegin(i.sub, size);
                        rmwLoad(i, size);
                        loadOperand(i, i.src, size);
                        aluEnd(i.sub, size);
                        rmwStore(i, size);
                        afterWrite(i, nextOff, k);
                    }
                }
                case Op.INC, Op.DEC -> {   // flags deferred: Alu.inc/dec records them from the operand in FR
                    rmwBegin(i, size);
                    rmwStorePrefix(i, size);
                    rmwLoad(i, size);
                    cb.istore(FR);
                    modPending = i.op == Op.INC ? MOD_INC : MOD_DEC;
                    modSize = size;
                    incDecResult();
                    rmwStore(i, size);
                    afterWrite(i, nextOff, k);
                }
                case Op.NEG -> {   // Alu.neg: 0 - operand
                    rmwBegin(i, size);
                    rmwStorePrefix(i, size);
                    cb.loadConstant(size);
                    cb.loadConstant(0);
                    rmwLoad(i, size);
                    aluEnd(Alu.SUB, size);
                    rmwStore(i, size);
                    afterWrite(i, nextOff, k);
                }
                case Op.NOT -> {
                    rmwBegin(i, size);
                    rmwStorePrefix(i, size);
                    cb.loadConstant(size);
                    rmwLoad(i, size);
                    cb.invokestatic(CD_ALU, "not", I_II);
                    rmwStore(i, size);
                    afterWrite(i, nextOff, k);
                }
                case Op.TEST -> {
                    cb.loadConstant(size);
                    loadOperand(i, i.dst, size);
                    loadOperand(i, i.src, size);
                    cb.iand();
                    logicEnd(size);
                    cb.pop();
                }
                case Op.MOV -> {
                    beginWrite(i, size);
                    loadOperand(i, i.src, size);
                    endWrite(i, size);
                    afterWrite(i, nextOff, k);
                }
                case Op.MOVZX, Op.MOVSX -> {
                    beginStoreReg(i.reg, size);
                    loadE(i, i.sub);
                    if (i.op == Op.MOVSX) {
                        if (i.sub == 1) {
                            cb.i2b();
                        } else {
                            cb.i2s();
                        }
                    }
                    endStoreReg(size);
                }
                case Op.LEA -> {
                    beginStoreReg(i.reg, size);
                    ea(i);
                    endStoreReg(size);
                }
                case Op.PUSH -> {
                    cb.aload(C);
                    cb.loadConstant(size);
                    loadOperand(i, i.src, size);
                    cb.invokevirtual(CD_CPU, "push", V_II);
                    checkValid(nextOff, k + 1);
                }
                case Op.POP -> {
                    if (!specialised(i)) {
                        emitGeneric(k, last, nextOff);   // POP m: the address is formed after the pop
                        return;
                    }
                    // the pop (and its ESP update) happens before the register is written: POP ESP keeps the popped value
                    cb.aload(C);
                    cb.loadConstant(size);
                    cb.invokevirtual(CD_CPU, "pop", I_I);
                    cb.istore(V);
                    beginStoreReg(i.reg, size);
                    cb.iload(V);
                    endStoreReg(size);
                }
                case Op.SHIFT -> {
                    rmwBegin(i, size);
                    rmwStorePrefix(i, size);
                    if (rotateByConstant(i)) {
                        // only CF and OF change, from the result: deferred like the other flags
                        cb.loadConstant(size);
                        rmwLoad(i, size);
                        cb.loadConstant(shiftCount(i));
                        cb.invokestatic(CD_SHIFTS, i.sub == Shifts.ROL ? "rolValue" : "rorValue", I_III);
                        cb.dup();
                        cb.istore(FR);
                        modPending = i.sub;
                        modSize = size;
                    } else {
                        cb.aload(C);
                        cb.loadConstant(size);
                        rmwLoad(i, size);
                        if (i.src == Operand.CL) {
                            loadOperand(i, Operand.CL, size);
                        } else {
                            cb.loadConstant(shiftCount(i));
                        }
                        cb.invokestatic(CD_SHIFTS, switch (i.sub) {
                            case Shifts.ROL -> "rol";
                            case Shifts.ROR -> "ror";
                            case Shifts.RCL -> "rcl";
                            case Shifts.RCR -> "rcr";
                            case Shifts.SHL, Shifts.SAL -> "shl";
                            case Shifts.SHR -> "shr";
                            default -> "sar";
                        }, ALU3);
                    }
                    rmwStore(i, size);
                    afterWrite(i, nextOff, k);
                }
                case Op.CMOV -> {
                    Label skip = cb.newLabel();
                    loadE(i, size);   // read even when the condition is false (it may fault)
                    cb.istore(V);
                    condition(i.sub);
                    cb.ifeq(skip);
                    beginStoreReg(i.reg, size);
                    cb.iload(V);
                    endStoreReg(size);
                    cb.labelBinding(skip);
                }
                case Op.SETCC -> {
                    beginWrite(i, 1);
                    condition(i.sub);
                    endWrite(i, 1);
                    afterWrite(i, nextOff, k);
                }
                case Op.IMUL2 -> {
                    beginStoreReg(i.reg, size);
                    cb.aload(C);
                    cb.loadConstant(size);
                    loadOperand(i, i.src, size);
                    loadOperand(i, i.src2, size);
                    cb.invokestatic(CD_MULDIV, "imul", ALU3);
                    endStoreReg(size);
                }
                case Op.XCHG -> {
                    rmwBegin(i, size);
                    rmwLoad(i, size);
                    cb.istore(V);
                    rmwStorePrefix(i, size);
                    loadOperand(i, i.src, size);
                    rmwStore(i, size);
                    beginStoreReg(i.reg, size);
                    cb.iload(V);
                    endStoreReg(size);
                    afterWrite(i, nextOff, k);
                }
                case Op.CBW, Op.CWD -> {
                    cb.aload(C);
                    cb.loadConstant(i.o32 ? 1 : 0);
                    cb.invokestatic(CD_ALU, i.op == Op.CBW ? "cbw" : "cwd", MethodTypeDesc.of(CD_void, CD_CPU, CD_boolean));
                }
                case Op.LEAVE -> {
                    cb.aload(C);
                    cb.loadConstant(size);
                    cb.invokestatic(CD_STACK, "leave", MethodTypeDesc.of(CD_void, CD_CPU, CD_int));
                }
                case Op.CLC, Op.STC, Op.CLD, Op.STD -> {
                    cb.aload(C);
                    cb.loadConstant(i.op == Op.CLC || i.op == Op.STC ? Flags.CF : Flags.DF);
                    cb.loadConstant(i.op == Op.STC || i.op == Op.STD ? 1 : 0);
                    cb.invokevirtual(CD_CPU, "setFlag", V_IZ);
                }
                case Op.CMC -> {
                    cb.aload(C);
                    cb.loadConstant(Flags.CF);
                    cb.aload(C);
                    cb.invokevirtual(CD_CPU, "cf", Z_V);
                    cb.loadConstant(1);
                    cb.ixor();
                    cb.invokevirtual(CD_CPU, "setFlag", V_IZ);
                }
                case Op.CLI, Op.STI -> {
                    cb.aload(C);
                    cb.invokestatic(CD_SYSOPS, i.op == Op.CLI ? "cli" : "sti", STATIC_V);
                }
                case Op.PUSHF -> {
                    cb.aload(C);
                    cb.loadConstant(size);
                    cb.aload(C);
                    cb.invokestatic(CD_SYSOPS, "pushfImage", STATIC_I);
                    cb.invokevirtual(CD_CPU, "push", V_II);
                    checkValid(nextOff, k + 1);
                }
                case Op.JCC -> {
                    emitJump(i, k, nextOff, last);
                    if (last) {
                        return;
                    }
                }
                case Op.CALL -> {
                    cb.aload(C);
                    cb.loadConstant(size);
                    cb.loadConstant(i.o32 ? 1 : 0);
                    if (i.src == Operand.REL) {
                        eipAt(nextOff);
                        cb.loadConstant(i.imm);
                        cb.iadd();
                    } else {
                        loadE(i, size);
                    }
                    eipAt(nextOff);
                    cb.invokestatic(CD_BRANCH, "call", CALL);
                    int callee = i.src == Operand.REL ? directTarget(i, base + nextOff + i.imm) : -1;
                    if (callee >= 0) {
                        jumpTo(callee, k + 1);
                    } else {
                        returnRetired(k + 1);
                    }
                    return;
                }
                case Op.RET -> {
                    cb.aload(C);
                    cb.loadConstant(size);
                    cb.loadConstant(i.o32 ? 1 : 0);
                    loadOperand(i, i.src, size);   // the bytes to release: the immediate, or none
                    cb.invokestatic(CD_BRANCH, "ret", RET);
                    returnRetired(k + 1);
                    return;
                }
                case Op.LOOP, Op.JCXZ -> {
                    cb.aload(C);
                    if (i.op == Op.LOOP) {
                        cb.loadConstant(i.sub);   // Branch.LOOP, LOOPZ or LOOPNZ
                    }
                    cb.loadConstant(i.a32 ? 1 : 0);
                    cb.loadConstant(i.o32 ? 1 : 0);
                    eipAt(nextOff);
                    cb.loadConstant(i.imm);
                    cb.iadd();
                    if (i.op == Op.JCXZ) {
                        cb.invokestatic(CD_BRANCH, "jcxz", JCXZ);
                    } else {
                        cb.invokestatic(CD_BRANCH, "loop", LOOP);
                    }
                    Label notTaken = cb.newLabel();
                    cb.ifeq(notTaken);
                    int target = directTarget(i, base + nextOff + i.imm);
                    if (target >= 0) {
                        jumpTo(target, k + 1);
                    } else {
                        returnRetired(k + 1);   // the branch set EIP
                    }
                    cb.labelBinding(notTaken);
                    if (last) {
                        continueAt(i, nextOff, k + 1);
                        return;
                    }
                }
                case Op.SAHF, Op.LAHF -> {
                    cb.aload(C);
                    cb.invokestatic(CD_SYSOPS, i.op == Op.SAHF ? "sahf" : "lahf", STATIC_V);
                }
                case Op.MUL, Op.IMUL1, Op.DIV, Op.IDIV -> {
                    cb.aload(C);
                    cb.loadConstant(size);
                    loadE(i, size);
                    cb.invokestatic(CD_MULDIV, switch (i.op) {
                        case Op.MUL -> "mul";
                        case Op.IMUL1 -> "imul1";
                        case Op.DIV -> "div";
                        default -> "idiv";
                    }, MUL1);
                }
                case Op.BSF, Op.BSR -> {
                    beginStoreReg(i.reg, size);
                    cb.aload(C);
                    cb.loadConstant(size);
                    loadE(i, size);
                    readReg(i.reg, size);
                    cb.invokestatic(CD_BITOPS, i.op == Op.BSF ? "bsf" : "bsr", ALU3);
                    endStoreReg(size);
                }
                case Op.BT -> {
                    if (!specialised(i)) {
                        emitGeneric(k, last, nextOff);   // BT m, reg: the bit offset also moves the address
                        return;
                    }
                    if (i.sub == BitOps.BT) {
                        cb.aload(C);
                        cb.loadConstant(BitOps.BT);
                        cb.loadConstant(size);
                        loadE(i, size);
                        bitNumber(i, size);
                        cb.invokestatic(CD_BITOPS, "bitOp", ALU4);
                        cb.pop();
                    } else {
                        rmwBegin(i, size);
                        rmwStorePrefix(i, size);
                        cb.aload(C);
                        cb.loadConstant(i.sub);
                        cb.loadConstant(size);
                        rmwLoad(i, size);
                        bitNumber(i, size);
                        cb.invokestatic(CD_BITOPS, "bitOp", ALU4);
                        rmwStore(i, size);
                        afterWrite(i, nextOff, k);
                    }
                }
                case Op.SHLD, Op.SHRD -> {
                    rmwBegin(i, size);
                    rmwStorePrefix(i, size);
                    cb.aload(C);
                    cb.loadConstant(size);
                    rmwLoad(i, size);
                    loadOperand(i, i.src, size);
                    loadOperand(i, i.src2, size);
                    cb.invokestatic(CD_SHIFTS, i.op == Op.SHLD ? "shld" : "shrd", ALU4);
                    rmwStore(i, size);
                    afterWrite(i, nextOff, k);
                }
                case Op.XADD -> {
                    rmwBegin(i, size);
                    rmwStorePrefix(i, size);
                    cb.aload(C);
                    cb.loadConstant(size);
                    cb.loadConstant(i.reg);
                    rmwLoad(i, size);
                    cb.invokestatic(CD_ALU, "xadd", ALU3);
                    rmwStore(i, size);
                    afterWrite(i, nextOff, k);
                }
                case Op.CMPXCHG -> {
                    rmwBegin(i, size);
                    rmwStorePrefix(i, size);
                    cb.aload(C);
                    cb.loadConstant(size);
                    readReg(Cpu.EAX, size);
                    rmwLoad(i, size);
                    readReg(i.reg, size);
                    cb.invokestatic(CD_ALU, "cmpxchg", ALU4);
                    rmwStore(i, size);
                    afterWrite(i, nextOff, k);
                }
                case Op.MOVS, Op.CMPS, Op.STOS, Op.LODS, Op.SCAS, Op.INS, Op.OUTS -> {
                    // StringOps counts each iteration; a batch that leaves iterations over keeps EIP here
                    // and, as in the interpreter's block loop, counts as one retired instruction
                    cb.aload(C);
                    cb.loadConstant(Interpreter.stringKind(i.op));
                    cb.loadConstant(size);
                    cb.loadConstant(i.a32 ? 1 : 0);
                    cb.loadConstant(i.seg);
                    cb.loadConstant(i.rep);
                    cb.invokestatic(CD_STRINGOPS, "run", STRING);
                    Label complete = cb.newLabel();
                    cb.ifne(complete);
                    returnRetired(k + 1);
                    cb.labelBinding(complete);
                    if (i.op == Op.MOVS || i.op == Op.STOS || i.op == Op.INS) {
                        checkValid(nextOff, k + 1);
                    }
                }
                case Op.JMP -> {
                    if (i.src == Operand.REL) {
                        emitJump(i, k, nextOff, last);
                        return;
                    }
                    cb.aload(C);
                    cb.aload(C);
                    loadE(i, size);
                    cb.loadConstant(i.o32 ? 1 : 0);
                    cb.invokestatic(CD_BRANCH, "near", NEAR);
                    cb.putfield(CD_CPU, "eip", CD_int);
                    returnRetired(k + 1);
                    return;
                }
                default -> {
                    emitGeneric(k, last, nextOff);
                    return;
                }
            }
            if (last) {
                continueAt(i, nextOff, k + 1);
            } else {
                interruptWindow(nextOff, k + 1);
            }
        }

        /** After the instruction in an STI shadow: leave if an interrupt can now be taken (SDM 6.8.3). */
        void interruptWindow(int nextOff, int retired) {
            if (!afterSti) {
                return;
            }
            Label stay = cb.newLabel();
            cb.aload(C);
            cb.getfield(CD_CPU, "interrupts", CD_IRQ);
            cb.invokeinterface(CD_IRQ, "hasInterrupt", Z_V);
            cb.ifeq(stay);
            cb.aload(C);
            cb.invokevirtual(CD_CPU, "interruptsEnabled", Z_V);
            cb.ifeq(stay);
            exitAt(nextOff, retired);
            cb.labelBinding(stay);
        }

        /**
         * True for the instructions that run inline and neither read nor change the flags
         * through the CPU, or produce them deferred (ADD, SUB, CMP, logic, TEST, NEG), or
         * take their condition from the deferred operands when they can ({@link #condition}):
         * deferred flags stay in the locals across them. Their faults are covered by the
         * fault handler, their exits by {@link #returnRetired} and {@link #jumpTo}.
         */
        boolean keepsFlags(Insn i) {
            if (i.atomic) {
                return false;   // runs through the interpreter (specialised() says why), which works on the CPU's flags
            }
            return switch (i.op) {
                case Op.NOP, Op.NOP_E, Op.MOV, Op.MOVZX, Op.MOVSX, Op.LEA, Op.PUSH, Op.XCHG, Op.NOT, Op.CBW, Op.CWD,
                     Op.LEAVE, Op.CLI, Op.STI, Op.JCC, Op.SETCC, Op.CMOV, Op.TEST, Op.NEG, Op.INC, Op.DEC -> true;
                case Op.POP -> i.dst == Operand.G;
                case Op.JMP -> i.src == Operand.REL;
                case Op.ALU -> i.sub != Alu.ADC && i.sub != Alu.SBB;
                case Op.SHIFT -> rotateByConstant(i);
                default -> false;
            };
        }

        /** The count of a shift by an immediate or by one (not by CL), masked to five bits. */
        int shiftCount(Insn i) {
            return (i.src == Operand.IMM ? i.imm : 1) & 0x1f;
        }

        /** ROL or ROR by a constant that is not zero once masked: the flags can be deferred. */
        boolean rotateByConstant(Insn i) {
            return i.op == Op.SHIFT && (i.sub == Shifts.ROL || i.sub == Shifts.ROR) && i.src != Operand.CL
                    && shiftCount(i) != 0;
        }

        /** True for the instructions this class emits itself; the others run through the interpreter. */
        boolean specialised(Insn i) {
            if (i.atomic) {
                return false;   // locked read-modify-writes: the interpreter makes them atomic when vCPUs share memory
            }
            return switch (i.op) {
                case Op.NOP, Op.NOP_E, Op.ALU, Op.INC, Op.DEC, Op.NEG, Op.NOT, Op.TEST, Op.MOV, Op.MOVZX, Op.MOVSX,
                     Op.LEA, Op.PUSH, Op.XCHG, Op.SHIFT, Op.CMOV, Op.SETCC, Op.IMUL2, Op.CLC, Op.STC, Op.CLD, Op.STD,
                     Op.CMC, Op.CLI, Op.STI, Op.PUSHF, Op.JCC, Op.JMP, Op.CALL, Op.RET, Op.CBW, Op.CWD, Op.LEAVE,
                     Op.LOOP, Op.JCXZ, Op.SAHF, Op.LAHF, Op.MUL, Op.IMUL1, Op.DIV, Op.IDIV, Op.BSF, Op.BSR, Op.SHLD,
                     Op.SHRD, Op.XADD, Op.CMPXCHG, Op.MOVS, Op.CMPS, Op.STOS, Op.LODS, Op.SCAS, Op.INS, Op.OUTS -> true;
                case Op.POP -> i.dst == Operand.G;
                case Op.BT -> i.src == Operand.IMM || !i.isMem();
                default -> false;
            };
        }

        /** BT/BTS/BTR/BTC: the bit number, an immediate or a register (reduced by {@link BitOps#bitOp}). */
        void bitNumber(Insn i, int size) {
            loadOperand(i, i.src, size);
        }

        /** After an instruction that wrote its destination: a memory write may have hit this block. */
        void afterWrite(Insn i, int nextOff, int k) {
            if (dstReg(i) < 0) {
                checkValid(nextOff, k + 1);
            }
        }

        /** Any instruction: the interpreter runs its decoded form; leave if it did not fall through. */
        void emitGeneric(int k, boolean last, int nextOff) {
            cb.aload(INTERP);
            cb.aload(THIS);
            cb.getfield(CD_TRANSLATION, "insns", CD_INSN.arrayType());
            cb.loadConstant(first + k);
            cb.aaload();
            cb.invokevirtual(CD_INTERP, "execute", EXECUTE);
            if (last) {
                returnRetired(k + 1);
                return;
            }
            // a repeated string instruction with iterations left keeps EIP; a write may have hit this block
            Label leave = cb.newLabel(), go = cb.newLabel();
            cb.aload(C);
            cb.getfield(CD_CPU, "eip", CD_int);
            eipAt(nextOff);
            cb.if_icmpne(leave);
            cb.aload(B);
            cb.getfield(CD_BLOCK, "valid", CD_boolean);
            cb.ifne(go);
            cb.labelBinding(leave);
            returnRetired(k + 1);
            cb.labelBinding(go);
            interruptWindow(nextOff, k + 1);
        }

        /**
         * Jcc / JMP rel: the CS limit check of the target, or a loop back to this block's start.
         * A Jcc before the block's end is a side exit: not taken, the block goes on.
         */
        void emitJump(Insn i, int k, int nextOff, boolean last) {
            if (!last && i.op == Op.JCC && i.imm == 0 && (i.o32 || !code32)) {
                // taken or not, execution goes on at the next instruction, as in the interpreter's block loop
                return;
            }
            Label notTaken = cb.newLabel();
            if (i.op == Op.JCC) {
                condition(i.sub);
                cb.ifeq(notTaken);
            }
            // a target inside the region passed the CS limit check with the region's extent on entry
            int target = directTarget(i, base + nextOff + i.imm);
            if (target >= 0) {
                jumpTo(target, k + 1);
            } else {
                cb.aload(C);
                cb.aload(C);
                eipAt(nextOff);
                cb.loadConstant(i.imm);
                cb.iadd();
                cb.loadConstant(i.o32 ? 1 : 0);
                cb.invokestatic(CD_BRANCH, "near", NEAR);
                cb.putfield(CD_CPU, "eip", CD_int);
                returnRetired(k + 1);
            }
            cb.labelBinding(notTaken);
            if (i.op == Op.JCC && last) {
                continueAt(i, nextOff, k + 1);
            }
        }
    }

    /**
     * Translates a region: {@code region[0]} is the entry, the other blocks come from the
     * same physical page in 32-bit code, reachable from the entry by jumps with known
     * targets; a jump from one to another becomes a goto inside one method (chaining without
     * a return to the dispatcher). {@code flatSegs} is the CPU's {@link Cpu#flatSegs} when
     * the entry became hot: segments flat then are accessed without segment checks, and the
     * engine enters the translation only while they still are. A region whose method would
     * exceed {@link #MAX_METHOD_BYTES} is translated with fewer blocks.
     */
    Result translate(Block[] region, int flatSegs) {
        int n = region.length;
        while (true) {
            Block[] part = n == region.length ? region : java.util.Arrays.copyOf(region, n);
            Result r = translateExactly(part, flatSegs);
            if (n == 1 || codeLength(r.bytes()) <= MAX_METHOD_BYTES) {
                return r;
            }
            n = Math.max(1, n / 2);
        }
    }

    private int codeLength(byte[] bytes) {
        for (var m : classFile.parse(bytes).methods()) {
            if (m.methodName().equalsString("run") && m.code().orElse(null) instanceof CodeAttribute code) {
                return code.codeLength();
            }
        }
        return 0;
    }

    private Result translateExactly(Block[] region, int flatSegs) {
        Block b = region[0];
        boolean code32 = (b.key & 1) != 0;
        int[] bases = new int[region.length];
        int low = 0, high = b.byteLength;
        for (int j = 0; j < region.length; j++) {
            bases[j] = (int) ((region[j].key >> 1) - (b.key >> 1));
            low = Math.min(low, bases[j]);
            high = Math.max(high, bases[j] + region[j].byteLength);
        }
        int[] needed = new int[1];
        int[][] delta = new int[1][];
        int[][] eips = new int[1][];
        int[][] flags = new int[1][];
        byte[] bytes = classFile.build(ClassDesc.of("io.jvisor.engine.TranslatedBlock"), clb -> {
            clb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER);
            clb.withSuperclass(CD_TRANSLATION);
            clb.withMethodBody(ConstantDescs.INIT_NAME, ConstantDescs.MTD_void, ClassFile.ACC_PUBLIC, cb -> {
                cb.aload(THIS);
                cb.invokespecial(CD_TRANSLATION, ConstantDescs.INIT_NAME, ConstantDescs.MTD_void);
                cb.return_();
            });
            clb.withMethodBody("run", MTD_RUN, ClassFile.ACC_FINAL, cb -> {
                Emitter e = new Emitter(cb, region, bases, code32, flatSegs & 0x3f);
                cb.aload(C);
                cb.getfield(CD_CPU, "r", CD_int.arrayType());
                cb.astore(R);
                cb.aload(C);
                cb.getfield(CD_CPU, "eip", CD_int);
                cb.istore(EIP0);
                cb.loadConstant(0);
                cb.istore(LIN);
                cb.loadConstant(0);
                cb.istore(V);
                cb.loadConstant(0);
                cb.istore(KIDX);
                cb.loadConstant(0);
                cb.istore(FA);
                cb.loadConstant(0);
                cb.istore(FB);
                cb.loadConstant(0);
                cb.istore(FR);
                Label start = cb.newLabel(), end = cb.newLabel(), handler = cb.newLabel();
                cb.labelBinding(start);
                for (int j = 0; j < region.length; j++) {
                    e.beginBlock(j);
                    for (int k = 0; k < e.insns.length; k++) {
                        Insn i = e.insns[k];
                        if (i.op == Op.LXS) {
                            e.flatAvailable = 0;   // a segment load: later instructions make no flatness assumption
                        }
                        e.emit(k);
                        e.afterSti = i.op == Op.STI;
                    }
                    e.first += e.insns.length;
                }
                cb.labelBinding(end);
                // a guest fault: count the instructions of this pass before the faulting one, then let the engine deliver it
                cb.labelBinding(handler);
                cb.aload(C);
                cb.dup();
                cb.getfield(CD_CPU, "instructions", CD_long);
                cb.aload(THIS);
                cb.getfield(CD_TRANSLATION, "faultDelta", CD_int.arrayType());
                cb.iload(KIDX);
                cb.iaload();
                cb.i2l();
                cb.ladd();
                cb.putfield(CD_CPU, "instructions", CD_long);
                // record the flags the faulting instruction found deferred
                cb.aload(C);
                cb.aload(THIS);
                cb.getfield(CD_TRANSLATION, "faultFlags", CD_int.arrayType());
                cb.iload(KIDX);
                cb.iaload();
                cb.iload(FA);
                cb.iload(FB);
                cb.iload(FR);
                cb.invokestatic(CD_TRANSLATION, "settleDeferred", MethodTypeDesc.of(CD_void, CD_CPU, CD_int, CD_int, CD_int, CD_int));
                // and, for an instruction that did not store its EIP, put EIP at it
                Label thrown = cb.newLabel();
                cb.aload(THIS);
                cb.getfield(CD_TRANSLATION, "faultEip", CD_int.arrayType());
                cb.iload(KIDX);
                cb.iaload();
                cb.dup();
                cb.loadConstant(EIP_STORED);
                cb.if_icmpeq(thrown);
                cb.iload(EIP0);
                cb.iadd();
                if (!code32) {
                    cb.loadConstant(0xffff);
                    cb.iand();
                }
                cb.aload(C);
                cb.swap();
                cb.putfield(CD_CPU, "eip", CD_int);
                cb.loadConstant(0);   // the same stack shape (an int) on both paths into thrown
                cb.labelBinding(thrown);
                cb.pop();
                cb.athrow();
                cb.exceptionCatch(start, end, handler, CD_FAULT);
                needed[0] = e.flatNeeded;
                delta[0] = e.faultDelta;
                eips[0] = e.faultEip;
                flags[0] = e.faultFlags;
            });
        });
        Insn[] all = java.util.Arrays.stream(region).flatMap(x -> java.util.Arrays.stream(x.insns)).toArray(Insn[]::new);
        return new Result(bytes, needed[0], delta[0], eips[0], flags[0], all, low, high, region.length);
    }
}
