package io.jvisor.engine;

/**
 * Execution identifiers of decoded instructions: one per operation. The forms an operation
 * takes (register, memory, immediate, accumulator operands; the operand size) are data in
 * {@link OpcodeTable} ({@link Operand}), not separate ids.
 */
final class Op {
    private Op() { }

    static final int UD = 0, NOP = 1, ALU = 2, INC = 3, DEC = 4, PUSH = 5, POP = 6, XCHG = 7, MOV = 8,
            PUSH_SEG = 9, POP_SEG = 10,
            DAA = 11, DAS = 12, AAA = 13, AAS = 14, AAM = 15, AAD = 16, SALC = 17,
            PUSHA = 18, POPA = 19, BOUND = 20, ARPL = 21, IMUL2 = 22, INS = 23, OUTS = 24,
            JCC = 25, TEST = 26, MOV_E_SREG = 27, LEA = 28, MOV_SREG_E = 29, CBW = 30, CWD = 31, CALLF = 32,
            WAIT = 33, PUSHF = 34, POPF = 35, SAHF = 36, LAHF = 37, MOVS = 38, CMPS = 39, STOS = 40, LODS = 41,
            SCAS = 42, SHIFT = 43, RET = 44, LXS = 45, ENTER = 46, LEAVE = 47, RETF = 48, INT3 = 49, INT_I = 50,
            INTO = 51, IRET = 52, XLAT = 53, ESC = 54, LOOP = 55, JCXZ = 56, IN = 57, OUT = 58, CALL = 59,
            JMP = 60, JMPF = 61, HLT = 62, CMC = 63, NOT = 64, NEG = 65, MUL = 66, IMUL1 = 67, DIV = 68,
            IDIV = 69, CLC = 70, STC = 71, CLI = 72, STI = 73, CLD = 74, STD = 75,
            SLDT = 76, STR = 77, LLDT = 78, LTR = 79, VERR = 80, VERW = 81, SGDT = 82, SIDT = 83,
            LGDT = 84, LIDT = 85, SMSW = 86, LMSW = 87, INVLPG = 88, LAR = 89, LSL = 90, CLTS = 91,
            INVD = 92, WBINVD = 93, MOV_R_CR = 94, MOV_CR_R = 95, MOV_R_DR = 96, MOV_DR_R = 97, WRMSR = 98,
            RDTSC = 99, RDMSR = 100, SYSENTER = 101, SYSEXIT = 102, CMOV = 103, SETCC = 104, CPUID = 105,
            BT = 106, SHLD = 107, SHRD = 108, CMPXCHG = 109, MOVZX = 110, MOVSX = 111, BSF = 112, BSR = 113,
            XADD = 114, CMPXCHG8B = 115, BSWAP = 116, FXSAVE = 117, FXRSTOR = 118, NOP_E = 119, RDPMC = 120,
            /** LFENCE, MFENCE, SFENCE (sub-operation: ModRM.reg 5, 6, 7). */
            FENCE = 121,
            /** MMX / SSE / SSE2 ({@link SimdTable}): the sub-operation is an {@link io.jvisor.cpu.SimdOp} id. */
            SIMD = 122;
    static final int COUNT = 123;
}
