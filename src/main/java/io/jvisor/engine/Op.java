package io.jvisor.engine;

/** Execution identifiers of decoded instructions: one per instruction form the interpreter distinguishes. */
final class Op {
    private Op() { }

    static final int UD = 0, NOP = 1,
            ALU_EG = 2, ALU_GE = 3, ALU_AI = 4, ALU_EI = 5,
            INC_R = 6, DEC_R = 7, PUSH_R = 8, POP_R = 9, XCHG_AR = 10, MOV_RI = 11,
            PUSH_SEG = 12, POP_SEG = 13,
            DAA = 14, DAS = 15, AAA = 16, AAS = 17, AAM = 18, AAD = 19, SALC = 20,
            PUSHA = 21, POPA = 22, BOUND = 23, ARPL = 24, PUSH_I = 25, IMUL_GEI = 26, INS = 27, OUTS = 28,
            JCC = 29, TEST_EG = 30, XCHG_EG = 31, MOV_EG = 32, MOV_GE = 33, MOV_E_SREG = 34, LEA = 35,
            MOV_SREG_E = 36, POP_E = 37, CBW = 38, CWD = 39, CALLF_AP = 40, WAIT = 41, PUSHF = 42, POPF = 43,
            SAHF = 44, LAHF = 45, MOV_A_M = 46, MOV_M_A = 47, MOVS = 48, CMPS = 49, TEST_AI = 50, STOS = 51,
            LODS = 52, SCAS = 53, SHIFT = 54, RET_I = 55, RET = 56, LXS = 57, MOV_EI = 58, ENTER = 59,
            LEAVE = 60, RETF_I = 61, RETF = 62, INT3 = 63, INT_I = 64, INTO = 65, IRET = 66, XLAT = 67,
            ESC = 68, LOOPNZ = 69, LOOPZ = 70, LOOP = 71, JCXZ = 72, IN_I = 73, OUT_I = 74, IN_D = 75,
            OUT_D = 76, CALL_REL = 77, JMP_REL = 78, JMPF_AP = 79, HLT = 80, CMC = 81, TEST_EI = 82,
            NOT = 83, NEG = 84, MUL = 85, IMUL1 = 86, DIV = 87, IDIV = 88, CLC = 89, STC = 90, CLI = 91,
            STI = 92, CLD = 93, STD = 94, INC_E = 95, DEC_E = 96, CALL_E = 97, CALLF_E = 98, JMP_E = 99,
            JMPF_E = 100, PUSH_E = 101,
            SLDT = 102, STR = 103, LLDT = 104, LTR = 105, VERR = 106, VERW = 107, SGDT = 108, SIDT = 109,
            LGDT = 110, LIDT = 111, SMSW = 112, LMSW = 113, INVLPG = 114, LAR = 115, LSL = 116, CLTS = 117,
            INVD = 118, WBINVD = 119, MOV_R_CR = 120, MOV_CR_R = 121, MOV_R_DR = 122,
            MOV_DR_R = 123, WRMSR = 124, RDTSC = 125, RDMSR = 126, SYSENTER = 127, SYSEXIT = 128, CMOV = 129,
            SETCC = 130, CPUID = 131, BT_EG = 132, BT_EI = 133, SHLD_I = 134, SHLD_CL = 135, SHRD_I = 136,
            SHRD_CL = 137, IMUL_GE = 138, CMPXCHG = 139, MOVZX = 140, MOVSX = 141, BSF = 142, BSR = 143,
            XADD = 144, CMPXCHG8B = 145, BSWAP = 146, FXSAVE = 147, FXRSTOR = 148, NOP_E = 149, RDPMC = 150;
    static final int COUNT = 151;
}
