package io.jvisor.cpu;

/**
 * A guest exception raised while executing an instruction: #GP, #PF, #UD and the rest. It
 * carries no Java stack trace (it is control flow, not a host error) and is caught by the
 * engine, which delivers it to the guest through the IDT.
 */
public final class Fault extends RuntimeException {
    public static final int DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
            TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19;

    public final int vector;
    public final int errorCode;
    public final boolean hasErrorCode;

    private Fault(int vector, int errorCode, boolean hasErrorCode) {
        super(null, null, false, false);
        this.vector = vector;
        this.errorCode = errorCode;
        this.hasErrorCode = hasErrorCode;
    }

    public static Fault of(int vector) {
        return new Fault(vector, 0, false);
    }

    public static Fault withCode(int vector, int errorCode) {
        return new Fault(vector, errorCode, true);
    }

    public static Fault gp(int errorCode) {
        return withCode(GP, errorCode);
    }

    public static Fault gp0() {
        return withCode(GP, 0);
    }

    public static Fault ud() {
        return of(UD);
    }

    public static Fault ss(int errorCode) {
        return withCode(SS, errorCode);
    }

    public static Fault np(int errorCode) {
        return withCode(NP, errorCode);
    }

    public static Fault ts(int errorCode) {
        return withCode(TS, errorCode);
    }

    /** Whether the vector pushes an error code when raised as an exception (SDM 6.13). */
    public static boolean pushesErrorCode(int vector) {
        return vector == DF || (vector >= TS && vector <= PF) || vector == AC;
    }

    @Override
    public String getMessage() {
        return hasErrorCode ? String.format("exception %d (error code 0x%x)", vector, errorCode)
                : String.format("exception %d", vector);
    }
}
