#!/usr/bin/env python3
"""check.py - validate vectors32 and vectorsSimd files.

Usage: check.py [--model] FILE.txt[.gz]...

Always checks the structure of every line (field count, widths, mask
sanity, ESP and windows).  Lines with 61 fields are SIMD lines
(vectorsSimd, README.md "SIMD vectors"); with --model they are replayed
on a model of the MMX / SSE2 integer instructions (simd_execute), SSSE3,
and the SSE / SSE2 / SSE3 floating-point instructions, LDMXCSR and
STMXCSR (fp_execute: exact arithmetic on Fractions, MXCSR rounding, DAZ,
FTZ, the #XM rules).  The 85-field x87 lines are checked for structure
only.  With --model it also replays the instruction
on a small reference interpreter written from the Intel/AMD manuals
(a subset of the families: the ALU, shift, bit, multiply/divide, BCD,
condition and data-movement ones) and compares the compared state with
what the CPU recorded.  A mismatch means either a harness/mask bug or a
case where the CPU differs from the documentation; both need a look.
"""
import gzip
import sys

CODE, DATA, STACK, WIN = 0x1000, 0x200000, 0x300000, 64
CF, PF, AF, ZF, SF, DF, OF = 1, 4, 0x10, 0x40, 0x80, 0x400, 0x800
EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI = range(8)


def parse(line):
    f = line.split()
    assert len(f) == 27, "field count %d" % len(f)
    code = bytes.fromhex(f[0])
    r0 = [int(x, 16) for x in f[1:9]]
    fl0 = int(f[9], 16)
    w0 = (bytes.fromhex(f[10]), bytes.fromhex(f[11]))
    r1 = [int(x, 16) for x in f[12:20]]
    fl1 = int(f[20], 16)
    w1 = (bytes.fromhex(f[21]), bytes.fromhex(f[22]))
    eipd, vec = int(f[23], 16), int(f[24], 16)
    fmask, rmask = int(f[25], 16), int(f[26], 16)
    for w in w0 + w1:
        assert len(w) == WIN
    assert fmask & ~0xcd5 == 0, "fmask has bits outside CF PF AF ZF SF OF DF"
    assert rmask <= 0xff
    assert STACK <= r0[ESP] <= STACK + WIN, "initial ESP outside the window"
    assert fl0 & 0x202 == 0x202 and fl0 & 0x100 == 0
    if vec >= 0 and vec != 4:
        assert eipd == 0, "fault with EIP delta %d" % eipd
    return code, r0, fl0, w0, r1, fl1, w1, eipd, vec, fmask, rmask


class Unsupported(Exception):
    pass


def parity(v):
    return PF if bin(v & 0xff).count("1") % 2 == 0 else 0


def szp(v, bits):
    m = (1 << bits) - 1
    v &= m
    return (ZF if v == 0 else 0) | (SF if v >> (bits - 1) & 1 else 0) | parity(v)


class Machine:
    def __init__(self, r, fl, w):
        self.lock = False
        self.r = list(r)
        self.fl = fl
        self.mem = {}
        for i in range(WIN):
            self.mem[DATA + i] = w[0][i]
            self.mem[STACK + i] = w[1][i]
        self.eip = CODE
        self.vec = -1

    # --- registers
    def getr(self, n, bits):
        if bits == 8:
            return (self.r[n & 3] >> (8 if n >= 4 else 0)) & 0xff
        return self.r[n] & ((1 << bits) - 1)

    def setr(self, n, bits, v):
        if bits == 8:
            sh = 8 if n >= 4 else 0
            self.r[n & 3] = (self.r[n & 3] & ~(0xff << sh) | (v & 0xff) << sh) & 0xffffffff
        elif bits == 16:
            self.r[n] = (self.r[n] & 0xffff0000) | (v & 0xffff)
        else:
            self.r[n] = v & 0xffffffff

    # --- memory
    def rd(self, a, bits):
        v = 0
        for i in range(bits // 8):
            ai = (a + i) & 0xffffffff
            if ai not in self.mem:
                raise Unsupported("read outside windows %x" % ai)
            v |= self.mem[ai] << (8 * i)
        return v

    def wr(self, a, bits, v):
        for i in range(bits // 8):
            ai = (a + i) & 0xffffffff
            if ai not in self.mem:
                raise Unsupported("write outside windows %x" % ai)
            self.mem[ai] = v >> (8 * i) & 0xff

    # --- stack (32-bit stack segment)
    def push(self, bits, v):
        self.r[ESP] = (self.r[ESP] - bits // 8) & 0xffffffff
        self.wr(self.r[ESP], bits, v & ((1 << bits) - 1))

    def pop(self, bits):
        v = self.rd(self.r[ESP], bits)
        self.r[ESP] = (self.r[ESP] + bits // 8) & 0xffffffff
        return v

    # --- operands: ('r', n) or ('m', addr)
    def get(self, op, bits):
        return self.getr(op[1], bits) if op[0] == "r" else self.rd(op[1], bits)

    def put(self, op, bits, v):
        if op[0] == "r":
            self.setr(op[1], bits, v)
        else:
            self.wr(op[1], bits, v & ((1 << bits) - 1))


class Decoder:
    def __init__(self, code):
        self.code = code
        self.pos = 0
        self.regform = False

    def byte(self):
        b = self.code[self.pos]
        self.pos += 1
        return b

    def imm(self, n, signed=False):
        v = int.from_bytes(self.code[self.pos:self.pos + n], "little")
        self.pos += n
        if signed and v >> (8 * n - 1):
            v -= 1 << (8 * n)
        return v

    def modrm(self, m, a16):
        b = self.byte()
        mod, reg, rm = b >> 6, b >> 3 & 7, b & 7
        if mod == 3:
            self.regform = True
            return reg, ("r", rm)
        r = m.r
        if a16:
            base = [r[EBX] + r[ESI], r[EBX] + r[EDI], r[EBP] + r[ESI], r[EBP] + r[EDI],
                    r[ESI], r[EDI], r[EBP], r[EBX]][rm]
            if mod == 0 and rm == 6:
                base = self.imm(2)
            elif mod == 1:
                base += self.imm(1, True)
            elif mod == 2:
                base += self.imm(2)
            return reg, ("m", base & 0xffff)
        if rm == 4:
            sib = self.byte()
            ss, idx, base = sib >> 6, sib >> 3 & 7, sib & 7
            ea = 0 if idx == 4 else r[idx] << ss
            if base == 5 and mod == 0:
                ea += self.imm(4)
            else:
                ea += r[base]
        elif rm == 5 and mod == 0:
            ea = self.imm(4)
        else:
            ea = r[rm]
        if mod == 1:
            ea += self.imm(1, True)
        elif mod == 2:
            ea += self.imm(4)
        return reg, ("m", ea & 0xffffffff)


def lockable(opc):
    """opcodes that accept LOCK (with a memory destination)"""
    if opc < 0x40:
        return opc & 7 < 2 and opc >> 3 != 7
    return opc in (0x80, 0x81, 0x82, 0x83, 0x86, 0x87, 0xf6, 0xf7, 0xfe, 0xff,
                   0x0fab, 0x0fb3, 0x0fbb, 0x0fba, 0x0fb0, 0x0fb1, 0x0fc0, 0x0fc1, 0x0fc7)


def cond(fl, cc):
    c, z, s, o, p = fl & CF, fl & ZF, bool(fl & SF), bool(fl & OF), fl & PF
    v = [o, c, z, c or z, s, p, s != o, z or s != o][cc >> 1]
    return bool(v) != bool(cc & 1)


def alu(m, op, a, b, bits):
    """returns (result, flags); op 0..7 = add or adc sbb and sub xor cmp"""
    msk = (1 << bits) - 1
    top = 1 << (bits - 1)
    cin = m.fl & CF if op in (2, 3) else 0
    if op in (0, 2):
        res = a + b + cin
        f = (CF if res > msk else 0) | ((a ^ b ^ res) & 0x10)
        f |= OF if (~(a ^ b) & (a ^ res) & top) else 0
    elif op in (3, 5, 7):
        res = a - b - cin
        f = (CF if res < 0 else 0) | ((a ^ b ^ res) & 0x10)
        f |= OF if ((a ^ b) & (a ^ res) & top) else 0
    else:
        res = {1: a | b, 4: a & b, 6: a ^ b}[op]
        f = 0
    res &= msk
    return res, f | szp(res, bits)


def setflags(m, f, affected=0xcd5 & ~DF):
    m.fl = (m.fl & ~affected) | (f & affected)


def execute(m, code):
    d = Decoder(code)
    o16 = a16 = lock = False
    rep = 0
    while True:
        b = d.byte()
        if b == 0x66:
            o16 = True
        elif b == 0x67:
            a16 = True
        elif b == 0xf0:
            lock = True
        elif b in (0xf2, 0xf3):
            rep = b
        elif b in (0x26, 0x2e, 0x36, 0x3e):
            pass
        else:
            break
    osz = 16 if o16 else 32
    m.lock = lock
    m.decoder = d
    m.opc = b if b != 0x0f else 0x0f00 | d.code[d.pos]
    if lock and not lockable(m.opc):
        m.vec = 6
        return
    # privileged at CPL 3 / IOPL 0 (#GP) and UD2 (#UD)
    if b in (0xf4, 0xfa, 0xfb, 0x6c, 0x6d, 0x6e, 0x6f) or 0xe4 <= b <= 0xe7 or 0xec <= b <= 0xef \
            or m.opc in (0x0f06, 0x0f08, 0x0f09, 0x0f20, 0x0f21, 0x0f22, 0x0f23, 0x0f30, 0x0f32):
        m.vec = 13
        return
    if m.opc == 0x0f0b:
        m.vec = 6
        return

    def fin():
        m.eip = CODE + d.pos

    # ---- ALU 00-3F
    if b < 0x40 and b & 7 < 6:
        op, form = b >> 3, b & 7
        bits = 8 if form in (0, 2, 4) else osz
        if form < 4:
            reg, rm = d.modrm(m, a16)
            ro = ("r", reg)
            dst, src = (rm, ro) if form < 2 else (ro, rm)
        else:
            dst, src = ("r", EAX), ("i", d.imm(bits // 8))
        a = m.get(dst, bits)
        bv = src[1] if src[0] == "i" else m.get(src, bits)
        res, f = alu(m, op, a, bv, bits)
        if op != 7:
            m.put(dst, bits, res)
        setflags(m, f)
        return fin()
    if b in (0x80, 0x81, 0x82, 0x83):
        bits = 8 if b in (0x80, 0x82) else osz
        op, rm = d.modrm(m, a16)
        if b == 0x81:
            iv = d.imm(bits // 8)
        else:
            iv = d.imm(1, True) & ((1 << bits) - 1)
        res, f = alu(m, op, m.get(rm, bits), iv, bits)
        if op != 7:
            m.put(rm, bits, res)
        setflags(m, f)
        return fin()
    # ---- TEST
    if b in (0x84, 0x85, 0xa8, 0xa9):
        bits = 8 if b in (0x84, 0xa8) else osz
        if b in (0x84, 0x85):
            reg, rm = d.modrm(m, a16)
            a, bv = m.get(rm, bits), m.getr(reg, bits)
        else:
            a, bv = m.getr(EAX, bits), d.imm(bits // 8)
        setflags(m, szp(a & bv, bits))
        return fin()
    # ---- INC/DEC r
    if 0x40 <= b < 0x50:
        n = b & 7
        a = m.getr(n, osz)
        res, f = alu(m, 5 if b & 8 else 0, a, 1, osz)
        m.setr(n, osz, res)
        setflags(m, f, 0xcd5 & ~DF & ~CF)
        return fin()
    # ---- group 3
    if b in (0xf6, 0xf7):
        bits = 8 if b == 0xf6 else osz
        msk = (1 << bits) - 1
        ext, rm = d.modrm(m, a16)
        a = m.get(rm, bits)
        if ext == 0:
            setflags(m, szp(a & d.imm(bits // 8), bits))
        elif ext == 2:
            m.put(rm, bits, ~a)
        elif ext == 3:
            res, f = alu(m, 5, 0, a, bits)
            m.put(rm, bits, res)
            setflags(m, f)
        elif ext in (4, 5):
            acc = m.getr(EAX, bits)
            if ext == 4:
                p = acc * a
                over = p >> bits != 0
            else:
                sa = acc - (1 << bits) if acc >> (bits - 1) else acc
                sb = a - (1 << bits) if a >> (bits - 1) else a
                p = sa * sb
                over = not (-(1 << (bits - 1)) <= p < (1 << (bits - 1)))
                p &= (1 << (2 * bits)) - 1
            if bits == 8:
                m.setr(EAX, 16, p)
            else:
                m.setr(EAX, bits, p & msk)
                m.setr(EDX, bits, p >> bits)
            setflags(m, (CF | OF) if over else 0, CF | OF)
        else:
            if bits == 8:
                n = m.getr(EAX, 16)
            else:
                n = m.getr(EDX, bits) << bits | m.getr(EAX, bits)
            if a == 0:
                m.vec = 0
                return
            if ext == 6:
                q, r = divmod(n, a)
                if q > msk:
                    m.vec = 0
                    return
            else:
                sn = n - (1 << 2 * bits) if n >> (2 * bits - 1) else n
                sa = a - (1 << bits) if a >> (bits - 1) else a
                q = abs(sn) // abs(sa)
                if (sn < 0) != (sa < 0):
                    q = -q
                r = sn - q * sa
                if not (-(1 << (bits - 1)) <= q < (1 << (bits - 1))):
                    m.vec = 0
                    return
            if bits == 8:
                m.setr(EAX, 8, q)
                m.setr(4, 8, r)
            else:
                m.setr(EAX, bits, q)
                m.setr(EDX, bits, r)
        return fin()
    # ---- INC/DEC r/m
    if b in (0xfe, 0xff):
        bits = 8 if b == 0xfe else osz
        ext, rm = d.modrm(m, a16)
        if ext > 1:
            return ff_branch(m, d, ext, rm, osz, fin)
        res, f = alu(m, 5 if ext else 0, m.get(rm, bits), 1, bits)
        m.put(rm, bits, res)
        setflags(m, f, 0xcd5 & ~DF & ~CF)
        return fin()
    # ---- shifts and rotates
    if b in (0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3):
        bits = 8 if b & 1 == 0 else osz
        ext, rm = d.modrm(m, a16)
        cnt = d.imm(1) if b < 0xd0 else 1 if b < 0xd2 else m.r[ECX] & 0xff
        shift(m, ext, rm, bits, cnt & 31)
        return fin()
    if b == 0x0f:
        return execute_0f(m, d, o16, a16, osz, fin)
    # ---- BCD
    if b in (0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5):
        bcd(m, b, d)
        return fin() if m.vec < 0 else None
    # ---- Jcc short, loops
    if 0x70 <= b < 0x80 or 0xe0 <= b <= 0xe3:
        disp = d.imm(1, True)
        if b < 0x80:
            taken = cond(m.fl, b & 15)
        else:
            cmask = 0xffff if a16 else 0xffffffff
            if b == 0xe3:
                taken = m.r[ECX] & cmask == 0
            else:
                c = (m.r[ECX] - 1) & cmask
                m.r[ECX] = (m.r[ECX] & ~cmask) | c
                taken = c != 0 and (b == 0xe2 or bool(m.fl & ZF) == (b == 0xe1))
        fin()
        if taken:
            m.eip = (m.eip + disp) & (0xffff if o16 else 0xffffffff)
        return
    if b in (0x98, 0x99):
        ax = m.r[EAX]
        if b == 0x98:
            if o16:
                m.setr(EAX, 16, (ax & 0xff) - (0x100 if ax & 0x80 else 0))
            else:
                m.r[EAX] = ((ax & 0xffff) - (0x10000 if ax & 0x8000 else 0)) & 0xffffffff
        else:
            top = ax >> (osz - 1) & 1
            m.setr(EDX, osz, 0xffffffff if top else 0)
        return fin()
    return execute_more(m, d, b, o16, a16, osz, rep, fin)


def execute_more(m, d, b, o16, a16, osz, rep, fin):
    ipmask = 0xffff if o16 else 0xffffffff
    # ---- MOV
    if 0x88 <= b <= 0x8b:
        bits = 8 if b & 1 == 0 else osz
        reg, rm = d.modrm(m, a16)
        if b < 0x8a:
            m.put(rm, bits, m.getr(reg, bits))
        else:
            m.setr(reg, bits, m.get(rm, bits))
        return fin()
    if 0xb0 <= b <= 0xbf:
        bits = 8 if b < 0xb8 else osz
        m.setr(b & 7, bits, d.imm(bits // 8))
        return fin()
    if b in (0xc6, 0xc7):
        bits = 8 if b == 0xc6 else osz
        _, rm = d.modrm(m, a16)
        m.put(rm, bits, d.imm(bits // 8))
        return fin()
    if 0xa0 <= b <= 0xa3:
        bits = 8 if b & 1 == 0 else osz
        a = d.imm(2 if a16 else 4)
        if b < 0xa2:
            m.setr(EAX, bits, m.rd(a, bits))
        else:
            m.wr(a, bits, m.getr(EAX, bits))
        return fin()
    # ---- XCHG
    if b in (0x86, 0x87):
        bits = 8 if b == 0x86 else osz
        reg, rm = d.modrm(m, a16)
        a, v = m.get(rm, bits), m.getr(reg, bits)
        m.put(rm, bits, v)
        m.setr(reg, bits, a)
        return fin()
    if 0x90 <= b <= 0x97:
        a, v = m.getr(EAX, osz), m.getr(b & 7, osz)
        m.setr(EAX, osz, v)
        m.setr(b & 7, osz, a)
        return fin()
    # ---- LEA
    if b == 0x8d:
        reg, rm = d.modrm(m, a16)
        if rm[0] == "r":
            m.vec = 6
            return
        m.setr(reg, osz, rm[1])
        return fin()
    # ---- PUSH/POP
    if 0x50 <= b <= 0x57:
        m.push(osz, m.getr(b & 7, osz))
        return fin()
    if 0x58 <= b <= 0x5f:
        v = m.pop(osz)
        m.setr(b & 7, osz, v)
        return fin()
    if b in (0x6a, 0x68):
        v = d.imm(1, True) if b == 0x6a else d.imm(osz // 8)
        m.push(osz, v)
        return fin()
    if b == 0x8f:
        # the address uses ESP after the pop
        v = m.pop(osz)
        _, rm = d.modrm(m, a16)
        m.put(rm, osz, v)
        return fin()
    if b == 0x60:
        t = m.r[ESP]
        for n in (EAX, ECX, EDX, EBX):
            m.push(osz, m.getr(n, osz))
        m.push(osz, t)
        for n in (EBP, ESI, EDI):
            m.push(osz, m.getr(n, osz))
        return fin()
    if b == 0x61:
        for n in (EDI, ESI, EBP, None, EBX, EDX, ECX, EAX):
            v = m.pop(osz)
            if n is not None:
                m.setr(n, osz, v)
        return fin()
    # ---- flags
    if b == 0x9c:
        m.push(osz, m.fl & 0x00fcffff)
        return fin()
    if b == 0x9d:
        v = m.pop(osz)
        ch = 0x254dd5 if osz == 32 else 0x4dd5     # CPL 3, IOPL 0
        m.fl = (m.fl & ~ch) | (v & ch) | 2
        return fin()
    if b == 0x9e:
        ah = m.r[EAX] >> 8 & 0xff
        m.fl = m.fl & ~0xd5 | ah & 0xd5
        return fin()
    if b == 0x9f:
        m.setr(4, 8, m.fl & 0xd7 | 2)
        return fin()
    if b in (0xf5, 0xf8, 0xf9, 0xfc, 0xfd):
        m.fl = {0xf5: m.fl ^ CF, 0xf8: m.fl & ~CF, 0xf9: m.fl | CF,
                0xfc: m.fl & ~DF, 0xfd: m.fl | DF}[b]
        return fin()
    # ---- ENTER/LEAVE
    if b == 0xc8:
        size, level = d.imm(2), d.imm(1) & 31
        step = osz // 8
        m.push(osz, m.getr(EBP, osz))
        frame = m.r[ESP]
        if level:
            ebp = m.r[EBP]
            for _ in range(level - 1):
                ebp = (ebp - step) & 0xffffffff
                m.push(osz, m.rd(ebp, osz))
            m.push(osz, frame)
            m.r[EBP] = ebp
        m.setr(EBP, osz, frame)
        m.r[ESP] = (m.r[ESP] - size) & 0xffffffff
        return fin()
    if b == 0xc9:
        m.r[ESP] = m.r[EBP]
        m.setr(EBP, osz, m.pop(osz))
        return fin()
    # ---- JMP/CALL/RET
    if b in (0xeb, 0xe9, 0xe8):
        disp = d.imm(1, True) if b == 0xeb else d.imm(osz // 8, True)
        fin()
        if b == 0xe8:
            m.push(osz, m.eip)
        m.eip = (m.eip + disp) & ipmask
        return
    if b in (0xc2, 0xc3):
        imm = d.imm(2) if b == 0xc2 else 0
        m.eip = m.pop(osz)
        m.r[ESP] = (m.r[ESP] + imm) & 0xffffffff
        return
    # ---- string instructions
    if 0xa4 <= b <= 0xaf and b not in (0xa8, 0xa9):
        bits = 8 if b & 1 == 0 else osz
        step = -(bits // 8) if m.fl & DF else bits // 8
        amask = 0xffff if a16 else 0xffffffff
        kind = b & 0xfe

        def adv(n):
            m.r[n] = (m.r[n] & ~amask) | ((m.r[n] + step) & amask)

        while True:
            if rep and m.r[ECX] & amask == 0:
                break
            si, di = m.r[ESI] & amask, m.r[EDI] & amask
            if kind == 0xa4:
                m.wr(di, bits, m.rd(si, bits))
                adv(ESI)
                adv(EDI)
            elif kind == 0xa6:
                _, f = alu(m, 7, m.rd(si, bits), m.rd(di, bits), bits)
                setflags(m, f)
                adv(ESI)
                adv(EDI)
            elif kind == 0xaa:
                m.wr(di, bits, m.getr(EAX, bits))
                adv(EDI)
            elif kind == 0xac:
                m.setr(EAX, bits, m.rd(si, bits))
                adv(ESI)
            else:
                _, f = alu(m, 7, m.getr(EAX, bits), m.rd(di, bits), bits)
                setflags(m, f)
                adv(EDI)
            if not rep:
                break
            m.r[ECX] = (m.r[ECX] & ~amask) | ((m.r[ECX] - 1) & amask)
            if kind in (0xa6, 0xae) and bool(m.fl & ZF) != (rep == 0xf3):
                break
        return fin()
    if b == 0xd7:
        a = (m.r[EBX] + (m.r[EAX] & 0xff)) & (0xffff if a16 else 0xffffffff)
        m.setr(EAX, 8, m.rd(a, 8))
        return fin()
    # ---- BOUND/INTO
    if b == 0x62:
        reg, rm = d.modrm(m, a16)
        if rm[0] == "r":
            raise Unsupported("EVEX")
        lo, hi, v = m.rd(rm[1], osz), m.rd(rm[1] + osz // 8, osz), m.getr(reg, osz)

        def sgn(x):
            return x - (1 << osz) if x >> (osz - 1) else x
        if not sgn(lo) <= sgn(v) <= sgn(hi):
            m.vec = 5
            return
        return fin()
    if b == 0xce:
        fin()
        if m.fl & OF:
            m.vec = 4
        return
    if b in (0x69, 0x6b):
        reg, rm = d.modrm(m, a16)
        iv = d.imm(osz // 8) if b == 0x69 else d.imm(1, True) & ((1 << osz) - 1)
        return imul3(m, reg, m.get(rm, osz), iv, osz, fin)
    raise Unsupported("opcode %02x" % b)


def ff_branch(m, d, ext, rm, osz, fin):
    """FF /2 call, /4 jmp, /6 push (the operand is read before ESP moves)"""
    if ext not in (2, 4, 6):
        raise Unsupported("ff /%d" % ext)
    v = m.get(rm, osz)
    fin()
    if ext == 6:
        m.push(osz, v)
        return
    if ext == 2:
        m.push(osz, m.eip)
    m.eip = v


def shift(m, ext, rm, bits, c):
    if c == 0:
        return
    a = m.get(rm, bits)
    msk = (1 << bits) - 1
    top = bits - 1
    f = m.fl
    if ext in (0, 1):                            # ROL ROR
        n = c % bits
        res = ((a << n) | (a >> (bits - n))) & msk if ext == 0 else \
              ((a >> n) | (a << (bits - n))) & msk
        cf = res & 1 if ext == 0 else res >> top & 1
        of = (res >> top & 1) ^ cf if ext == 0 else (res >> top ^ res >> (top - 1)) & 1
        f = f & ~(CF | OF) | (CF if cf else 0) | (OF if of else 0)
    elif ext in (2, 3):                          # RCL RCR
        n = c % (bits + 1)
        v = a | (f & CF) << bits                 # bits+1 wide
        w = bits + 1
        v = ((v << n) | (v >> (w - n))) & ((1 << w) - 1) if ext == 2 else \
            ((v >> n) | (v << (w - n))) & ((1 << w) - 1)
        res, cf = v & msk, v >> bits & 1
        if ext == 2:
            of = (res >> top & 1) ^ cf
        else:
            of = (res >> top ^ res >> (top - 1)) & 1
        f = f & ~(CF | OF) | (CF if cf else 0) | (OF if of else 0)
    else:
        if ext in (4, 6):                        # SHL
            full = a << c
            res, cf = full & msk, full >> bits & 1
            of = (res >> top & 1) ^ cf
        elif ext == 5:                           # SHR
            res, cf = a >> c, a >> (c - 1) & 1
            of = a >> top & 1
        else:                                    # SAR
            sa = a - (1 << bits) if a >> top else a
            res, cf = (sa >> c) & msk, (sa >> (c - 1)) & 1
            of = 0
        f = f & ~0x8d5 | (CF if cf else 0) | (OF if of else 0) | szp(res, bits)
    m.put(rm, bits, res)
    m.fl = f


def bcd(m, b, d):
    al, ah = m.r[EAX] & 0xff, m.r[EAX] >> 8 & 0xff
    f = m.fl
    if b in (0x27, 0x2f):                        # DAA DAS (SDM pseudocode)
        old_al, old_cf = al, f & CF
        cf = 0
        af = 0
        if (al & 15) > 9 or f & AF:
            if b == 0x27:
                cf = old_cf or al + 6 > 0xff
                al = (al + 6) & 0xff
            else:
                cf = old_cf or al < 6
                al = (al - 6) & 0xff
            af = 1
        if old_al > 0x99 or old_cf:
            al = (al + 0x60 if b == 0x27 else al - 0x60) & 0xff
            cf = 1
        m.setr(EAX, 8, al)
        m.fl = f & ~(CF | AF | ZF | SF | PF) | (CF if cf else 0) | (AF if af else 0) | szp(al, 8)
    elif b in (0x37, 0x3f):                      # AAA AAS
        if (al & 15) > 9 or f & AF:
            ax = (m.r[EAX] + (0x106 if b == 0x37 else -6)) & 0xffff
            if b == 0x3f:
                ax = (ax - 0x100) & 0xffff
            m.setr(EAX, 16, ax & 0xff0f)
            m.fl = f | AF | CF
        else:
            m.setr(EAX, 8, al & 15)
            m.fl = f & ~(AF | CF)
    else:
        imm = d.imm(1)
        if b == 0xd4:
            if imm == 0:
                m.vec = 0
                return
            ah, al = al // imm, al % imm
        else:
            al, ah = (al + ah * imm) & 0xff, 0
        m.setr(EAX, 16, ah << 8 | al)
        m.fl = f & ~(ZF | SF | PF) | szp(al, 8)


def execute_0f(m, d, o16, a16, osz, fin):
    b = d.byte()
    if 0x80 <= b < 0x90:
        disp = d.imm(2 if o16 else 4, True)
        fin()
        if cond(m.fl, b & 15):
            m.eip = (m.eip + disp) & (0xffff if o16 else 0xffffffff)
        return
    if 0x90 <= b < 0xa0:
        _, rm = d.modrm(m, a16)
        m.put(rm, 8, 1 if cond(m.fl, b & 15) else 0)
        return fin()
    if 0x40 <= b < 0x50:
        reg, rm = d.modrm(m, a16)
        v = m.get(rm, osz)
        if cond(m.fl, b & 15):
            m.setr(reg, osz, v)
        return fin()
    if b in (0xb6, 0xb7, 0xbe, 0xbf):
        reg, rm = d.modrm(m, a16)
        sb = 8 if b & 1 == 0 else 16
        v = m.get(rm, sb)
        if b >= 0xbe and v >> (sb - 1):
            v -= 1 << sb
        m.setr(reg, osz, v & 0xffffffff)
        return fin()
    if b in (0xbc, 0xbd):
        reg, rm = d.modrm(m, a16)
        v = m.get(rm, osz)
        if v == 0:
            m.fl |= ZF
        else:
            m.fl &= ~ZF
            m.setr(reg, osz, (v & -v).bit_length() - 1 if b == 0xbc else v.bit_length() - 1)
        return fin()
    if b in (0xa3, 0xab, 0xb3, 0xbb, 0xba):
        reg, rm = d.modrm(m, a16)
        if b == 0xba:
            op = reg - 4
            off = d.imm(1) & (osz - 1)
            tgt = rm
        else:
            op = {0xa3: 0, 0xab: 1, 0xb3: 2, 0xbb: 3}[b]
            off = m.getr(reg, osz)
            if rm[0] == "r":
                off &= osz - 1
                tgt = rm
            else:
                if off >> (osz - 1):
                    off -= 1 << osz
                tgt = ("m", (rm[1] + (off >> (5 if osz == 32 else 4)) * (osz // 8)) & 0xffffffff)
                off &= osz - 1
        v = m.get(tgt, osz)
        m.fl = m.fl & ~CF | (v >> off & 1)
        if op == 1:
            m.put(tgt, osz, v | 1 << off)
        elif op == 2:
            m.put(tgt, osz, v & ~(1 << off))
        elif op == 3:
            m.put(tgt, osz, v ^ 1 << off)
        return fin()
    if b in (0xa4, 0xa5, 0xac, 0xad):
        reg, rm = d.modrm(m, a16)
        c = (d.imm(1) if b in (0xa4, 0xac) else m.r[ECX]) & 31
        if c == 0:
            return fin()
        a, s = m.get(rm, osz), m.getr(reg, osz)
        msk = (1 << osz) - 1
        if b in (0xa4, 0xa5):
            full = (a << osz | s) << c
            res = full >> osz & msk
            cf = full >> (2 * osz) & 1
        else:
            full = (s << osz | a) >> (c - 1)
            cf = full & 1
            res = full >> 1 & msk
        of = (res ^ a) >> (osz - 1) & 1
        m.put(rm, osz, res)
        m.fl = m.fl & ~0x8d5 | cf | (OF if of else 0) | szp(res, osz)
        return fin()
    if b in (0xaf,):
        reg, rm = d.modrm(m, a16)
        return imul3(m, reg, m.get(rm, osz), m.getr(reg, osz), osz, fin)
    if 0xc8 <= b <= 0xcf:
        n = b & 7
        if not o16:
            m.r[n] = int.from_bytes(m.r[n].to_bytes(4, "little"), "big")
        return fin()
    if b in (0xc0, 0xc1):
        bits = 8 if b == 0xc0 else osz
        reg, rm = d.modrm(m, a16)
        a, s = m.get(rm, bits), m.getr(reg, bits)
        res, f = alu(m, 0, a, s, bits)
        m.setr(reg, bits, a)
        m.put(rm, bits, res)
        setflags(m, f)
        return fin()
    if b in (0xb0, 0xb1):
        bits = 8 if b == 0xb0 else osz
        reg, rm = d.modrm(m, a16)
        acc, v = m.getr(EAX, bits), m.get(rm, bits)
        _, f = alu(m, 7, acc, v, bits)
        setflags(m, f)
        if acc == v:
            m.put(rm, bits, m.getr(reg, bits))
        else:
            m.setr(EAX, bits, v)
        return fin()
    if b == 0xc7:
        ext, rm = d.modrm(m, a16)
        if ext != 1 or rm[0] == "r":
            m.vec = 6
            return
        v = m.rd(rm[1], 32) | m.rd(rm[1] + 4, 32) << 32
        if v == m.r[EDX] << 32 | m.r[EAX]:
            m.wr(rm[1], 32, m.r[EBX])
            m.wr(rm[1] + 4, 32, m.r[ECX])
            m.fl |= ZF
        else:
            m.r[EAX], m.r[EDX] = v & 0xffffffff, v >> 32
            m.fl &= ~ZF
        return fin()
    raise Unsupported("0f %02x" % b)


def imul3(m, reg, a, bv, bits, fin):
    sa = a - (1 << bits) if a >> (bits - 1) else a
    sb = bv - (1 << bits) if bv >> (bits - 1) else bv
    p = sa * sb
    over = not (-(1 << (bits - 1)) <= p < (1 << (bits - 1)))
    m.setr(reg, bits, p & ((1 << bits) - 1))
    setflags(m, (CF | OF) if over else 0, CF | OF)
    return fin()


def model_line(rec):
    code, r0, fl0, w0, r1, fl1, w1, eipd, vec, fmask, rmask = rec
    m = Machine(r0, fl0, w0)
    execute(m, code)
    if m.lock and m.decoder.regform:
        m = Machine(r0, fl0, w0)              # LOCK on a register form
        m.vec = 6
    errs = []
    if m.vec != vec:
        return ["vector model %d cpu %d" % (m.vec, vec)]
    if m.vec >= 0 and m.vec != 4:
        m = Machine(r0, fl0, w0)              # faults change nothing
        m.vec = vec
    for i in range(8):
        if rmask >> i & 1 and m.r[i] != r1[i]:
            errs.append("reg %d model %08x cpu %08x" % (i, m.r[i], r1[i]))
    if (m.fl ^ fl1) & fmask:
        errs.append("flags model %03x cpu %03x diff %03x" % (m.fl & 0xfff, fl1 & 0xfff, (m.fl ^ fl1) & fmask))
    for wi, base in ((0, DATA), (1, STACK)):
        got = bytes(m.mem[base + i] for i in range(WIN))
        if got != w1[wi]:
            errs.append("window %d differs" % wi)
    if m.eip - CODE != eipd:
        errs.append("eip delta model %x cpu %x" % (m.eip - CODE, eipd))
    return errs


# ======================================================================
# SIMD lines (vectorsSimd, 61 fields): MMX and SSE2 integer instructions,
# modelled from the SDM instruction pages.

M64 = (1 << 64) - 1
M128 = (1 << 128) - 1


def parse_x87(f):
    """the x87 part of an 85-field line: (fcw, fsw, ftw, [(se, significand)] * 8) before and
    after, the FSW compare mask and the register compare mask"""
    states = []
    for base in (61, 72):
        for x in f[base:base + 3]:
            assert len(x) == 4, "x87 word width"
        for x in f[base + 3:base + 11]:
            assert len(x) == 20, "x87 register width"
        regs = [(int(x[:4], 16), int(x[4:], 16)) for x in f[base + 3:base + 11]]
        states.append((int(f[base], 16), int(f[base + 1], 16), int(f[base + 2], 16), regs))
    assert len(f[83]) == 4 and len(f[84]) == 2, "x87 mask width"
    fcw, fsw, ftw, regs = states[0]
    assert fsw & 0x8080 == 0 and fsw & ~fcw & 0x3f == 0, "initial x87 exception pending"
    assert fcw & 0xe080 == 0 and fcw & 0x40, "reserved FCW bits"
    for p in range(8):                      # the initial tags follow from the contents
        se, m = regs[p]
        e = se & 0x7fff
        tag = 3 if ftw >> 2 * p & 3 == 3 else 2 if e == 0x7fff else (1 if m == 0 else 2) if e == 0 \
            else 0 if m >> 63 else 2
        assert ftw >> 2 * p & 3 == tag, "initial tag of R%d" % p
    return states, int(f[83], 16), int(f[84], 16)


def parse_simd(f):
    assert len(f) in (61, 85), "field count %d" % len(f)
    x87 = len(f) == 85
    if x87:
        parse_x87(f)
        f = f[:61]
    rec = parse(" ".join(f[:27]))
    simd = []
    for base in (27, 44):
        mm = [int(x, 16) for x in f[base:base + 8]]
        xmm = [int(x, 16) for x in f[base + 8:base + 16]]
        for x in f[base:base + 8]:
            assert len(x) == 16, "MM field width"
        for x in f[base + 8:base + 16]:
            assert len(x) == 32, "XMM field width"
        assert len(f[base + 16]) == 8, "MXCSR field width"
        simd.append((mm, xmm, int(f[base + 16], 16)))
    assert (rec[9] == 0xcd5 or x87) and rec[10] == 0xff, "SIMD masks are always full"
    return rec, simd


def lanes(v, w, n):
    m = (1 << w) - 1
    return [(v >> (w * i)) & m for i in range(n // w)]


def join(es, w):
    m = (1 << w) - 1
    v = 0
    for i, e in enumerate(es):
        v |= (e & m) << (w * i)
    return v


def sx(v, w):
    return v - (1 << w) if v >> (w - 1) & 1 else v


def sat_s(v, w):
    return max(-(1 << (w - 1)), min((1 << (w - 1)) - 1, v))


def sat_u(v, w):
    return max(0, min((1 << w) - 1, v))


# element-wise ops: opcode -> (element width, f(a, b))
ELEM = {
    0xfc: (8, lambda a, b, w: a + b), 0xfd: (16, lambda a, b, w: a + b),
    0xfe: (32, lambda a, b, w: a + b), 0xd4: (64, lambda a, b, w: a + b),
    0xf8: (8, lambda a, b, w: a - b), 0xf9: (16, lambda a, b, w: a - b),
    0xfa: (32, lambda a, b, w: a - b), 0xfb: (64, lambda a, b, w: a - b),
    0xec: (8, lambda a, b, w: sat_s(sx(a, w) + sx(b, w), w)),
    0xed: (16, lambda a, b, w: sat_s(sx(a, w) + sx(b, w), w)),
    0xe8: (8, lambda a, b, w: sat_s(sx(a, w) - sx(b, w), w)),
    0xe9: (16, lambda a, b, w: sat_s(sx(a, w) - sx(b, w), w)),
    0xdc: (8, lambda a, b, w: sat_u(a + b, w)), 0xdd: (16, lambda a, b, w: sat_u(a + b, w)),
    0xd8: (8, lambda a, b, w: sat_u(a - b, w)), 0xd9: (16, lambda a, b, w: sat_u(a - b, w)),
    0x74: (8, lambda a, b, w: -1 if a == b else 0), 0x75: (16, lambda a, b, w: -1 if a == b else 0),
    0x76: (32, lambda a, b, w: -1 if a == b else 0),
    0x64: (8, lambda a, b, w: -1 if sx(a, w) > sx(b, w) else 0),
    0x65: (16, lambda a, b, w: -1 if sx(a, w) > sx(b, w) else 0),
    0x66: (32, lambda a, b, w: -1 if sx(a, w) > sx(b, w) else 0),
    0xdb: (64, lambda a, b, w: a & b), 0xdf: (64, lambda a, b, w: ~a & b),
    0xeb: (64, lambda a, b, w: a | b), 0xef: (64, lambda a, b, w: a ^ b),
    0xd5: (16, lambda a, b, w: sx(a, 16) * sx(b, 16)),
    0xe5: (16, lambda a, b, w: (sx(a, 16) * sx(b, 16)) >> 16),
    0xe4: (16, lambda a, b, w: (a * b) >> 16),
    0xe0: (8, lambda a, b, w: (a + b + 1) >> 1), 0xe3: (16, lambda a, b, w: (a + b + 1) >> 1),
    0xda: (8, lambda a, b, w: min(a, b)), 0xde: (8, lambda a, b, w: max(a, b)),
    0xea: (16, lambda a, b, w: min(sx(a, w), sx(b, w))), 0xee: (16, lambda a, b, w: max(sx(a, w), sx(b, w))),
}


def chunk64(op, a, b):
    """the ops that work on each 64-bit half as a whole"""
    if op == 0xf5:      # PMADDWD
        x, y = lanes(a, 16, 64), lanes(b, 16, 64)
        return join([sx(x[2 * i], 16) * sx(y[2 * i], 16) + sx(x[2 * i + 1], 16) * sx(y[2 * i + 1], 16)
                     for i in range(2)], 32)
    if op == 0xf4:      # PMULUDQ
        return (a & 0xffffffff) * (b & 0xffffffff)
    if op == 0xf6:      # PSADBW
        return sum(abs(x - y) for x, y in zip(lanes(a, 8, 64), lanes(b, 8, 64)))
    w, fn = ELEM[op]
    return join([fn(x, y, w) for x, y in zip(lanes(a, w, 64), lanes(b, w, 64))], w)


def halves(v, n):
    return [v & M64] if n == 64 else [v & M64, v >> 64]


def per_half(op, a, b, n):
    r = 0
    for i, (x, y) in enumerate(zip(halves(a, n), halves(b, n))):
        r |= (chunk64(op, x, y) & M64) << (64 * i)
    return r


UNPACK = {0x60: (8, 0), 0x61: (16, 0), 0x62: (32, 0), 0x6c: (64, 0),
          0x68: (8, 1), 0x69: (16, 1), 0x6a: (32, 1), 0x6d: (64, 1)}
PACK = {0x63: (16, 8, True), 0x6b: (32, 16, True), 0x67: (16, 8, False)}


def unpack(op, d, s, n):
    w, high = UNPACK[op]
    h = n // 2
    if high:
        d, s = d >> h, s >> h
    es = []
    for x, y in zip(lanes(d & ((1 << h) - 1), w, h), lanes(s & ((1 << h) - 1), w, h)):
        es += [x, y]
    return join(es, w)


def pack(op, d, s, n):
    w, nw, signed = PACK[op]
    es = [sx(e, w) for e in lanes(d, w, n) + lanes(s, w, n)]
    return join([sat_s(e, nw) if signed else sat_u(e, nw) for e in es], nw)


def shift_elems(kind, v, w, n, count):
    out = []
    for e in lanes(v, w, n):
        if kind == "srl":
            out.append(0 if count > w - 1 else e >> count)
        elif kind == "sll":
            out.append(0 if count > w - 1 else e << count)
        else:
            out.append(sx(e, w) >> min(count, w - 1))
    return join(out, w)


SHIFT_OP = {0xd1: ("srl", 16), 0xd2: ("srl", 32), 0xd3: ("srl", 64), 0xe1: ("sra", 16), 0xe2: ("sra", 32),
            0xf1: ("sll", 16), 0xf2: ("sll", 32), 0xf3: ("sll", 64)}
SHIFT_GRP = {(0x71, 2): ("srl", 16), (0x71, 4): ("sra", 16), (0x71, 6): ("sll", 16),
             (0x72, 2): ("srl", 32), (0x72, 4): ("sra", 32), (0x72, 6): ("sll", 32),
             (0x73, 2): ("srl", 64), (0x73, 6): ("sll", 64)}


class SimdFault(Exception):
    """a fault; mxcsr: MXCSR with the flags an #XM records (None: unchanged)"""
    def __init__(self, vec, mxcsr=None):
        Exception.__init__(self, vec)
        self.vec = vec
        self.mxcsr = mxcsr


def simd_execute(m, code):
    """m: Machine with .mm and .xmm; executes one instruction, sets m.eip"""
    d = Decoder(code)
    lock = False
    pfx = 0
    while True:
        b = d.byte()
        if b == 0xf0:
            lock = True
        elif b in (0x66, 0xf2, 0xf3):
            # F2/F3: the last one counts and outranks 66
            pfx = b if b != 0x66 or pfx == 0 else pfx
        elif b in (0x26, 0x2e, 0x36, 0x3e):
            pass
        else:
            break
    if b != 0x0f:
        raise NotModelled("x87 escape %02x" % b)
    if d.code[d.pos] in (0x38, 0x3a):
        ssse3_execute(m, d, pfx, lock)
        return
    op = d.byte()
    if fp_execute(m, d, pfx, op, lock):
        return
    x = pfx == 0x66
    n = 128 if x else 64
    reg = rm = None
    if op != 0x77:
        reg, rmo = d.modrm(m, False)
    needs_imm = op in (0x70, 0x71, 0x72, 0x73, 0xc4, 0xc5)
    imm = d.imm(1) if needs_imm else None
    m.eip = CODE + d.pos
    reg_form = op == 0x77 or rmo[0] == "r"

    def ud():
        raise SimdFault(6)

    if lock:
        ud()

    def getreg(i, xr):
        return m.xmm[i] if xr else m.mm[i]

    def setreg(i, xr, v):
        if xr:
            m.xmm[i] = v & M128
        else:
            m.mm[i] = v & M64

    def read_src(bytes_, aligned, xr):
        """the r/m source: a register of the kind xr, or memory"""
        if reg_form:
            return getreg(rmo[1], xr)
        a = rmo[1]
        if aligned and a & 15:
            raise SimdFault(13)
        return m.rd(a, 8 * bytes_)

    def write_dst(v, bytes_, aligned, xr):
        if reg_form:
            setreg(rmo[1], xr, v)
            return
        a = rmo[1]
        if aligned and a & 15:
            raise SimdFault(13)
        m.wr(a, 8 * bytes_, v & ((1 << (8 * bytes_)) - 1))

    if pfx not in (0, 0x66) and op not in (0x6f, 0x7f, 0x7e, 0x70, 0xd6):
        ud()
    if op in ELEM or op in (0xf4, 0xf5, 0xf6):
        s = read_src(n // 8, x, x)
        setreg(reg, x, per_half(op, getreg(reg, x), s, n))
    elif op in UNPACK:
        if op in (0x6c, 0x6d) and not x:
            ud()
        low_mmx = op in (0x60, 0x61, 0x62) and not x
        s = read_src(4 if low_mmx else n // 8, x, x)
        setreg(reg, x, unpack(op, getreg(reg, x), s, n))
    elif op in PACK:
        s = read_src(n // 8, x, x)
        setreg(reg, x, pack(op, getreg(reg, x), s, n))
    elif op in SHIFT_OP:
        kind, w = SHIFT_OP[op]
        count = read_src(n // 8, x, x) & M64
        setreg(reg, x, shift_elems(kind, getreg(reg, x), w, n, count))
    elif op in (0x71, 0x72, 0x73):
        if not reg_form:
            ud()
        i = rmo[1]
        if (op, reg) in SHIFT_GRP:
            kind, w = SHIFT_GRP[(op, reg)]
            setreg(i, x, shift_elems(kind, getreg(i, x), w, n, imm))
        elif op == 0x73 and reg in (3, 7) and x:
            c = min(imm, 16) * 8
            v = m.xmm[i] >> c if reg == 3 else m.xmm[i] << c
            setreg(i, True, v)
        else:
            ud()
    elif op == 0x6e:                        # MOVD mm/xmm, r/m32
        v = m.r[rmo[1]] if reg_form else m.rd(rmo[1], 32)
        setreg(reg, x, v)
    elif op == 0x7e and pfx != 0xf3:        # MOVD r/m32, mm/xmm
        v = getreg(reg, x) & 0xffffffff
        if reg_form:
            m.r[rmo[1]] = v
        else:
            m.wr(rmo[1], 32, v)
    elif op == 0x7e:                        # F3: MOVQ xmm, xmm/m64
        setreg(reg, True, read_src(8, False, True) & M64)
    elif op == 0x6f:                        # MOVQ / MOVDQA / MOVDQU loads
        xr = pfx != 0
        setreg(reg, xr, read_src(16 if xr else 8, pfx == 0x66, xr))
    elif op == 0x7f:
        xr = pfx != 0
        write_dst(getreg(reg, xr), 16 if xr else 8, pfx == 0x66, xr)
    elif op == 0xe7:                        # MOVNTQ / MOVNTDQ
        if reg_form:
            ud()
        write_dst(getreg(reg, x), n // 8, x, x)
    elif op == 0xd6:
        if pfx == 0x66:                     # MOVQ xmm/m64, xmm
            v = m.xmm[reg] & M64
            if reg_form:
                m.xmm[rmo[1]] = v
            else:
                m.wr(rmo[1], 64, v)
        elif not reg_form or pfx == 0:
            ud()
        elif pfx == 0xf3:                   # MOVQ2DQ xmm, mm
            m.xmm[reg] = m.mm[rmo[1]]
        else:                               # MOVDQ2Q mm, xmm
            m.mm[reg] = m.xmm[rmo[1]] & M64
    elif op == 0x70:
        if pfx == 0:
            s = read_src(8, False, False)
            ws = lanes(s, 16, 64)
            setreg(reg, False, join([ws[imm >> (2 * k) & 3] for k in range(4)], 16))
        else:
            s = read_src(16, True, True)
            if pfx == 0x66:
                ds = lanes(s, 32, 128)
                m.xmm[reg] = join([ds[imm >> (2 * k) & 3] for k in range(4)], 32)
            else:
                ws = lanes(s, 16, 128)
                part = ws[4:] if pfx == 0xf3 else ws[:4]
                sh = [part[imm >> (2 * k) & 3] for k in range(4)]
                m.xmm[reg] = join(ws[:4] + sh if pfx == 0xf3 else sh + ws[4:], 16)
    elif op == 0xc4:                        # PINSRW
        v = (m.r[rmo[1]] if reg_form else m.rd(rmo[1], 16)) & 0xffff
        k = imm & (7 if x else 3)
        old = getreg(reg, x)
        setreg(reg, x, old & ~(0xffff << (16 * k)) | v << (16 * k))
    elif op == 0xc5:                        # PEXTRW
        if not reg_form:
            ud()
        k = imm & (7 if x else 3)
        m.r[reg] = getreg(rmo[1], x) >> (16 * k) & 0xffff
    elif op == 0xd7:                        # PMOVMSKB
        if not reg_form:
            ud()
        m.r[reg] = join([e >> 7 for e in lanes(getreg(rmo[1], x), 8, n)], 1)
    elif op == 0xf7:                        # MASKMOVQ / MASKMOVDQU to DS:EDI
        if not reg_form:
            ud()
        data, mask = lanes(getreg(reg, x), 8, n), lanes(getreg(rmo[1], x), 8, n)
        for k in range(n // 8):
            if mask[k] >> 7:
                m.wr((m.r[EDI] + k) & 0xffffffff, 8, data[k])
    elif op == 0x77:                        # EMMS: nothing visible here
        pass
    else:
        ud()


# ======================================================================
# SSE / SSE2 / SSE3 floating point, SSSE3 and LDMXCSR/STMXCSR (the SIMD
# floating-point families, README.md "SIMD floating point"), modelled
# from the SDM: exact arithmetic on Fractions, rounded as MXCSR says, with
# DAZ/FTZ, the NaN rules of table 4-7 and the exception rules of 11.5.2.
# RCPPS/RSQRTPS (implementation-specific) are checked against the exact
# result with the architectural tolerance.  The x87 families are not
# modelled (NotModelled).

from fractions import Fraction

IE_, DE_, ZE_, OE_, UE_, PE_ = 1, 2, 4, 8, 16, 32
F32 = (8, 23)
F64 = (11, 52)


class NotModelled(Unsupported):
    pass


def fmt_bits(fmt):
    return 1 + fmt[0] + fmt[1]


def fclass(b, fmt):
    """(kind, sign, magnitude Fraction or None); kind: zero den norm inf qnan snan"""
    eb, mb = fmt
    bias = (1 << (eb - 1)) - 1
    s = b >> (eb + mb) & 1
    e = b >> mb & ((1 << eb) - 1)
    f = b & ((1 << mb) - 1)
    if e == (1 << eb) - 1:
        if f == 0:
            return "inf", s, None
        return ("qnan" if f >> (mb - 1) & 1 else "snan"), s, None
    if e == 0:
        if f == 0:
            return "zero", s, Fraction(0)
        return "den", s, Fraction(f, 1 << (bias - 1 + mb))
    return "norm", s, Fraction((1 << mb) | f) * Fraction(2) ** (e - bias - mb)


def fpack(s, e, f, fmt):
    eb, mb = fmt
    return s << (eb + mb) | e << mb | f


def finf(s, fmt):
    return fpack(s, (1 << fmt[0]) - 1, 0, fmt)


def fmax(s, fmt):
    return fpack(s, (1 << fmt[0]) - 2, (1 << fmt[1]) - 1, fmt)


def findef(fmt):
    """the QNaN floating-point indefinite: negative, quiet bit only"""
    return fpack(1, (1 << fmt[0]) - 1, 1 << (fmt[1] - 1), fmt)


def fquiet(b, fmt):
    return b | 1 << (fmt[1] - 1)


def is_nan(k):
    return k in ("qnan", "snan")


def ilog2(a):
    """floor(log2(a)) for a positive Fraction"""
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    elif Fraction(2) ** (e + 1) <= a:
        e += 1
    return e


def round_int(q, neg, rc):
    """round the non-negative Fraction q to an integer; neg: the value is -q"""
    n = q.numerator // q.denominator
    rem = q - n
    if rem == 0:
        return n
    if rc == 0:
        if rem > Fraction(1, 2) or (rem == Fraction(1, 2) and n & 1):
            return n + 1
        return n
    if rc == 3:
        return n
    up = (rc == 2) != neg                    # toward +inf on a positive value, -inf on a negative
    return n + 1 if up else n


class Rounded:
    def __init__(self, bits, post):
        self.bits, self.post = bits, post


def fround(x, fmt, mx, zero_sign=0):
    """round the exact value x (Fraction) into fmt under MXCSR mx: (bits, OE/UE/PE flags)"""
    eb, mb = fmt
    bias = (1 << (eb - 1)) - 1
    emin, emax = 1 - bias, bias
    rc, ftz = mx >> 13 & 3, mx >> 15 & 1
    um, om = mx >> 11 & 1, mx >> 10 & 1
    if x == 0:
        return 0 | zero_sign << (eb + mb), 0
    s = 1 if x < 0 else 0
    a = -x if s else x
    e = ilog2(a)
    # unbounded exponent rounding (tininess and overflow are judged on it)
    m = round_int(a / Fraction(2) ** (e - mb), s, rc)
    eu = e
    if m == 1 << (mb + 1):
        m >>= 1
        eu += 1
    if eu > emax:                            # overflow
        if not om:                           # unmasked: PE only if the scaled result is inexact
            return None, OE_ | (PE_ if Fraction(m) * Fraction(2) ** (eu - mb) != a else 0)
        big = rc == 0 or (rc == 2 and not s) or (rc == 1 and s)
        return (finf(s, fmt) if big else fmax(s, fmt)), OE_ | PE_
    tiny = eu < emin
    if not tiny:
        v = Fraction(m) * Fraction(2) ** (eu - mb)
        return fpack(s, eu + bias, m & ((1 << mb) - 1), fmt), PE_ if v != a else 0
    # tiny: denormal rounding
    md = round_int(a / Fraction(2) ** (emin - mb), s, rc)
    inexact = Fraction(md) * Fraction(2) ** (emin - mb) != a
    if not um:
        return None, UE_ | (PE_ if inexact else 0)
    if ftz:
        return fpack(s, 0, 0, fmt), UE_ | PE_
    if not inexact:
        return fpack(s, 0, md, fmt), 0      # an exact denormal: no flag
    if md == 1 << mb:
        return fpack(s, 1, 0, fmt), UE_ | PE_
    return fpack(s, 0, md, fmt), UE_ | PE_


def operand(b, fmt, daz):
    """(kind, sign, value, DE flag): a denormal is zero with DAZ, else flags DE"""
    k, s, v = fclass(b, fmt)
    if k == "den":
        if daz:
            return "zero", s, Fraction(0), 0
        return k, s, (-v if s else v), DE_
    if v is not None and s:
        v = -v
    return k, s, v, 0


class Lane:
    """one element's outcome: pre (IE DE ZE), post (OE UE PE), result bits"""
    def __init__(self, bits=None, pre=0, post=0):
        self.bits, self.pre, self.post = bits, pre, post


def nan_result(a, ka, b, kb, fmt):
    pre = IE_ if "snan" in (ka, kb) else 0
    if is_nan(ka):
        return Lane(fquiet(a, fmt), pre)
    return Lane(fquiet(b, fmt), pre)


def f_arith(op, a, b, fmt, mx):
    daz = mx >> 6 & 1
    rc = mx >> 13 & 3
    if op == "sqrt":
        kb, sb, vb, db = operand(b, fmt, daz)
        if is_nan(kb):
            return Lane(fquiet(b, fmt), IE_ if kb == "snan" else 0)
        if kb == "zero":
            return Lane(fpack(sb, 0, 0, fmt), db)
        if sb:
            return Lane(findef(fmt), IE_)
        if kb == "inf":
            return Lane(b)
        # exact square root, rounded: r is a value with more bits than the format needs
        r = sqrt_frac(vb, fmt[1] + 4)
        bits, post = fround(r, fmt, mx)
        return Lane(bits, db, post)
    ka, sa, va, da = operand(a, fmt, daz)
    kb, sb, vb, db = operand(b, fmt, daz)
    if op in ("min", "max"):
        if is_nan(ka) or is_nan(kb):
            return Lane(b, IE_)
        de = da | db
        if ka == "zero" and kb == "zero":
            return Lane(flushed(b, kb, sb, fmt), de)
        xa = va if ka != "inf" else (-1 if sa else 1) * Fraction(10) ** 400
        xb = vb if kb != "inf" else (-1 if sb else 1) * Fraction(10) ** 400
        pick_a = xa < xb if op == "min" else xa > xb
        return Lane(flushed(a, ka, sa, fmt) if pick_a else flushed(b, kb, sb, fmt), de)
    if is_nan(ka) or is_nan(kb):
        return nan_result(a, ka, b, kb, fmt)
    de = da | db
    if op in ("add", "sub"):
        if op == "sub":
            sb ^= 1
            if vb is not None:
                vb = -vb
        if ka == "inf" or kb == "inf":
            if ka == "inf" and kb == "inf" and sa != sb:
                return Lane(findef(fmt), IE_)
            return Lane(finf(sa if ka == "inf" else sb, fmt), de)
        x = va + vb
        if x == 0:                          # exact zero: -0 only for -0 + -0, or x - x rounding down
            zs = sa if ka == "zero" and kb == "zero" and sa == sb else 1 if rc == 1 else 0
            bits, post = fround(x, fmt, mx, zs)
            return Lane(bits, de, post)
        bits, post = fround(x, fmt, mx)
        return Lane(bits, de, post)
    if op == "mul":
        s = sa ^ sb
        if ka == "inf" or kb == "inf":
            if ka == "zero" or kb == "zero":
                return Lane(findef(fmt), IE_)
            return Lane(finf(s, fmt), de)
        bits, post = fround(va * vb, fmt, mx, s)
        return Lane(bits, de, post)
    if op == "div":
        s = sa ^ sb
        if ka == "inf":
            if kb == "inf":
                return Lane(findef(fmt), IE_)
            return Lane(finf(s, fmt), de)
        if kb == "inf":
            return Lane(fpack(s, 0, 0, fmt), de)
        if kb == "zero":
            if ka == "zero":
                return Lane(findef(fmt), IE_)
            return Lane(finf(s, fmt), ZE_)  # a denormal dividend: no DE (as this CPU does)
        bits, post = fround(va / vb, fmt, mx, s)
        return Lane(bits, de, post)
    raise NotModelled(op)


def flushed(b, k, s, fmt):
    """an operand as the operation sees it: a denormal read as zero (DAZ) is a signed zero"""
    return fpack(s, 0, 0, fmt) if k == "zero" else b


def sqrt_frac(v, bits):
    """a Fraction close enough to sqrt(v) to round correctly: floor of sqrt at a fine
    scale, plus a sticky half unit when not exact"""
    e = ilog2(v)
    sh = 2 * (bits + 8) - e
    sh += sh & 1
    n = v * Fraction(2) ** sh
    ni = n.numerator // n.denominator
    r = isqrt(ni)
    exact = r * r == n
    res = Fraction(r) / Fraction(2) ** (sh // 2)
    if not exact:
        res += Fraction(1, 2) / Fraction(2) ** (sh // 2)
    return res


def isqrt(n):
    if n == 0:
        return 0
    x = 1 << ((n.bit_length() + 1) // 2)
    while True:
        y = (x + n // x) // 2
        if y >= x:
            return x
        x = y


def f_cmp(pred, a, b, fmt, mx):
    daz = mx >> 6 & 1
    ka, sa, va, da = operand(a, fmt, daz)
    kb, sb, vb, db = operand(b, fmt, daz)
    p = pred & 7
    if is_nan(ka) or is_nan(kb):
        pre = IE_ if "snan" in (ka, kb) or p in (1, 2, 5, 6) else 0
        r = p in (3, 4, 5, 6)
        return Lane((1 << fmt_bits(fmt)) - 1 if r else 0, pre)
    xa = va if ka != "inf" else (-1 if sa else 1) * Fraction(10) ** 400
    xb = vb if kb != "inf" else (-1 if sb else 1) * Fraction(10) ** 400
    r = [xa == xb, xa < xb, xa <= xb, False, xa != xb, not xa < xb, not xa <= xb, True][p]
    return Lane((1 << fmt_bits(fmt)) - 1 if r else 0, da | db)


def f_to_int(b, fmt, mx, trunc, bits=32):
    k, s, v = fclass(b, fmt)
    indef = 1 << (bits - 1)
    if is_nan(k) or k == "inf":
        return Lane(indef, IE_)
    if k == "den" and mx >> 6 & 1:
        v = Fraction(0)
    a = v
    n = round_int(a, s, 3 if trunc else mx >> 13 & 3)
    iv = -n if s else n
    if iv < -(1 << (bits - 1)) or iv >= 1 << (bits - 1):
        return Lane(indef, IE_)
    return Lane(iv & ((1 << bits) - 1), 0, PE_ if n != a else 0)


def i_to_f(i, fmt, mx):
    iv = sx(i, 32)
    bits, post = fround(Fraction(iv), fmt, mx)
    return Lane(bits, 0, post)


def f_to_f(b, src, dst, mx):
    k, s, v, de = operand(b, src, mx >> 6 & 1)
    if is_nan(k):
        q = fquiet(b, src)
        pay = q & ((1 << src[1]) - 1)
        if dst[1] > src[1]:
            pay <<= dst[1] - src[1]
        else:
            pay >>= src[1] - dst[1]
        return Lane(fpack(s, (1 << dst[0]) - 1, pay, dst), IE_ if k == "snan" else 0)
    if k == "inf":
        return Lane(finf(s, dst))
    if k == "zero":
        return Lane(fpack(s, 0, 0, dst), de)
    bits, post = fround(v, dst, mx)
    return Lane(bits, de, post)


def run_lanes(m, lanes):
    """SDM 11.5.2: unmasked pre-computation exceptions stop everything; else post ones"""
    masks = m.mxcsr >> 7 & 0x3f
    pre = 0
    for ln in lanes:
        pre |= ln.pre
    if pre & ~masks:
        m.mxcsr |= pre
        raise SimdFault(19, m.mxcsr)
    post = 0
    for ln in lanes:
        post |= ln.post
    m.mxcsr |= pre | post
    if post & ~masks:
        raise SimdFault(19, m.mxcsr)
    return [ln.bits for ln in lanes]


FARITH = {0x58: "add", 0x5c: "sub", 0x59: "mul", 0x5e: "div", 0x51: "sqrt", 0x5d: "min", 0x5f: "max"}


def fp_execute(m, d, pfx, op, lock):
    """the SSE/SSE2/SSE3 floating-point map and 0F AE /2 /3; d is positioned after op"""
    if op in (0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e,
              0x2f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d,
              0x5e, 0x5f, 0x7c, 0x7d, 0xc2, 0xc6, 0xd0, 0xe6, 0xf0, 0xae):
        pass
    else:
        return False
    reg, rmo = d.modrm(m, False)
    reg_form = rmo[0] == "r"
    imm = d.imm(1) if op in (0xc2, 0xc6) else None
    m.eip = CODE + d.pos
    if lock:
        raise SimdFault(6)

    def ud():
        raise SimdFault(6)

    def src(nbytes, aligned):
        if reg_form:
            return m.xmm[rmo[1]]
        a = rmo[1]
        if aligned and a & 15:
            raise SimdFault(13)
        return m.rd(a, 8 * nbytes)

    def store(v, nbytes, aligned):
        if reg_form:
            m.xmm[rmo[1]] = v & M128
            return
        a = rmo[1]
        if aligned and a & 15:
            raise SimdFault(13)
        m.wr(a, 8 * nbytes, v & ((1 << (8 * nbytes)) - 1))

    mx = m.mxcsr
    dst = m.xmm[reg]
    if op == 0xae:
        if reg_form or reg not in (2, 3) or pfx:
            ud()
        if reg == 2:
            v = m.rd(rmo[1], 32)
            if v & ~0xffff:
                raise SimdFault(13)
            m.mxcsr = v
        else:
            m.wr(rmo[1], 32, m.mxcsr)
        return True
    if op in FARITH or op == 0xc2:
        fmt = F64 if pfx in (0x66, 0xf2) else F32
        w = fmt_bits(fmt)
        scalar = pfx in (0xf3, 0xf2)
        s = src(w // 8 if scalar else 16, not scalar)
        n = 1 if scalar else 128 // w
        da, sa = lanes(dst, w, 128), lanes(s, w, 128)
        if op == 0xc2:
            out = [f_cmp(imm, da[i], sa[i], fmt, mx) for i in range(n)]
        else:
            out = [f_arith(FARITH[op], da[i], sa[i], fmt, mx) for i in range(n)]
        res = run_lanes(m, out)
        m.xmm[reg] = join(res + da[n:], w)
        return True
    if op in (0x2e, 0x2f):
        if pfx not in (0, 0x66):
            ud()
        fmt = F64 if pfx == 0x66 else F32
        w = fmt_bits(fmt)
        a, b = dst & ((1 << w) - 1), src(w // 8, False) & ((1 << w) - 1)
        daz = mx >> 6 & 1
        ka, sa_, va, dea = operand(a, fmt, daz)
        kb, sb_, vb, deb = operand(b, fmt, daz)
        if is_nan(ka) or is_nan(kb):
            pre = IE_ if "snan" in (ka, kb) or op == 0x2f else 0
            f = ZF | PF | CF
        else:
            pre = dea | deb
            xa = va if ka != "inf" else (-1 if sa_ else 1) * Fraction(10) ** 400
            xb = vb if kb != "inf" else (-1 if sb_ else 1) * Fraction(10) ** 400
            f = ZF if xa == xb else CF if xa < xb else 0
        run_lanes(m, [Lane(0, pre)])
        m.fl = m.fl & ~(ZF | PF | CF | OF | SF | AF) | f
        return True
    if op == 0x2a:                          # CVTPI2PS, CVTPI2PD, CVTSI2SS, CVTSI2SD
        if pfx in (0xf3, 0xf2):
            i = m.r[rmo[1]] if reg_form else m.rd(rmo[1], 32)
            fmt = F32 if pfx == 0xf3 else F64
            w = fmt_bits(fmt)
            res = run_lanes(m, [i_to_f(i, fmt, mx)])
            m.xmm[reg] = dst & ~((1 << w) - 1) | res[0]
        else:
            v = m.mm[rmo[1]] if reg_form else m.rd(rmo[1], 64)
            ints = lanes(v, 32, 64)
            if pfx == 0:
                res = run_lanes(m, [i_to_f(i, F32, mx) for i in ints])
                m.xmm[reg] = dst & ~M64 | join(res, 32)
            else:
                res = run_lanes(m, [i_to_f(i, F64, mx) for i in ints])
                m.xmm[reg] = join(res, 64)
        return True
    if op in (0x2c, 0x2d):                  # to integers
        trunc = op == 0x2c
        if pfx in (0xf3, 0xf2):
            fmt = F32 if pfx == 0xf3 else F64
            w = fmt_bits(fmt)
            b = src(w // 8, False) & ((1 << w) - 1)
            res = run_lanes(m, [f_to_int(b, fmt, mx, trunc)])
            m.r[reg] = res[0]
        else:
            fmt = F32 if pfx == 0 else F64
            w = fmt_bits(fmt)
            b = src(8 if pfx == 0 else 16, pfx == 0x66)
            res = run_lanes(m, [f_to_int(x, fmt, mx, trunc) for x in lanes(b, w, 128)[:2]])
            m.mm[reg] = join(res, 32)
        return True
    if op == 0x5a:
        if pfx == 0:                        # CVTPS2PD
            b = src(8, False)
            res = run_lanes(m, [f_to_f(x, F32, F64, mx) for x in lanes(b, 32, 64)])
            m.xmm[reg] = join(res, 64)
        elif pfx == 0x66:                   # CVTPD2PS
            b = src(16, True)
            res = run_lanes(m, [f_to_f(x, F64, F32, mx) for x in lanes(b, 64, 128)])
            m.xmm[reg] = join(res, 32)
        elif pfx == 0xf3:                   # CVTSS2SD
            b = src(4, False) & 0xffffffff
            res = run_lanes(m, [f_to_f(b, F32, F64, mx)])
            m.xmm[reg] = dst & ~M64 | res[0]
        else:                               # CVTSD2SS
            b = src(8, False) & M64
            res = run_lanes(m, [f_to_f(b, F64, F32, mx)])
            m.xmm[reg] = dst & ~0xffffffff | res[0]
        return True
    if op == 0x5b:
        if pfx == 0xf2:
            ud()
        b = src(16, True)
        if pfx == 0:                        # CVTDQ2PS
            res = run_lanes(m, [i_to_f(x, F32, mx) for x in lanes(b, 32, 128)])
        else:                               # CVTPS2DQ, CVTTPS2DQ
            res = run_lanes(m, [f_to_int(x, F32, mx, pfx == 0xf3) for x in lanes(b, 32, 128)])
        m.xmm[reg] = join(res, 32)
        return True
    if op == 0xe6:
        if pfx == 0:
            ud()
        if pfx == 0xf3:                     # CVTDQ2PD
            b = src(8, False)
            res = run_lanes(m, [i_to_f(x, F64, mx) for x in lanes(b, 32, 64)])
            m.xmm[reg] = join(res, 64)
        else:                               # CVTTPD2DQ (66), CVTPD2DQ (F2)
            b = src(16, True)
            res = run_lanes(m, [f_to_int(x, F64, mx, pfx == 0x66) for x in lanes(b, 64, 128)])
            m.xmm[reg] = join(res, 32)
        return True
    if op in (0x7c, 0x7d, 0xd0):            # HADD, HSUB, ADDSUB
        if pfx not in (0x66, 0xf2):
            ud()
        fmt = F64 if pfx == 0x66 else F32
        w = fmt_bits(fmt)
        a, b = lanes(dst, w, 128), lanes(src(16, True), w, 128)
        if op == 0xd0:
            out = [f_arith("sub" if i % 2 == 0 else "add", a[i], b[i], fmt, mx) for i in range(len(a))]
        else:
            o = "add" if op == 0x7c else "sub"
            pairs = [(a[i], a[i + 1]) for i in range(0, len(a), 2)] + [(b[i], b[i + 1]) for i in range(0, len(b), 2)]
            out = [f_arith(o, x, y, fmt, mx) for x, y in pairs]
        m.xmm[reg] = join(run_lanes(m, out), w)
        return True
    if op in (0x52, 0x53):                  # RSQRT, RCP: exact here, compared with a tolerance
        if pfx not in (0, 0xf3):
            ud()
        n = 4 if pfx == 0 else 1
        b = lanes(src(16 if n == 4 else 4, n == 4), 32, 128)
        res = [approx(op, b[i]) for i in range(n)]
        m.xmm[reg] = join(res + lanes(dst, 32, 128)[n:], 32)
        m.approx = True
        return True
    # moves and logic
    if op in (0x10, 0x11):
        if pfx in (0, 0x66):
            if op == 0x10:
                m.xmm[reg] = src(16, False)
            else:
                store(dst, 16, False)
        else:
            w = 32 if pfx == 0xf3 else 64
            lo = (1 << w) - 1
            if op == 0x10:
                v = src(w // 8, False)
                m.xmm[reg] = dst & ~lo | v & lo if reg_form else v & lo
            elif reg_form:
                m.xmm[rmo[1]] = m.xmm[rmo[1]] & ~lo | dst & lo
            else:
                m.wr(rmo[1], w, dst & lo)
        return True
    if op in (0x28, 0x29):
        if pfx not in (0, 0x66):
            ud()
        if op == 0x28:
            m.xmm[reg] = src(16, True)
        else:
            store(dst, 16, True)
        return True
    if op in (0x12, 0x16) and pfx in (0xf3, 0xf2):
        if op == 0x16 and pfx == 0xf2:
            ud()
        if pfx == 0xf2:                     # MOVDDUP
            v = src(8, False) & M64
            m.xmm[reg] = v | v << 64
        else:                               # MOVSLDUP, MOVSHDUP
            e = lanes(src(16, True), 32, 128)
            k = 0 if op == 0x12 else 1
            m.xmm[reg] = join([e[k], e[k], e[2 + k], e[2 + k]], 32)
        return True
    if op in (0x12, 0x13, 0x16, 0x17):
        if pfx not in (0, 0x66):
            ud()
        high = op in (0x16, 0x17)
        if op in (0x12, 0x16):
            if reg_form:
                if pfx == 0x66:
                    ud()
                s = m.xmm[rmo[1]]
                if op == 0x12:              # MOVHLPS
                    m.xmm[reg] = dst & ~M64 | s >> 64
                else:                       # MOVLHPS
                    m.xmm[reg] = dst & M64 | (s & M64) << 64
            else:
                v = m.rd(rmo[1], 64)
                m.xmm[reg] = dst & M64 | v << 64 if high else dst & ~M64 | v
        else:
            if reg_form:
                ud()
            m.wr(rmo[1], 64, dst >> 64 if high else dst & M64)
        return True
    if op in (0x14, 0x15):
        if pfx not in (0, 0x66):
            ud()
        s = src(16, True)
        w = 32 if pfx == 0 else 64
        a, b = lanes(dst, w, 128), lanes(s, w, 128)
        h = len(a) // 2
        if op == 0x15:
            a, b = a[h:], b[h:]
        es = []
        for x, y in zip(a[:h], b[:h]):
            es += [x, y]
        m.xmm[reg] = join(es, w)
        return True
    if op == 0xc6:
        if pfx not in (0, 0x66):
            ud()
        s = src(16, True)
        if pfx == 0:
            a, b = lanes(dst, 32, 128), lanes(s, 32, 128)
            m.xmm[reg] = join([a[imm & 3], a[imm >> 2 & 3], b[imm >> 4 & 3], b[imm >> 6 & 3]], 32)
        else:
            a, b = lanes(dst, 64, 128), lanes(s, 64, 128)
            m.xmm[reg] = join([a[imm & 1], b[imm >> 1 & 1]], 64)
        return True
    if op in (0x54, 0x55, 0x56, 0x57):
        if pfx not in (0, 0x66):
            ud()
        s = src(16, True)
        m.xmm[reg] = [dst & s, ~dst & s, dst | s, dst ^ s][op - 0x54] & M128
        return True
    if op == 0x50:
        if pfx not in (0, 0x66) or not reg_form:
            ud()
        w = 32 if pfx == 0 else 64
        m.r[reg] = join([e >> (w - 1) for e in lanes(m.xmm[rmo[1]], w, 128)], 1)
        return True
    if op == 0x2b:
        if pfx not in (0, 0x66) or reg_form:
            ud()
        store(dst, 16, True)
        return True
    if op == 0xf0:
        if pfx != 0xf2 or reg_form:
            ud()
        m.xmm[reg] = m.rd(rmo[1], 128)
        return True
    ud()


def approx(op, b):
    """RCPSS / RSQRTSS reference: the exact result rounded to single (the CPU's may differ
    within the tolerance); the special cases are exact"""
    k, s, v = fclass(b, F32)
    if is_nan(k):
        return fquiet(b, F32)
    if k in ("zero", "den"):
        return finf(s, F32)
    if k == "inf":
        if op == 0x53:
            return fpack(s, 0, 0, F32)
        return 0 if not s else findef(F32)
    if op == 0x52 and s:
        return findef(F32)
    if op == 0x53:
        x = 1 / v
        if x < Fraction(1, 1 << 126):       # tiny results are flushed to zero (SDM RCPPS)
            return fpack(s, 0, 0, F32)
        bits, post = fround(-x if s else x, F32, 0x1f80)
        return bits
    r = sqrt_frac(1 / v, 30)
    bits, post = fround(r, F32, 0x1f80)
    return bits


def approx_ok(model, cpu):
    """each single of cpu within 1.5 * 2^-12 (plus half an ulp) of the model's, exact where
    the model's is zero, infinite or NaN"""
    for a, b in zip(lanes(model, 32, 128), lanes(cpu, 32, 128)):
        if a == b:
            continue
        ka, sa, va = fclass(a, F32)
        kb, sb, vb = fclass(b, F32)
        if ka not in ("norm", "den") or kb not in ("norm", "den") or sa != sb:
            return False
        if abs(va - vb) > (Fraction(3, 2) * Fraction(1, 4096) + Fraction(1, 1 << 23)) * va:
            return False
    return True


SSSE3 = {0x00: "pshufb", 0x01: "phaddw", 0x02: "phaddd", 0x03: "phaddsw", 0x04: "pmaddubsw",
         0x05: "phsubw", 0x06: "phsubd", 0x07: "phsubsw", 0x08: "psignb", 0x09: "psignw", 0x0a: "psignd",
         0x0b: "pmulhrsw", 0x1c: "pabsb", 0x1d: "pabsw", 0x1e: "pabsd"}


def ssse3(name, a, b, n):
    if name == "pshufb":
        x, y = lanes(a, 8, n), lanes(b, 8, n)
        k = n // 8
        return join([0 if c >> 7 else x[c & (k - 1)] for c in y], 8)
    if name.startswith("ph"):
        w = 32 if name[-1] == "d" else 16
        x, y = lanes(a, w, n), lanes(b, w, n)
        sub = name.startswith("phsub")
        sat = name.endswith("sw")
        out = []
        for v in (x, y):
            for i in range(0, len(v), 2):
                r = sx(v[i], w) - sx(v[i + 1], w) if sub else sx(v[i], w) + sx(v[i + 1], w)
                out.append(sat_s(r, w) if sat else r)
        return join(out, w)
    if name == "pmaddubsw":
        x, y = lanes(a, 8, n), lanes(b, 8, n)
        return join([sat_s(x[2 * i] * sx(y[2 * i], 8) + x[2 * i + 1] * sx(y[2 * i + 1], 8), 16)
                     for i in range(n // 16)], 16)
    if name.startswith("psign"):
        w = {"b": 8, "w": 16, "d": 32}[name[-1]]
        x, y = lanes(a, w, n), lanes(b, w, n)
        return join([0 if c == 0 else -sx(v, w) if sx(c, w) < 0 else v for v, c in zip(x, y)], w)
    if name == "pmulhrsw":
        x, y = lanes(a, 16, n), lanes(b, 16, n)
        return join([((sx(p, 16) * sx(q, 16) >> 14) + 1) >> 1 for p, q in zip(x, y)], 16)
    if name.startswith("pabs"):
        w = {"b": 8, "w": 16, "d": 32}[name[-1]]
        return join([abs(sx(v, w)) for v in lanes(b, w, n)], w)
    raise NotModelled(name)


def ssse3_execute(m, d, pfx, lock):
    mp = d.byte()
    op = d.byte()
    reg, rmo = d.modrm(m, False)
    reg_form = rmo[0] == "r"
    imm = d.imm(1) if mp == 0x3a else None
    m.eip = CODE + d.pos
    if lock or pfx not in (0, 0x66):
        raise SimdFault(6)
    x = pfx == 0x66
    n = 128 if x else 64
    get = (lambda i: m.xmm[i]) if x else (lambda i: m.mm[i])
    if reg_form:
        s = get(rmo[1])
    else:
        if x and rmo[1] & 15:
            raise SimdFault(13)
        s = m.rd(rmo[1], n)
    dv = get(reg)
    if mp == 0x3a:
        if op != 0x0f:
            raise NotModelled("0F 3A %02x" % op)
        v = ((dv << n | s) >> (8 * imm)) & ((1 << n) - 1) if imm < 2 * n // 8 else 0
    else:
        if op not in SSSE3:
            raise NotModelled("0F 38 %02x" % op)
        v = ssse3(SSSE3[op], dv, s, n)
    if x:
        m.xmm[reg] = v & M128
    else:
        m.mm[reg] = v & M64


def model_simd(rec, simd, code_hex):
    code, r0, fl0, w0, r1, fl1, w1, eipd, vec, fmask, rmask = rec
    (mm0, xmm0, mx0), (mm1, xmm1, mx1) = simd

    def machine():
        mc = Machine(r0, fl0, w0)
        mc.mm, mc.xmm = list(mm0), list(xmm0)
        mc.mxcsr = mx0
        mc.approx = False
        return mc
    m = machine()
    try:
        simd_execute(m, code)
    except SimdFault as e:
        m = machine()
        m.vec = e.vec
        if e.mxcsr is not None:
            m.mxcsr = e.mxcsr
    except NotModelled:
        raise
    except Unsupported as e:
        return ["model: %s" % e]
    errs = []
    if m.vec != vec:
        return ["vector model %d cpu %d" % (m.vec, vec)]
    delta = m.eip - CODE if m.vec < 0 else 0
    if delta != eipd:
        errs.append("eip delta model %x cpu %x" % (delta, eipd))
    for i in range(8):
        if m.r[i] != r1[i]:
            errs.append("reg %d model %08x cpu %08x" % (i, m.r[i], r1[i]))
        if m.mm[i] != mm1[i]:
            errs.append("mm%d model %016x cpu %016x" % (i, m.mm[i], mm1[i]))
        if m.xmm[i] != xmm1[i] and not (m.approx and approx_ok(m.xmm[i], xmm1[i])):
            errs.append("xmm%d model %032x cpu %032x" % (i, m.xmm[i], xmm1[i]))
    if (m.fl ^ fl1) & fmask:
        errs.append("flags model %03x cpu %03x" % (m.fl & 0xfff, fl1 & 0xfff))
    if m.mxcsr != mx1:
        errs.append("mxcsr model %08x cpu %08x (initial %08x)" % (m.mxcsr, mx1, mx0))
    for wi, base in ((0, DATA), (1, STACK)):
        got = bytes(m.mem[base + i] for i in range(WIN))
        if got != w1[wi]:
            errs.append("window %d differs" % wi)
    return errs


def main(argv):
    model = "--model" in argv
    files = [a for a in argv if not a.startswith("--")]
    bad = total = 0
    for fn in files:
        op = gzip.open if fn.endswith(".gz") else open
        n = modelled = mism = 0
        with op(fn, "rt") as fh:
            for ln, line in enumerate(fh, 1):
                if line.startswith("#"):
                    continue
                n += 1
                fields = line.split()
                try:
                    if len(fields) in (61, 85):
                        rec, simd = parse_simd(fields)
                    else:
                        rec, simd = parse(line), None
                except AssertionError as e:
                    print("%s:%d: %s" % (fn, ln, e))
                    bad += 1
                    continue
                if not model:
                    continue
                try:
                    errs = model_line(rec) if simd is None else model_simd(rec, simd, fields[0])
                except Unsupported:
                    continue
                except Exception as e:              # a model bug: report it, keep going
                    errs = ["model raised %r" % e]
                modelled += 1
                if errs:
                    mism += 1
                    if mism <= 5:
                        print("%s:%d: %s: %s" % (fn, ln, line.split()[0], "; ".join(errs)))
        print("%s: %d tests%s" % (fn, n, ", %d modelled, %d mismatches" % (modelled, mism) if model else ""))
        bad += mism
        total += n
    print("checked %d files, %d tests, %d problems" % (len(files), total, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
